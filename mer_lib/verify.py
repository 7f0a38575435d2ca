"""``make verify``: rerun the reports from a cold cache and compare them with the committed ones.

Usage::

    python -m mer_lib.verify                         # every demo profile
    python -m mer_lib.verify --profiles demo,mirex   # and real profiles whose data is present
    python -m mer_lib.verify --jobs 1 --keep /tmp/v  # serially, keeping the scratch reports
    python -m mer_lib.verify --notebooks 01,03       # only these notebooks' reports

Every profile runs into a scratch reports folder with a new, empty cache (generated corpus,
features, renderings and numba's JIT cache), ``--jobs`` notebooks at a time. Then each new
``results.json`` is compared with the committed one — every metric and its spread over seeds —
and every table (CSV) cell by cell, leaving out timings (:func:`mer_lib.reporting.is_timing`).
One line per report says how many values were compared, how many are equal and the largest
difference, followed by every value that differs. The exit status is 1 on any difference
beyond ``--tolerance`` (default 0: exact) or any failed run.

Figures are not compared: PNG bytes change with matplotlib's and libpng's versions and
carry no number that a table or ``results.json`` does not already hold.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from mer_lib import params as P
from mer_lib.fileio import atomic_write_text
from mer_lib.paths import reports_dir
from mer_lib.reporting import is_timing
from mer_lib.runner import Job, real_profile_available, run_many, previous_wall_seconds

#: Differences shown per report before "... and N more".
SHOWN = 40


@dataclass
class Comparison:
    """How a rerun report compares with the committed one."""

    name: str
    compared: int = 0
    equal: int = 0
    largest: float = 0.0
    differences: list[tuple[str, object, object]] = field(default_factory=list)
    tables_compared: int = 0
    failed: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.differences

    def line(self) -> str:
        if self.failed:
            return f"{self.name}: FAILED ({self.failed})"
        verdict = "ok" if self.ok else "DIFFERS"
        return (f"{self.name}: {verdict} — {self.equal} of {self.compared} values equal "
                f"(metrics and {self.tables_compared} tables), largest difference {self.largest:.3g}")


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _same(old, new, tolerance: float) -> tuple[bool, float]:
    """Whether two values agree, and their absolute difference (0 for equal non-numbers)."""
    a, b = _number(old), _number(new)
    if a is None or b is None:
        return old == new, 0.0 if old == new else math.inf
    if math.isnan(a) and math.isnan(b):
        return True, 0.0
    difference = abs(a - b)
    return difference <= tolerance, (math.inf if math.isnan(difference) else difference)


def _compare_values(result: Comparison, key: str, old, new, tolerance: float) -> None:
    result.compared += 1
    same, difference = _same(old, new, tolerance)
    if difference > result.largest:
        result.largest = difference
    if same:
        result.equal += 1
    else:
        result.differences.append((key, old, new))


def _read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def compare_tables(result: Comparison, old_dir: Path, new_dir: Path, tolerance: float) -> None:
    """Compare every CSV of two ``tables/`` folders cell by cell (timing columns left out)."""
    names = sorted({p.name for p in old_dir.glob("*.csv")} | {p.name for p in new_dir.glob("*.csv")})
    for name in names:
        result.tables_compared += 1
        if not (old_dir / name).is_file() or not (new_dir / name).is_file():
            side = "committed" if not (old_dir / name).is_file() else "rerun"
            result.compared += 1
            result.differences.append((f"tables/{name}", f"missing in the {side} report", ""))
            continue
        old, new = _read_csv(old_dir / name), _read_csv(new_dir / name)
        if not old or not new or old[0] != new[0] or len(old) != len(new):
            result.compared += 1
            result.differences.append((f"tables/{name}", f"{len(old)} rows, header {old[:1]}",
                                       f"{len(new)} rows, header {new[:1]}"))
            continue
        header = old[0]
        keep = [i for i, column in enumerate(header) if not is_timing(column)]
        for number, (a, b) in enumerate(zip(old[1:], new[1:]), start=1):
            for i in keep:
                label = f"tables/{name}[{a[0] if a else number}, {header[i] or 'index'}]"
                _compare_values(result, label, a[i] if i < len(a) else None,
                                b[i] if i < len(b) else None, tolerance)


def compare_reports(committed: Path, rerun: Path, tolerance: float = 0.0, name: str = "") -> Comparison:
    """Compare the rerun report folder with the committed one.

    Args:
        committed: The committed ``reports/<notebook>/<profile>`` folder.
        rerun: The scratch folder of the rerun.
        tolerance: Largest absolute difference accepted (0: exact).
        name: Label of the report.
    """
    result = Comparison(name or committed.name)
    try:
        old = json.loads((committed / "results.json").read_text())
        new = json.loads((rerun / "results.json").read_text())
    except (OSError, ValueError) as err:
        result.failed = f"cannot read results.json: {err}"
        return result
    for part, suffix in (("metrics", ""), ("metrics_std", " (std)")):
        a, b = old.get(part, {}), new.get(part, {})
        for key in sorted(set(a) | set(b)):
            if key in a and key in b:
                _compare_values(result, key + suffix, a[key], b[key], tolerance)
            else:
                result.compared += 1
                result.differences.append((key + suffix, a.get(key, "absent"), b.get(key, "absent")))
    compare_tables(result, committed / "tables", rerun / "tables", tolerance)
    return result


def cold_environment(scratch: Path) -> dict[str, str]:
    """Environment of a run from an empty cache: caches and reports inside ``scratch``."""
    cache = scratch / "cache"
    return {"MER_CACHE_DIR": str(cache), "NUMBA_CACHE_DIR": str(cache / "numba"),
            "MER_REPORTS_DIR": str(scratch / "reports")}


def chosen_notebooks(names: Sequence[str] = ()) -> list[str]:
    """The notebooks named by ``names`` (full names or their leading number, ``"03"``); every
    notebook when ``names`` is empty.

    Raises:
        ValueError: A name that matches no notebook (the message lists them).
    """
    every = P.notebook_names()
    chosen = []
    for name in names:
        found = [nb for nb in every if nb == name or nb.split("_", 1)[0] == name]
        if not found:
            raise ValueError(f"no notebook {name!r}; the notebooks are {every}")
        chosen += found
    return [nb for nb in every if nb in chosen] if names else list(every)


def verify_jobs(profiles: list[str], scratch: Path, notebooks: Sequence[str] = ()) -> tuple[list[Job], list[str]]:
    """The reports to rerun (committed ones of ``profiles`` whose data is present, of the
    ``notebooks`` chosen by :func:`chosen_notebooks`) and the ones skipped, with why."""
    jobs, skipped = [], []
    for notebook in chosen_notebooks(notebooks):
        for profile in profiles:
            committed = reports_dir() / notebook / profile
            if profile not in P.profile_names(notebook):
                continue
            if not (committed / "results.json").is_file():
                skipped.append(f"{notebook}/{profile}: no committed report")
                continue
            if profile not in P.SYNTHETIC_PROFILES:
                ok, why = real_profile_available(notebook, profile)
                if not ok:
                    skipped.append(f"{notebook}/{profile}: {why}")
                    continue
            jobs.append(Job(notebook, profile, scratch / "reports" / notebook / profile,
                            expected_s=previous_wall_seconds(committed)))
    return jobs, skipped


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mer_lib.verify", description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", default="demo", help="comma-separated profiles (default demo)")
    parser.add_argument("--notebooks", default="", help="comma-separated notebooks or their numbers (default all)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    parser.add_argument("--tolerance", type=float, default=0.0, help="largest accepted |difference|")
    parser.add_argument("--keep", type=Path, help="scratch folder to use and keep (default: a temporary one)")
    parser.add_argument("--timing-out", type=Path, help="write the wall times to this JSON file")
    args = parser.parse_args(argv)
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    try:
        notebooks = chosen_notebooks([n.strip() for n in args.notebooks.split(",") if n.strip()])
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    scratch = Path(args.keep or tempfile.mkdtemp(prefix="mer-verify-")).resolve()
    if args.keep and scratch.exists() and any(scratch.iterdir()):
        print(f"error: --keep {scratch} must be a new or empty folder (the cache must start cold)",
              file=sys.stderr)
        return 2
    env = cold_environment(scratch)
    jobs, skipped = verify_jobs(profiles, scratch, notebooks)
    for line in skipped:
        print(f"[verify] skip {line}")
    print(f"[verify] {len(jobs)} reports, {args.jobs} at a time, cold cache in {env['MER_CACHE_DIR']}", flush=True)
    started = time.time()
    try:
        status = run_many(jobs, args.jobs, env=env, log_dir=scratch / "logs")
    except KeyboardInterrupt:
        print("[verify] stopped", file=sys.stderr)
        return 130
    wall = time.time() - started
    results = []
    for job in jobs:
        name = f"{job.notebook}/{job.profile}"
        if status.get(name) != 0:
            results.append(Comparison(name, failed=f"run exited {status.get(name)}, log in {scratch / 'logs'}"))
            continue
        results.append(compare_reports(reports_dir() / job.notebook / job.profile, job.out,
                                       args.tolerance, name))
    print()
    for result in results:
        print(result.line())
        for key, old, new in result.differences[:SHOWN]:
            print(f"    {key}: committed {old!r}, rerun {new!r}")
        if len(result.differences) > SHOWN:
            print(f"    ... and {len(result.differences) - SHOWN} more")
    bad = [r for r in results if not r.ok]
    print(f"\n[verify] {len(results) - len(bad)} of {len(results)} reports reproduce "
          f"(tolerance {args.tolerance:g}) in {wall:.0f} s with {args.jobs} at a time")
    if args.timing_out:
        atomic_write_text(args.timing_out, json.dumps({
            "what": "make verify: every report rerun from a cold cache",
            "parallel": args.jobs, "wall_s": round(wall, 1), "profiles": profiles,
            "reports": {r.name: r.ok for r in results},
        }, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
