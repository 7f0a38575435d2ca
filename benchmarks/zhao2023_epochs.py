"""Seconds of one epoch of each deep row of notebook 03: ``python -m benchmarks.zhao2023_epochs``.

What the ``emopia`` profile's budget (its comment) is computed from: for every deep row, one
epoch of training steps on random windows batched by length, the windowed read of the
validation clips, and the per-epoch read of the test clips (the EMOPIA_cls-protocol column),
with the profile's settings, on EMOPIA's clip-level split (cached features; the first run
extracts them). A gauge step (the symbolic GRU on 16 × 128 tokens) says how busy the machine
was. Not part of ``make bench``: it needs EMOPIA.

    python -m benchmarks.zhao2023_epochs --profile emopia --rows symbolic_only,lstm_attn
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from mer_lib.paths import reports_dir

NOTEBOOK = "03_zhao2023_multifaceted_piano"
DEEP_ROWS = "symbolic_only,lstm_attn,harmony_only,tone_only,short_chunk_resnet"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Time one epoch of each deep row of notebook 03.")
    parser.add_argument("--profile", default="emopia")
    parser.add_argument("--rows", default=DEEP_ROWS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="default reports/bench/zhao2023_epochs.json")
    args = parser.parse_args(argv)

    import torch

    from mer_lib import data, features, losses, train
    from mer_lib import params as P
    from mer_lib.experiments import zhao2023 as E

    torch.set_num_threads(args.threads)
    values = P.load_profile(NOTEBOOK, args.profile)
    table = data.load(values["DATASET"], **values.get("DATASET_OPTIONS", {})).table
    table = table[table["split"].notna()].reset_index(drop=True)
    names = args.rows.split(",")
    inputs = E.extract_inputs(table, sorted({i for n in names for i in E.ROWS[n].inputs}),
                              excerpt_seconds=values["EXCERPT_SECONDS"], n_jobs=1, dataset_name=values["DATASET"],
                              progress=False)
    chroma = features.get("zhao2023_chroma").params
    fps = chroma["sr"] / chroma["hop_length"]
    frame_window, max_frames = int(values["FRAME_WINDOW_SECONDS"] * fps) + 1, int(values["EXCERPT_SECONDS"] * fps) + 1
    settings = {"token_window": values["TOKEN_WINDOW"], "frame_window": frame_window,
                "mixed_precision": values.get("MIXED_PRECISION", True), "resnet_channels": values.get("RESNET_CHANNELS", 32)}
    options = {"train_lengths": {"tokens": values["TOKEN_WINDOW"], "chroma": frame_window, "mfcc": frame_window,
                                 "mel_chunks": 1},
               "eval_lengths": {"tokens": values["MAX_TOKENS"], "chroma": max_frames, "mfcc": max_frames,
                                "mel_chunks": values["MAX_CHUNKS"]},
               "batch_size": values.get("BATCH_SIZE", 16)}
    gauge_row = E.ROWS["symbolic_only"]
    gauge = gauge_row.build(**E.build_options(gauge_row, **settings))
    optimizer = torch.optim.Adam(gauge.parameters())
    tokens, started = torch.randint(1, 388, (16, 128)), time.perf_counter()
    for _ in range(3):
        loss = gauge(tokens=tokens).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    results = {"profile": args.profile, "torch_threads": args.threads,
               "gauge_gru_step_seconds": round((time.perf_counter() - started) / 3, 3),
               "load_average_1min": round(os.getloadavg()[0], 2)}
    for name in names:
        row = E.ROWS[name]
        torch.manual_seed(0)
        split_loaders = E.loaders(row, table, inputs, seed=0, **options)
        model = row.build(**E.build_options(row, **settings))
        reader = E.windowed(row, model, **settings)
        optimizer, loss_fn = torch.optim.Adam(model.parameters(), 1e-3), losses.PROBABILITY_LOSSES[row.loss]
        times = {}
        for part, work in (("train", lambda: train.train_epoch(reader, split_loaders["train"], loss_fn, optimizer, "cpu")),
                           ("validation", lambda: train.evaluate(reader, split_loaders["validation"], "cpu", loss_fn)),
                           ("test", lambda: train.evaluate(reader, split_loaders["test"], "cpu", loss_fn))):
            started = time.perf_counter()
            work()
            times[f"{part}_seconds"] = round(time.perf_counter() - started, 1)
        results[name] = {**times, "steps": len(split_loaders["train"])}
        print(name, results[name], flush=True)
    out = args.out or reports_dir() / "bench" / "zhao2023_epochs.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
