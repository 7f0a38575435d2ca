"""One cell's work (:func:`run_cell`, run by :func:`mer_lib.grid.run`): a row fitted on a task
with a seed, its validation and test predictions scored.

This module does not import the registry of rows (:data:`mer_lib.experiments.benchmark.METHODS`):
the row comes in as an argument. So a cell's digest covers the code every cell shares (this
module and what it imports: the trainer, the metrics, the tasks and, through
:mod:`mer_lib.experiments.rows`, the networks' registry) and its own row's module
(:func:`mer_lib.experiments.benchmark.cells.cell_inputs`), not every paper's: a change to one
paper's experiment or benchmark rows recomputes only that paper's cells.

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

import time

import numpy as np

from mer_lib import metrics, train
from mer_lib.experiments.benchmark.base import Budget, Method
from mer_lib.experiments.benchmark.tasks import Task
from mer_lib.grid import Cell
from mer_lib.repro import seed_everything


def run_cell(cell: Cell, method: Method, task: Task, budget: Budget) -> dict:
    """Fit ``method`` (the row ``cell.row``) on ``task`` with ``cell.seed``; score its validation
    and test predictions.

    Returns:
        ``{"validation_accuracy", "accuracy", "f1_macro", "test_predictions"}`` (class indices)
        and ``seconds``, the cell's wall time on its worker (a rerun that reads the cell from
        the cache keeps it, so a grid computed over several runs still adds up its cost).

    Raises:
        ValueError: ``method`` is not the cell's row.
    """
    if method.row.name != cell.row:
        raise ValueError(f"cell {cell.label()} was given the row {method.row.name!r}")
    started = time.perf_counter()
    with train.torch_threads(budget.torch_threads):
        inputs = method.inputs(task, budget, 1, False) if method.inputs is not None else {}
        seed_everything(cell.seed)
        validation, test = method.fit(task, cell.seed, budget, inputs)
    truth = task.labels("test")
    return {"validation_accuracy": metrics.accuracy(task.labels("validation"), validation),
            "accuracy": metrics.accuracy(truth, test), "f1_macro": metrics.f1_macro(truth, test),
            "test_predictions": np.asarray(test).astype(int).tolist(), "seconds": time.perf_counter() - started}
