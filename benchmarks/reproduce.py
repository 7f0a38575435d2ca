"""Reproduction benchmark: ``python -m benchmarks.reproduce [--modes parallel,serial,verify]``
(``make bench-reproduce``).

Times a cold ``make reports`` (every demo profile, an empty cache, setup excluded) with the
notebooks run two at a time (``parallel``), next to the plain baseline of one at a time
(``serial``: about twice as long), and ``make verify`` (``verify``: the parallel runs plus the
comparison).
Everything runs into scratch folders, so the committed reports are not touched. Writes
``reports/bench/reproduce.json`` and prints it. Target: the parallel cold run in ≤ 10 minutes
on an idle 2-core machine. Run it on an idle machine: the numbers are wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mer_lib.fileio import atomic_write_text
from mer_lib.paths import PROJECT_ROOT, reports_dir
from mer_lib.repro import cpu_model
from mer_lib.verify import cold_environment

TARGET_S = 600


def cold_reports(parallel: int) -> dict:
    """Wall time of every demo profile from an empty cache, ``parallel`` at a time."""
    scratch = Path(tempfile.mkdtemp(prefix="mer-bench-reports-"))
    env = {**os.environ, **cold_environment(scratch)}
    started = time.perf_counter()
    code = subprocess.call([sys.executable, "-m", "mer_lib.runner", "--all", "demo", "--force",
                            "--jobs", str(parallel)], cwd=PROJECT_ROOT, env=env)
    wall = time.perf_counter() - started
    per_notebook = {
        path.parent.parent.name: json.loads(path.read_text())["timings"]["wall_s"]
        for path in sorted((scratch / "reports").glob("*/demo/results.json"))
    }
    shutil.rmtree(scratch, ignore_errors=True)
    return {"parallel": parallel, "wall_s": round(wall, 1), "exit": code,
            "notebook_wall_s": per_notebook, "notebooks_sum_s": round(sum(per_notebook.values()), 1)}


def verify() -> dict:
    """Wall time and outcome of ``make verify``."""
    started = time.perf_counter()
    code = subprocess.call([sys.executable, "-m", "mer_lib.verify"], cwd=PROJECT_ROOT)
    return {"wall_s": round(time.perf_counter() - started, 1), "exit": code, "passed": code == 0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reproduce", description=__doc__.split("\n")[0])
    parser.add_argument("--modes", default="parallel,serial,verify",
                        help="what to time, in order (default parallel,serial,verify)")
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - {"parallel", "serial", "verify"}
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}")
    results = {"machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                           "load_before": round(os.getloadavg()[0], 2)},
               "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "target_s": TARGET_S}
    path = reports_dir() / "bench" / "reproduce.json"
    for mode in modes:  # written after each mode, so a stopped run keeps what it measured
        results[mode] = verify() if mode == "verify" else cold_reports(2 if mode == "parallel" else 1)
        if "parallel" in results:
            results["meets_target"] = results["parallel"]["wall_s"] <= TARGET_S
            if "serial" in results:
                results["speedup"] = round(results["serial"]["wall_s"] / results["parallel"]["wall_s"], 2)
        atomic_write_text(path, json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0 if all(results[m]["exit"] == 0 for m in modes) else 1


if __name__ == "__main__":
    sys.exit(main())
