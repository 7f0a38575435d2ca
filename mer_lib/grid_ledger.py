"""The wall time of a grid computed over several sessions: one ledger line per session.

A grid too large for one sitting (notebook 06's ``real`` profile) is computed by several
runs, each reading the cells already in its cache and adding the ones it finishes. A run cut
off by the end of its session never reaches the line that prints its wall time, so each
session records its line from the cells it finished: ``python -m mer_lib.grid_ledger
<cells folder> <session> --since <when the run started>``. A cell's file time is when it
finished and its ``seconds`` how long it ran on its worker, so a session's grid started at
the earliest finish less its time and ended at the last finish.

The ledger, ``sessions.csv`` beside the cells, has ``session, grid_started, last_cell,
wall_hours, cells, cell_hours, cpu``; ``cpu`` names the processor that computed the session's
cells (the machine recording them), because a grid's sessions run on machines drawn by chance
and its cells are meant to be the same on each (``mer_lib.repro.PINNED_NUMERICS``); the
grid's wall time is the sum of ``wall_hours`` (a cell
cut off by a session's end is computed again by the next, and its lost time is in no line).
File times do not survive a ``git clone``: record a session before its cells are committed.

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
from pathlib import Path

import pandas as pd

from mer_lib.fileio import atomic_write_text

LEDGER = "sessions.csv"
COLUMNS = ["session", "grid_started", "last_cell", "wall_hours", "cells", "cell_hours", "cpu"]
CPUINFO = Path("/proc/cpuinfo")


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cpu_name(cpuinfo: Path = CPUINFO) -> str:
    """This machine's processor, e.g. ``"AMD EPYC (AVX2)"``: its model name and its widest vector
    instructions (AVX-512, AVX2), which decide the kernels a library picks where it is not pinned."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return platform.processor() or platform.machine()
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = set(fields.get("flags", "").split())
    widest = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{fields.get('model name', platform.machine())} ({widest})"


def session_line(folder: str | os.PathLike, session: str, since: dt.datetime) -> dict:
    """The ledger line of the cells in ``folder`` that finished at ``since`` or later.

    Raises:
        ValueError: When no cell finished since then.
    """
    finished = []
    for path in Path(folder).glob("*.json"):
        end = path.stat().st_mtime
        if end >= since.timestamp():
            finished.append((end - json.loads(path.read_text())["result"]["seconds"], end))
    if not finished:
        raise ValueError(f"no cell in {folder} finished since {since.isoformat()}: nothing to record for {session!r}")
    started, ended = min(s for s, _ in finished), max(e for _, e in finished)
    return {"session": session, "grid_started": _iso(started), "last_cell": _iso(ended),
            "wall_hours": round((ended - started) / 3600, 3), "cells": len(finished),
            "cell_hours": round(sum(e - s for s, e in finished) / 3600, 3), "cpu": cpu_name()}


def read(folder: str | os.PathLike) -> pd.DataFrame:
    """The ledger of the grid in ``folder`` (no lines when it has none)."""
    path = Path(folder) / LEDGER
    ledger = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=COLUMNS)
    if "cpu" not in ledger:  # a ledger from before the column
        ledger["cpu"] = "not recorded"
    return ledger[COLUMNS]


def record(folder: str | os.PathLike, session: str, since: dt.datetime) -> dict:
    """Write (or replace) ``session``'s line of the ledger in ``folder``; return it."""
    line = session_line(folder, session, since)
    ledger = read(folder)
    ledger = pd.concat([ledger[ledger["session"] != session], pd.DataFrame([line])], ignore_index=True)
    atomic_write_text(Path(folder) / LEDGER, ledger[COLUMNS].to_csv(index=False))
    return line


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="the grid's cell folder (<cache>/benchmark_grid)")
    parser.add_argument("session", help="this session's name in the ledger")
    parser.add_argument("--since", required=True, type=dt.datetime.fromisoformat,
                        help="when this session's run started (ISO 8601, e.g. 2026-12-03T08:49:18+00:00)")
    args = parser.parse_args(argv)
    since = args.since if args.since.tzinfo else args.since.replace(tzinfo=dt.timezone.utc)
    print(record(args.folder, args.session, since))


if __name__ == "__main__":
    main()
