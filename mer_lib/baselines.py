"""Floors to read a network's score against: a standardised logistic regression on features,
a TF-IDF logistic regression on texts, and the majority class.

Notebook: ``00_primer``, ``01_jeon2017_end_to_end_polarity``, ``03_zhao2023_multifaceted_piano``,
``06_benchmark_common_data``.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
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
    return _chosen_on_validation(lambda c: logistic_pipeline(c, seed, max_iter), x, y, cs, column)


def tfidf_pipeline(c: float, seed: int = 0, max_iter: int = 2000) -> Pipeline:
    """TF-IDF of word unigrams and bigrams (sublinear counts), then logistic regression with ``c``."""
    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode"),
                         LogisticRegression(C=c, max_iter=max_iter, random_state=seed))


def text_logistic_baseline(texts: Mapping[str, Sequence[str]], y: Mapping[str, np.ndarray],
                           cs: Sequence[float] = C_GRID, seed: int = 0,
                           max_iter: int = 2000) -> tuple[Pipeline, pd.DataFrame]:
    """A TF-IDF logistic regression on texts (:func:`tfidf_pipeline`), ``C`` chosen on validation
    accuracy; the vocabulary and its weights are fitted on ``train`` only.

    Args:
        texts: ``{split: [text per clip]}`` with ``train`` and ``validation``.
        y: ``{split: labels}`` for the same splits.
        cs: Inverse regularisation strengths to try.
        seed: Seed of the solver.
        max_iter: Solver iterations.

    Returns:
        ``(model, selection)`` as :func:`logistic_baseline`.
    """
    return _chosen_on_validation(lambda c: tfidf_pipeline(c, seed, max_iter), texts, y, cs, "validation_acc")


def majority_class(labels: Sequence) -> object:
    """The most frequent label (the smallest of the most frequent, on ties)."""
    counts = pd.Series(list(labels)).value_counts()
    if counts.empty:
        raise ValueError("majority_class needs at least one label")
    return min(counts.index[counts == counts.max()])


def _chosen_on_validation(make: Callable[[float], Pipeline], x: Mapping, y: Mapping[str, np.ndarray],
                          cs: Sequence[float], column: str) -> tuple[Pipeline, pd.DataFrame]:
    missing = [s for s in ("train", "validation") if s not in x or s not in y]
    if missing:
        raise ValueError(f"a baseline needs the {missing} split(s)")
    fitted, rows = {}, []
    for c in cs:
        fitted[c] = make(c).fit(x["train"], y["train"])
        rows.append({"C": c, column: metrics.accuracy(y["validation"], fitted[c].predict(x["validation"]))})
    selection = pd.DataFrame(rows).set_index("C")
    return fitted[selection[column].idxmax()], selection
