"""The trainable rows of notebooks 01–05 as benchmark rows: each with the settings its notebook
uses and a head for the task (a softmax over its classes, or Zhao & Yoshii's V/A outputs read
as quadrants), where its paper had another task (:attr:`~mer_lib.experiments.benchmark.base.Method.head`).

One module per paper, each with its :data:`METHODS`. A cell's digest covers the module of its
row (:attr:`~mer_lib.experiments.benchmark.base.Method.modules`) and what that imports, so a
change to one paper's rows recomputes their cells and no others.

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

from mer_lib.experiments.benchmark.paper_rows import jeon2017, mmer_analysis, rajamani2020, zhao2022, zhao2023

#: Every paper's rows, in notebook order of the papers' tables (01, 04, 05, 02, 03).
PAPER_METHODS = (*jeon2017.METHODS, *zhao2022.METHODS, *mmer_analysis.METHODS, *rajamani2020.METHODS,
                 *zhao2023.METHODS)
