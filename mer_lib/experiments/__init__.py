"""How each paper is run: its result rows, data preparation and scoring, one module per paper.

The networks are in :mod:`mer_lib.models` (architecture only); a module here says which rows
a paper's table has (:class:`mer_lib.experiments.rows.Row`), how a dataset's table becomes
their inputs and targets, and how their outputs are scored. Every network trains through
:func:`mer_lib.train.fit_and_test`.

Modules: :mod:`.rows` (the row shape), :mod:`.jeon2017`, :mod:`.rajamani2020`,
:mod:`.zhao2022`, :mod:`.zhao2023`, :mod:`.mmer_analysis`, :mod:`.mmer_analysis_findings`.
"""
