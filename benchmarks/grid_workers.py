"""Grid scaling benchmark: ``python -m benchmarks.grid_workers [--quick]`` (``make bench``).

Runs the same small benchmark grid (notebook 06: a few network rows of different papers on
the synthetic corpus's quadrants, several seeds) three ways, each into a fresh cell cache
with the features computed beforehand (not timed):

* ``serial``: ``workers=0``, the cells one after another in this process (the baseline);
* ``dask_1``: a Dask ``LocalCluster`` of one worker process;
* ``dask_2``: a ``LocalCluster`` of two worker processes.

Checks that the three give the same results, prints the seconds and the ratios
``serial / dask_1`` (Dask's overhead) and ``dask_1 / dask_2`` (the scaling with workers), and
writes them to ``reports/bench/grid.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from mer_lib import data, grid
from mer_lib.experiments import benchmark
from mer_lib.experiments.benchmark import base, cell_run, cells, tasks
from mer_lib.fileio import atomic_write_text
from mer_lib.paths import reports_dir

ROWS = ("jeon2017_lyrics_cnn", "zhao2022_context_only", "mmer_analysis_comments", "zhao2023_symbolic_only")


def timed_run(grid_cells, task, budget, workers: int) -> tuple[float, dict]:
    """Seconds of one grid run into a new cache, and its results."""
    with tempfile.TemporaryDirectory(prefix="grid-bench-") as cache:
        started = time.perf_counter()
        results = grid.run(grid_cells, cell_run.run_cell, cache_dir=cache,
                           inputs=lambda c: cells.cell_inputs(c, task, budget),
                           arguments=lambda c: (benchmark.METHODS[c.row], task, budget), workers=workers, progress=False)
        return time.perf_counter() - started, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller corpus and fewer seeds")
    args = parser.parse_args()
    n_clips, seeds = (80, (0, 1)) if args.quick else (200, (0, 1, 2, 3))
    task = tasks.make_task(data.load("synthetic", n_clips=n_clips, progress=False), "quadrant")
    budget = base.Budget(max_epochs=3, patience=3, audio_seconds=10.0)
    chosen = [benchmark.ROWS[name] for name in ROWS]
    cells.prepare_features([task], chosen, budget, progress=False)
    grid_cells, _ = cells.grid_cells([task], chosen, seeds)
    seconds, results = {}, {}
    for name, workers in (("serial", 0), ("dask_1", 1), ("dask_2", 2)):
        seconds[name], results[name] = timed_run(grid_cells, task, budget, workers)
        print(f"{name:>7}: {seconds[name]:6.1f} s for {len(grid_cells)} cells")
    same = results["serial"] == results["dask_1"] == results["dask_2"]
    report = {"cells": len(grid_cells), "rows": list(ROWS), "clips": n_clips, "seeds": list(seeds),
              "seconds": seconds, "same_results": same,
              "serial_over_dask_1": seconds["serial"] / seconds["dask_1"],
              "dask_1_over_dask_2": seconds["dask_1"] / seconds["dask_2"]}
    print(f"serial / 1 worker = {report['serial_over_dask_1']:.2f}, 1 / 2 workers = {report['dask_1_over_dask_2']:.2f}, "
          f"same results: {same}")
    out = Path(reports_dir()) / "bench" / "grid.json"
    atomic_write_text(out, json.dumps(report, indent=2) + "\n")
    if not same:
        raise SystemExit("the three runs disagree: a cell's result depends on where it ran")


if __name__ == "__main__":
    main()
