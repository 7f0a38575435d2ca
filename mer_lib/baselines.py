"""Linear floors to read a network's score against: a standardised logistic regression.

Notebook: ``00_primer``, ``01_jeon2017_end_to_end_polarity``, ``03_zhao2023_multifaceted_piano``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from mer_lib import metrics

#: Inverse regularisation strengths tried by :func:`logistic_baseline`.
C_GRID = (0.01, 0.1, 1.0, 10.0)


def logistic_pipeline(c: float, seed: int = 0, max_iter: int = 2000) -> Pipeline:
    """Standardisation then logistic regression with inverse regularisation ``c``."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter, random_state=seed))


def logistic_baseline(x: Mapping[str, np.ndarray], y: Mapping[str, np.ndarray], cs: Sequence[float] = C_GRID,
                      seed: int = 0, max_iter: int = 2000, column: str = "validation_acc") -> tuple[Pipeline, pd.DataFrame]:
    """A logistic regression whose ``C`` is chosen on validation accuracy.

    Args:
        x: ``{split: (clips, features)}`` with ``train`` and ``validation`` (``test`` is not read).
        y: ``{split: labels}`` for the same splits.
        cs: Inverse regularisation strengths to try.
        seed: Seed of the solver.
        max_iter: Solver iterations.
        column: Name of the validation-accuracy column of ``selection``.

    Returns:
        ``(model, selection)``: the pipeline fitted on ``train`` with the chosen ``C`` (the
        first of the best, on ties), and the validation accuracy of every ``C`` (indexed by ``C``).
    """
    missing = [s for s in ("train", "validation") if s not in x or s not in y]
    if missing:
        raise ValueError(f"logistic_baseline needs the {missing} split(s)")
    fitted, rows = {}, []
    for c in cs:
        model = logistic_pipeline(c, seed, max_iter)
        fitted[c] = model.fit(x["train"], y["train"])
        rows.append({"C": c, column: metrics.accuracy(y["validation"], model.predict(x["validation"]))})
    selection = pd.DataFrame(rows).set_index("C")
    return fitted[selection[column].idxmax()], selection
