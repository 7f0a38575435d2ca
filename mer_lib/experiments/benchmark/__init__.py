"""The common benchmark: the methods of the five papers and simple baselines on the same data,
split and seeds.

A *task* is one label of one dataset (``"mirex_mm:cluster"``) with one split and one set of
clips shared by every row (:mod:`.tasks`). A *row* is a :class:`~.base.Method`: a simple
baseline (:mod:`.simple`) or a trainable row of notebooks 01–05 with its notebook's settings
and a head for the task (:mod:`.paper_rows`, one module per paper). A *cell* is one row
trained on one task with one seed (:class:`mer_lib.grid.Cell`); :mod:`.cells` builds the grid,
:mod:`.cell_run` computes a cell, which :func:`mer_lib.grid.run` runs on Dask; :mod:`.scoring`
turns the cells into tables, ranks, paired comparisons and verdicts. Model selection reads
validation only; the test split is read once, by the result.

:data:`METHODS` is the registry of rows, :data:`ROWS` their :class:`~mer_lib.experiments.rows.Row`
declarations (what each needs), in table order.

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

from mer_lib.experiments import rows
from mer_lib.experiments.benchmark.paper_rows import PAPER_METHODS
from mer_lib.experiments.benchmark.simple import SIMPLE_METHODS

METHODS = {method.row.name: method for method in (*SIMPLE_METHODS, *PAPER_METHODS)}
ROWS = rows.table(*(method.row for method in METHODS.values()))
