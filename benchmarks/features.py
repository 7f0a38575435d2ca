"""Feature-extraction benchmark: ``python -m benchmarks.features [--quick]`` (``make bench``).

Times the feature layer on the real datasets when they load (``mirex_mm``: 903 × 30 s audio
clips and 764 lyrics; ``emopia``: 1,078 MIDI clips), else on the synthetic corpus (and says
so), each task next to a plain single-process loop doing the same work. "Cold" numbers use a
fresh temporary cache, so they do not depend on earlier runs. Writes
``reports/bench/features.json`` and prints it.

Tasks (targets on a 2-core machine):

* ``audio_features_cold``: log-mel (zhao2022) + MFCC (zhao2023) + chroma (zhao2023) of every
  mirex_mm clip, empty cache (< 180 s);
* ``audio_features_cached``: the same again, every result cached (< 10 s);
* ``render_midi``: every EMOPIA clip rendered to FLAC with the SoundFont (< 240 s);
* ``bert_lyrics``: MiniLM token features of every mirex_mm lyric, empty cache (< 180 s);
* ``tokenize_midi``: MIDI-like tokens of every EMOPIA clip, empty cache (< 30 s).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from mer_lib.paths import reports_dir

AUDIO_FEATURES = ("zhao2022_mel", "zhao2023_mfcc", "zhao2023_chroma")
TARGETS = {"audio_features_cold": 180, "audio_features_cached": 10, "render_midi": 240,
           "bert_lyrics": 180, "tokenize_midi": 30}


def load_dataset(name: str, column: str, n: int | None, synthetic_clips: int):
    """(table with ``column``, label, cache namespace) for ``name``, else the synthetic corpus."""
    from mer_lib import data

    try:
        dataset = data.load(name)
        label = name
    except Exception as err:  # no loader or no data: fall back, and say so
        print(f"{name} unavailable ({err}); using the synthetic corpus")
        dataset = data.load("synthetic", n_clips=synthetic_clips, progress=False)
        label = f"synthetic (no {name})"
    table = dataset.table
    if column == "lyrics" and "lyrics" not in table.columns:
        column = "lyrics_path"
    table = table[table[column].notna()]
    return (table.head(n) if n else table), label, dataset.name


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def plain_audio_loop(paths) -> None:
    """The baseline: one process, librosa directly, the same three features."""
    import librosa

    for path in paths:
        y, sr = librosa.load(path, sr=22050)
        mel = librosa.feature.melspectrogram(y=y[: 30 * sr], sr=sr, n_fft=1024, hop_length=1024, n_mels=40)
        librosa.power_to_db(mel)
        librosa.feature.mfcc(y=y, sr=sr, n_mfcc=25, n_mels=23)
        librosa.feature.chroma_stft(y=y, sr=sr)


def bench_audio(args, results, cache_root, datasets):
    from mer_lib import features
    from mer_lib.features.numba_cache import warm_up

    table, label, name = datasets["audio"]
    warm_up()  # compile librosa's numba code once, outside every timing
    run = lambda: features.extract(table, list(AUDIO_FEATURES), n_jobs=args.jobs, cache_root=cache_root,
                                   progress=not args.quiet, dataset_name=name)
    cold, out = timed(run)
    assert all(len(v) == len(table) for v in out.values())
    cached, _ = timed(run)
    baseline = None
    if not args.no_baseline:
        baseline, _ = timed(lambda: plain_audio_loop(table["audio_path"]))
    results["audio_features_cold"] = entry(cold, baseline, len(table), label,
                                           "extractors: " + ", ".join(AUDIO_FEATURES))
    results["audio_features_cached"] = entry(cached, baseline, len(table), label,
                                             "every result read from the cache")


def bench_midi(args, results, cache_root, datasets):
    from mer_lib import features
    from mer_lib.features import render, symbolic

    table, label, name = datasets["midi"]
    paths = list(table["midi_path"])
    cold, _ = timed(lambda: render.render_all(paths, n_jobs=args.jobs, progress=not args.quiet,
                                              cache_root=cache_root))
    baseline = None
    if not args.no_baseline:
        scratch = Path(tempfile.mkdtemp(prefix="render-baseline-"))
        try:
            baseline, _ = timed(lambda: [render.write_audio(scratch / f"{i}.flac", render.render_midi(p), 22050)
                                         for i, p in enumerate(paths)])
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    results["render_midi"] = entry(cold, baseline, len(table), label, "TimGM6mb.sf2 via tinysoundfont, FLAC")

    cold, out = timed(lambda: features.extract(table, "zhao2023_midi_like", n_jobs=args.jobs,
                                               cache_root=cache_root, progress=not args.quiet,
                                               dataset_name=name))
    baseline = None if args.no_baseline else timed(lambda: [symbolic.encode_midi_like(p) for p in paths])[0]
    lengths = sorted(len(t) for t in out.values())
    results["tokenize_midi"] = entry(cold, baseline, len(table), label,
                                     f"median sequence length {lengths[len(lengths) // 2]} tokens")


def bench_bert(args, results, cache_root, datasets):
    from mer_lib import features
    from mer_lib.features import bert

    table, label, name = datasets["bert"]
    load, _ = timed(bert.load_encoder)
    cold, _ = timed(lambda: features.extract(table, "zhao2022_bert_lyrics", cache_root=cache_root,
                                             progress=not args.quiet, dataset_name=name))
    baseline = None
    if not args.no_baseline:
        texts = [features.pipeline.source_of(features.get("zhao2022_bert_lyrics"), row)
                 for row in table.to_dict("records")]
        # The plain loop: one text per call (its segments in one forward pass), no cache.
        # Timed on a sample and scaled to all texts, to keep the benchmark short.
        sample = texts[: args.bert_baseline_n]
        baseline = timed(lambda: [bert.encode_texts([t]) for t in sample])[0]
        baseline *= len(texts) / len(sample)
    results["bert_lyrics"] = entry(cold, baseline, len(table), label,
                                   f"all-MiniLM-L6-v2, 128-token segments, batched; model load {load:.1f} s "
                                   "not included; baseline: one text per forward pass, "
                                   f"timed on {min(args.bert_baseline_n, len(table))} texts and scaled")


def entry(seconds, baseline, n, dataset, note) -> dict:
    return {
        "seconds": round(seconds, 2),
        "baseline_seconds": None if baseline is None else round(baseline, 2),
        "n": int(n),
        "dataset": dataset,
        "speedup_vs_baseline": None if not baseline else round(baseline / seconds, 2),
        "note": note,
        # Other work on a shared machine slows every number down; this says how busy it was.
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the feature layer.")
    parser.add_argument("--quick", action="store_true", help="only the first 40 clips of each dataset")
    parser.add_argument("--n", type=int, default=None, help="only the first N clips of each dataset")
    parser.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the plain single-process loops")
    parser.add_argument("--bert-baseline-n", type=int, default=100,
                        help="texts the one-text-at-a-time BERT baseline is timed on (scaled to all)")
    parser.add_argument("--synthetic-clips", type=int, default=200, help="corpus size when data is absent")
    parser.add_argument("--tasks", default="audio,midi,bert", help="comma-separated: audio, midi, bert")
    parser.add_argument("--out", type=Path, default=None, help="default reports/bench/features.json")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.quick and args.n is None:
        args.n = 40
    out = args.out or reports_dir() / "bench" / "features.json"

    benches = {"audio": bench_audio, "midi": bench_midi, "bert": bench_bert}
    sources = {"audio": ("mirex_mm", "audio_path"), "midi": ("emopia", "midi_path"), "bert": ("mirex_mm", "lyrics")}
    tasks = [t.strip() for t in args.tasks.split(",")]
    # Loaded before the cache switch below, so a synthetic fallback reuses the cached corpus.
    datasets = {t: load_dataset(*sources[t], args.n, args.synthetic_clips) for t in tasks}
    results: dict = {}
    # A terminated run still removes its scratch cache (the finally block below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scratch = Path(tempfile.mkdtemp(prefix="mer-bench-cache-"))
    previous = os.environ.get("MER_CACHE_DIR")
    os.environ["MER_CACHE_DIR"] = str(scratch)  # fresh cache for every "cold" number
    try:
        for task in tasks:
            benches[task](args, results, scratch / "features", datasets)
            write(results, out, args)  # after each task, so a stopped run keeps what it measured
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if previous is None:
            os.environ.pop("MER_CACHE_DIR", None)
        else:
            os.environ["MER_CACHE_DIR"] = previous
    print(json.dumps(results, indent=2))
    print(f"written to {out}")
    return 0


def write(results: dict, out: Path, args) -> None:
    for task, result in results.items():
        result["target_seconds"] = TARGETS[task] if args.n is None else None
        result["cpu_cores"] = os.cpu_count()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
