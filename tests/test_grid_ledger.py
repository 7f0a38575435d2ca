"""mer_lib.grid_ledger: a session's line is read from the cells it finished, and replaces its old line."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from mer_lib import grid_ledger

SINCE = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc)


def _cell(folder, name: str, seconds: float, finished_after: float) -> None:
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"cell": {"row": "r", "task": "t", "seed": 0}, "result": {"seconds": seconds}}))
    finished = SINCE.timestamp() + finished_after
    os.utime(path, (finished, finished))


def test_a_session_line_spans_its_first_cell_start_to_its_last_cell_end_and_sums_the_cell_times(tmp_path):
    _cell(tmp_path, "old", 50.0, -3600.0)                # finished before the session: not its own
    _cell(tmp_path, "a", 600.0, 900.0)                   # ran from +300 s to +900 s
    _cell(tmp_path, "b", 1800.0, 3600.0)                 # ran from +1800 s to +3600 s
    line = grid_ledger.session_line(tmp_path, "s1", SINCE)
    assert line == {"session": "s1", "grid_started": "2026-12-03T09:05:00Z", "last_cell": "2026-12-03T10:00:00Z",
                    "wall_hours": round(3300 / 3600, 3), "cells": 2, "cell_hours": 0.667,
                    "cpu": grid_ledger.cpu_name()}


def test_recording_a_session_again_replaces_its_line_and_keeps_the_others(tmp_path):
    _cell(tmp_path, "a", 360.0, 360.0)
    grid_ledger.record(tmp_path, "s1", SINCE)
    grid_ledger.record(tmp_path, "s2", SINCE)
    _cell(tmp_path, "b", 360.0, 720.0)
    grid_ledger.record(tmp_path, "s2", SINCE)
    ledger = grid_ledger.read(tmp_path)
    assert list(ledger["session"]) == ["s1", "s2"] and list(ledger["cells"]) == [1, 2]
    assert list(ledger.columns) == grid_ledger.COLUMNS


def test_a_session_that_finished_no_cell_is_an_error_naming_it(tmp_path):
    _cell(tmp_path, "old", 50.0, -60.0)
    with pytest.raises(ValueError, match="nothing to record for 's3'"):
        grid_ledger.record(tmp_path, "s3", SINCE)
    assert not (tmp_path / grid_ledger.LEDGER).exists()


def test_a_folder_without_a_ledger_reads_as_no_lines(tmp_path):
    assert grid_ledger.read(tmp_path).empty


@pytest.mark.parametrize(("flags", "widest"), [("fpu avx avx2 fma avx512f avx512_bf16", "AVX-512"),
                                               ("fpu avx avx2 fma", "AVX2"), ("fpu sse2", "no AVX2")])
def test_the_cpu_is_named_by_its_model_and_its_widest_vector_instructions(tmp_path, flags, widest):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: Some CPU 9000\nflags\t\t: {flags}\n\n"
                       f"processor\t: 1\nmodel name\t: Some CPU 9000\nflags\t\t: {flags}\n")
    assert grid_ledger.cpu_name(cpuinfo) == f"Some CPU 9000 ({widest})"


def test_a_ledger_written_before_the_cpu_column_reads_with_the_cpu_not_recorded(tmp_path):
    (tmp_path / grid_ledger.LEDGER).write_text("session,grid_started,last_cell,wall_hours,cells,cell_hours\n"
                                               "s1,2026-12-03T09:05:00Z,2026-12-03T10:00:00Z,0.917,2,0.667\n")
    ledger = grid_ledger.read(tmp_path)
    assert list(ledger.columns) == grid_ledger.COLUMNS and list(ledger["cpu"]) == ["not recorded"]
