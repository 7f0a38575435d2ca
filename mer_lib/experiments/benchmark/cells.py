"""The grid's cells: which (row, task, seed) run and why the others do not, the features
computed once before the grid, and what determines a cell besides its work
(:func:`cell_inputs`; the work is :func:`mer_lib.experiments.benchmark.cell_run.run_cell`).

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Sequence

import pandas as pd

from mer_lib import provenance
from mer_lib.experiments import rows
from mer_lib.experiments.benchmark import METHODS, ROWS
from mer_lib.experiments.benchmark.base import Budget
from mer_lib.experiments.benchmark.tasks import Task
from mer_lib.experiments.rows import Row
from mer_lib.grid import Cell


def grid_cells(tasks: Sequence[Task], chosen: Sequence[Row], seeds: Sequence[int]) -> tuple[list[Cell], pd.DataFrame]:
    """The grid's cells, and a (row × task) table saying which run and why the others do not."""
    grid, status = [], {}
    for task in tasks:
        ran, table = rows.runnable(chosen, task.modalities, (task.label,), dataset=task.name, require_one=False)
        for name, why in table["status"].items():
            lacking = [m for m in ROWS[name].modalities if m in task.left_out]
            status[(name, task.name)] = f"— ({task.left_out[lacking[0]]})" if lacking else (
                "runs" if why == "ran" else f"— ({why.removeprefix('skipped: ')})")
        grid += [Cell(row.name, task.name, seed) for row in ran for seed in seeds]
    index = pd.Index([row.name for row in chosen], name="row")
    frame = pd.DataFrame({task.name: [status[(r, task.name)] for r in index] for task in tasks}, index=index)
    return grid, frame


def prepare_features(tasks: Sequence[Task], chosen: Sequence[Row], budget: Budget, n_jobs: int = -1,
                     progress: bool = True) -> pd.DataFrame:
    """Compute the chosen rows' features for every task here, over ``n_jobs`` processes, into
    the on-disk cache the grid's cells then read; one line per (task, row) with its inputs."""
    records = []
    for task in tasks:
        for row in chosen:
            method = METHODS[row.name]
            if method.inputs is not None and not row.lacks(task.modalities, (task.label,)):  # only rows that run
                found = method.inputs(task, budget, n_jobs, progress)
                records.append({"task": task.name, "row": row.name, "inputs": ", ".join(found)})
    return pd.DataFrame(records, columns=["task", "row", "inputs"])


def origins(chosen: Sequence[Row]) -> pd.DataFrame:
    """Per row: where it comes from, what it needs and its head on these tasks."""
    return pd.DataFrame([{"row": row.name, "source": METHODS[row.name].source,
                          "needs": " + ".join(row.modalities) or "nothing",
                          "head": METHODS[row.name].head or "its own"} for row in chosen]).set_index("row")


def cell_inputs(cell: Cell, task: Task, budget: Budget) -> dict:
    """What determines a cell of ``task`` besides the cell and the work's code: the data, the
    budget and the code of the cell's row (the closure of its :attr:`~.base.Method.modules`)."""
    return {"task": task.fingerprint(), "classes": list(map(str, task.classes)), "budget": asdict(budget),
            "row_code": provenance.digest_of(METHODS[cell.row].modules, packages=())}
