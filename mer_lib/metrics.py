"""Evaluation metrics as pure functions of ``(y_true, y_pred)`` arrays.

Regression (V/A), classification (quadrants, binary valence/arousal, clusters) and
multi-label tagging. Thin, documented wrappers around scikit-learn where it has the metric;
the paper-specific ones (``r2_eq4``) are written out.

Notebook: ``00_primer`` and every paper notebook.
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred shapes differ: {y_true.shape} vs {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("metrics need at least one sample")
    return y_true, y_pred


def r2(y_true, y_pred) -> float:
    """Coefficient of determination, 1 − SS_res / SS_tot (scikit-learn's ``r2_score``)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(skm.r2_score(y_true, y_pred))


def r2_eq4(y_true, y_pred) -> float:
    """Explained-sum-of-squares ratio, SS_reg / SS_tot = Σ(ŷ − ȳ)² / Σ(y − ȳ)².

    This is Eq. 4 of Zhao et al. (2022). It equals :func:`r2` only for least-squares fits
    with an intercept evaluated on their training data; elsewhere it can exceed 1 and does
    not penalise bias, so the two are reported side by side.

    Reference: Zhao et al., ICME 2022, Eq. 4.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    mean = y_true.mean()
    total = float(((y_true - mean) ** 2).sum())
    if total == 0.0:
        raise ValueError("r2_eq4 is undefined when y_true is constant")
    return float(((y_pred - mean) ** 2).sum() / total)


def mae(y_true, y_pred) -> float:
    """Mean absolute error."""
    return float(skm.mean_absolute_error(*_pair(y_true, y_pred)))


def mse(y_true, y_pred) -> float:
    """Mean squared error."""
    return float(skm.mean_squared_error(*_pair(y_true, y_pred)))


def accuracy(y_true, y_pred) -> float:
    """Fraction of exact matches."""
    return float(skm.accuracy_score(*_pair(y_true, y_pred)))


def f1_macro(y_true, y_pred) -> float:
    """Unweighted mean of per-class F1 (classes absent from both arrays are ignored)."""
    return float(skm.f1_score(*_pair(y_true, y_pred), average="macro", zero_division=0))


def quadrant(valence, arousal) -> np.ndarray:
    """Russell quadrant of each (valence, arousal) pair centred at 0.

    ``Q1`` = +V+A, ``Q2`` = −V+A, ``Q3`` = −V−A, ``Q4`` = +V−A; a value of exactly 0
    counts as positive.
    """
    v, a = np.asarray(valence) >= 0, np.asarray(arousal) >= 0
    return np.where(v, np.where(a, "Q1", "Q4"), np.where(a, "Q2", "Q3"))


def quadrant_valence(q) -> np.ndarray:
    """Binary valence class of a quadrant label: 1 for Q1/Q4 (positive), 0 for Q2/Q3."""
    return np.isin(np.asarray(q), ["Q1", "Q4"]).astype(int)


def quadrant_arousal(q) -> np.ndarray:
    """Binary arousal class of a quadrant label: 1 for Q1/Q2 (high), 0 for Q3/Q4."""
    return np.isin(np.asarray(q), ["Q1", "Q2"]).astype(int)


def quadrant_scores(q_true, q_pred) -> dict[str, float]:
    """4Q accuracy plus the binary valence and arousal accuracies read from the quadrants."""
    q_true, q_pred = _pair(q_true, q_pred)
    return {
        "q4_acc": accuracy(q_true, q_pred),
        "valence_acc": accuracy(quadrant_valence(q_true), quadrant_valence(q_pred)),
        "arousal_acc": accuracy(quadrant_arousal(q_true), quadrant_arousal(q_pred)),
    }


def confusion(y_true, y_pred, labels) -> np.ndarray:
    """Confusion matrix (rows: true, columns: predicted) over ``labels``."""
    return skm.confusion_matrix(*_pair(y_true, y_pred), labels=list(labels))


def roc_auc_macro(y_true, scores) -> float:
    """Macro ROC-AUC over tags (columns); tags with one class only are skipped."""
    y_true, scores = _pair(y_true, scores)
    keep = [j for j in range(y_true.shape[1]) if 0 < y_true[:, j].sum() < len(y_true)]
    return float(np.mean([skm.roc_auc_score(y_true[:, j], scores[:, j]) for j in keep]))


def pr_auc_macro(y_true, scores) -> float:
    """Macro PR-AUC (average precision) over tags; tags without positives are skipped."""
    y_true, scores = _pair(y_true, scores)
    keep = [j for j in range(y_true.shape[1]) if y_true[:, j].sum() > 0]
    return float(np.mean([skm.average_precision_score(y_true[:, j], scores[:, j]) for j in keep]))


def bootstrap_ci(y_true, y_pred, metric=accuracy, n_boot: int = 2000, alpha: float = 0.05,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``metric`` over test samples."""
    y_true, y_pred = _pair(y_true, y_pred)
    rng = np.random.default_rng(seed)
    n = len(y_true)
    values = [metric(y_true[idx], y_pred[idx]) for idx in rng.integers(0, n, (n_boot, n))]
    return float(np.quantile(values, alpha / 2)), float(np.quantile(values, 1 - alpha / 2))
