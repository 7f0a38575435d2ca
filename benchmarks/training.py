"""Training-loop benchmark: ``python -m benchmarks.training [--quick]`` (``make bench``).

Times one training epoch of the symbolic branch (embedding → 2 × 256 bidirectional GRU, the
costliest model of notebook 03) on the same clips, read whole up to ``--max-tokens`` tokens
(how the ``emopia_full`` profile trains), batched three ways:

* ``padded``: every clip padded to the longest clip (capped at ``--max-tokens``), the way a
  fixed-length loader pads (:class:`mer_lib.train.ClipDataset` with ``lengths``);
* ``random_batches_padded_to_batch``: random batches, each padded to its own longest clip;
* ``bucketed``: :class:`mer_lib.train.LengthBucketSampler` batches of similar length, each
  padded to its longest clip (``clip_loader(..., bucket_by="tokens")``).

Uses EMOPIA's MIDI-like tokens when EMOPIA loads, else the synthetic corpus (and says so).
Prints and writes ``reports/bench/training.json`` with the seconds of each, the share of
padding tokens, and the ratios ``padded / bucketed`` and ``random / bucketed``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from mer_lib.paths import reports_dir


def load_tokens(n: int, seed: int) -> tuple[list[np.ndarray], str]:
    """Token sequences of ``n`` clips drawn with ``seed`` (EMOPIA, else the synthetic corpus)."""
    from mer_lib import data, features

    try:
        dataset, label = data.load("emopia"), "emopia"
    except Exception as err:  # no data: fall back, and say so
        print(f"emopia unavailable ({err}); using the synthetic corpus")
        dataset, label = data.load("synthetic", n_clips=max(n, 64), progress=False), "synthetic (no emopia)"
    table = dataset.table[dataset.table["midi_path"].notna()]
    table = table.sample(n=min(n, len(table)), random_state=seed)
    tokens = features.extract(table, "zhao2023_midi_like", n_jobs=1, progress=False, dataset_name=dataset.name)
    return [tokens[t] for t in table["track_id"]], label


def epoch_seconds(loader, seed: int, threads: int) -> tuple[float, float]:
    """(seconds of one epoch of Adam steps on the symbolic branch, share of padding tokens)."""
    import torch

    from mer_lib import losses, train
    from mer_lib.features.symbolic import PAD_ID
    from mer_lib.models.zhao2023 import Zhao2023Net

    torch.manual_seed(seed)
    longest = max(inputs["tokens"].shape[1] for inputs, _ in loader)
    model = Zhao2023Net(("symbolic",), "concat", token_window=longest, mixed_precision=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    padding = [((inputs["tokens"] == PAD_ID).sum().item(), inputs["tokens"].numel()) for inputs, _ in loader]
    with train.torch_threads(threads):
        started = time.perf_counter()
        train.train_epoch(model, loader, losses.PROBABILITY_LOSSES["va"], optimizer, torch.device("cpu"))
        seconds = time.perf_counter() - started
    return seconds, sum(p for p, _ in padding) / sum(t for _, t in padding)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark length-bucketed batches against padded ones.")
    parser.add_argument("--quick", action="store_true", help="32 clips of at most 512 tokens")
    parser.add_argument("--n", type=int, default=128, help="clips (default 128)")
    parser.add_argument("--max-tokens", type=int, default=2048, help="tokens read of a clip (default 2048)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="default reports/bench/training.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.max_tokens = 32, 512
    from mer_lib import train
    from mer_lib.features.symbolic import PAD_ID

    clips, label = load_tokens(args.n, args.seed)
    targets = np.zeros((len(clips), 2), dtype=np.float32)
    common = {"batch_size": args.batch_size, "seed": args.seed, "pad_id": PAD_ID, "lengths": {"tokens": args.max_tokens}}
    longest = min(max(len(c) for c in clips), args.max_tokens)
    loaders = {
        "padded": train.clip_loader({"tokens": clips}, targets, shuffle=True,
                                    **{**common, "lengths": {"tokens": longest}}),
        "random_batches_padded_to_batch": train.clip_loader({"tokens": clips}, targets, shuffle=True,
                                                            pad_to_batch=True, **common),
        "bucketed": train.clip_loader({"tokens": clips}, targets, shuffle=True, bucket_by="tokens", **common),
    }
    results = {"dataset": label, "clips": len(clips), "max_tokens": args.max_tokens, "batch_size": args.batch_size,
               "torch_threads": args.threads, "median_tokens": float(np.median([len(c) for c in clips]))}
    for name, loader in loaders.items():
        seconds, padding = epoch_seconds(loader, args.seed, args.threads)
        results[name] = {"seconds": round(seconds, 2), "padding_share": round(padding, 3)}
        print(f"{name:32s} {seconds:7.1f} s, {padding:.0%} padding tokens", flush=True)
    results["padded_over_bucketed"] = round(results["padded"]["seconds"] / results["bucketed"]["seconds"], 2)
    results["random_over_bucketed"] = round(
        results["random_batches_padded_to_batch"]["seconds"] / results["bucketed"]["seconds"], 2)
    # Other work on a shared machine slows every number down; this says how busy it was.
    results["load_average_1min"] = round(os.getloadavg()[0], 2)
    out = args.out or reports_dir() / "bench" / "training.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
