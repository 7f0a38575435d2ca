"""Evaluation metrics as pure functions of ``(y_true, y_pred)`` arrays.

Regression (V/A), classification (quadrants, binary valence/arousal, clusters) and
multi-label tagging. Thin, documented wrappers around scikit-learn where it has the metric;
the paper-specific ones (``r2_eq4``) are written out.

Notebook: ``00_primer`` and every paper notebook.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn import metrics as skm

#: The four Russell quadrants, in class-index order (Q1 → 0 … Q4 → 3).
QUADRANTS = ("Q1", "Q2", "Q3", "Q4")


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


def output_quadrants(values) -> np.ndarray:
    """Quadrant labels read from targets or model outputs.

    Accepts ``(N, 2)`` (valence, arousal) probabilities or binary targets (threshold 0.5),
    ``(N, 4)`` class scores (argmax) or ``(N,)`` class indices.
    """
    values = np.asarray(values)
    if values.ndim == 1:
        return np.array(QUADRANTS)[values.astype(int)]
    if values.shape[1] == 2:
        return quadrant(values[:, 0] - 0.5, values[:, 1] - 0.5)
    if values.shape[1] == len(QUADRANTS):
        return np.array(QUADRANTS)[values.argmax(axis=1)]
    raise ValueError(f"cannot read quadrants from an array of shape {values.shape}")


def output_quadrant_accuracy(y_true, y_score) -> float:
    """4Q accuracy of model outputs against targets, both read by :func:`output_quadrants`."""
    return float(np.mean(output_quadrants(y_true) == output_quadrants(y_score)))


def mean_batch_accuracy(y_true, y_pred, batch_size: int = 16) -> float:
    """The mean of per-batch accuracies over consecutive batches of ``batch_size`` clips.

    What a loop that averages each batch's accuracy reports (EMOPIA_cls's ``test_acc``:
    PyTorch Lightning's mean of per-batch ``correct / batch size``, batches in the split
    file's order). It equals :func:`accuracy` when every batch is full; a smaller last batch
    weighs as much as a full one (86 test clips in batches of 16: the last 6 clips count as
    much as 16).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    correct = np.asarray(y_true) == np.asarray(y_pred)
    return float(np.mean([correct[i:i + batch_size].mean() for i in range(0, len(correct), batch_size)]))


def argmax_accuracy(y_true, y_score) -> float:
    """Accuracy of the arg-max class of ``y_score`` ``(N, classes)`` against the class index in
    the first column of ``y_true`` ``(N, 1)`` (the layout of :class:`mer_lib.losses.MultiTaskLoss`)."""
    return accuracy(np.asarray(y_true)[:, 0].astype(int), np.asarray(y_score).argmax(axis=1))


def task_scores(y_true: np.ndarray, y_score: np.ndarray, n_regression: int,
                regression_names: Sequence[str] = ("valence", "arousal"),
                classes: bool = False) -> dict[str, float]:
    """Test metrics of one multi-task model (layouts of :class:`mer_lib.losses.MultiTaskLoss`).

    Regression: ``r2_<name>`` (scikit-learn, 1 − SS_res/SS_tot) and ``r2eq4_<name>`` (Zhao et
    al. 2022's Eq. 4, SS_reg/SS_tot) per target, and their means ``r2_mean``/``r2eq4_mean``.
    Classification: ``f1_macro`` and ``acc`` of the arg-max class.
    """
    out = {}
    names = list(regression_names)[:n_regression]
    for j, name in enumerate(names):
        out[f"r2_{name}"] = r2(y_true[:, j], y_score[:, j])
        out[f"r2eq4_{name}"] = r2_eq4(y_true[:, j], y_score[:, j])
    if names:
        out["r2_mean"] = float(np.mean([out[f"r2_{n}"] for n in names]))
        out["r2eq4_mean"] = float(np.mean([out[f"r2eq4_{n}"] for n in names]))
    if classes:
        truth = y_true[:, n_regression].astype(int)
        predicted = y_score[:, n_regression:].argmax(axis=1)
        out["f1_macro"] = f1_macro(truth, predicted)
        out["acc"] = accuracy(truth, predicted)
    return out


def selection_metric(n_regression: int, classes: bool) -> Callable[[np.ndarray, np.ndarray], float]:
    """Validation score for early stopping (higher is better): the mean of the scikit-learn
    R² of the regression targets and/or the macro-F1 of the classes, averaged."""
    def score(y_true: np.ndarray, y_score: np.ndarray) -> float:
        s = task_scores(y_true, y_score, n_regression, [str(j) for j in range(n_regression)], classes)
        parts = ([s["r2_mean"]] if n_regression else []) + ([s["f1_macro"]] if classes else [])
        return float(np.mean(parts))
    return score


def va_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Test metrics of V/A predictions ``(clips, 2)``.

    Per dimension (``valence``, ``arousal``): ``r2_*`` (scikit-learn), ``mae_*``, ``mse_*`` and
    ``range_ratio_*`` (range of the predictions / range of the observed values; < 1: the
    predictions cover a narrower range). Quadrants read from the predicted and observed V/A:
    ``q4_acc``, ``acc_q1``..``acc_q4`` (accuracy on the clips of each true quadrant; NaN when
    the test split has none) and ``quadrant_acc_std`` (their spread: 0 = balanced).
    """
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    out = {}
    for j, name in enumerate(("valence", "arousal")):
        t, p = y_true[:, j], y_pred[:, j]
        out[f"r2_{name}"] = r2(t, p)
        out[f"mae_{name}"] = mae(t, p)
        out[f"mse_{name}"] = mse(t, p)
        out[f"range_ratio_{name}"] = float(np.ptp(p) / np.ptp(t)) if np.ptp(t) > 0 else float("nan")
    out["r2_mean"] = (out["r2_valence"] + out["r2_arousal"]) / 2
    q_true = quadrant(y_true[:, 0], y_true[:, 1])
    q_pred = quadrant(y_pred[:, 0], y_pred[:, 1])
    out["q4_acc"] = accuracy(q_true, q_pred)
    per_quadrant = [float((q_pred[q_true == q] == q).mean()) if (q_true == q).any() else float("nan")
                    for q in QUADRANTS]
    out.update({f"acc_{q.lower()}": a for q, a in zip(QUADRANTS, per_quadrant)})
    out["quadrant_acc_std"] = float(np.nanstd(per_quadrant))
    return out


def confusion(y_true, y_pred, labels) -> np.ndarray:
    """Confusion matrix (rows: true, columns: predicted) over ``labels``."""
    return skm.confusion_matrix(*_pair(y_true, y_pred), labels=list(labels))


def _tag_pair(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    """``(clips, tags)`` ground truth (as bool) and scores of one shape."""
    y_true, scores = _pair(y_true, scores)
    if y_true.ndim != 2:
        raise ValueError(f"tagging metrics need (clips, tags) arrays, got shape {y_true.shape}")
    return y_true.astype(bool), scores


def roc_auc_per_tag(y_true, scores) -> np.ndarray:
    """ROC-AUC of each tag (column); NaN for a tag whose test clips are all positive or all
    negative (the AUC is undefined there)."""
    y_true, scores = _tag_pair(y_true, scores)
    n = len(y_true)
    return np.array([skm.roc_auc_score(y_true[:, j], scores[:, j]) if 0 < y_true[:, j].sum() < n
                     else np.nan for j in range(y_true.shape[1])])


def average_precision_per_tag(y_true, scores) -> np.ndarray:
    """Average precision (PR-AUC) of each tag; NaN for a tag without positives."""
    y_true, scores = _tag_pair(y_true, scores)
    return np.array([skm.average_precision_score(y_true[:, j], scores[:, j]) if y_true[:, j].any()
                     else np.nan for j in range(y_true.shape[1])])


def roc_auc_macro(y_true, scores) -> float:
    """Macro ROC-AUC: the mean of the per-tag ROC-AUCs.

    When every tag has positives and negatives this is exactly what the MediaEval
    Emotion and Theme task computes, ``sklearn.metrics.roc_auc_score(y_true, scores,
    average="macro")``; tags with one class only (undefined AUC) are skipped instead of
    making the result NaN.
    """
    return float(np.nanmean(roc_auc_per_tag(y_true, scores)))


def pr_auc_macro(y_true, scores) -> float:
    """Macro PR-AUC: the mean of the per-tag average precisions.

    Equal to MediaEval's ``sklearn.metrics.average_precision_score(y_true, scores,
    average="macro")`` when every tag has positives; tags without positives are skipped
    (scikit-learn would count them as 0).
    """
    return float(np.nanmean(average_precision_per_tag(y_true, scores)))


def roc_auc_micro(y_true, scores) -> float:
    """Micro ROC-AUC: one ROC curve over all (clip, tag) pairs (frequent tags weigh more)."""
    y_true, scores = _tag_pair(y_true, scores)
    return float(skm.roc_auc_score(y_true, scores, average="micro"))


def pr_auc_micro(y_true, scores) -> float:
    """Micro PR-AUC: average precision over all (clip, tag) pairs."""
    y_true, scores = _tag_pair(y_true, scores)
    return float(skm.average_precision_score(y_true, scores, average="micro"))


def f1_micro(y_true, y_pred) -> float:
    """F1 of all decisions pooled (multi-label indicator arrays or class labels)."""
    return float(skm.f1_score(*_pair(y_true, y_pred), average="micro", zero_division=0))


def best_f1_thresholds(y_true, scores) -> np.ndarray:
    """Per-tag decision thresholds that maximise that tag's F1 on ``(y_true, scores)``.

    Compute them on the **validation** split and apply them to the test scores with
    :func:`apply_thresholds`. This is the procedure of the MediaEval task's
    ``calculate_decisions``; a tag without positives gets ``inf`` (never predicted).
    """
    y_true, scores = _tag_pair(y_true, scores)
    thresholds = np.full(y_true.shape[1], np.inf)
    for j in range(y_true.shape[1]):
        if y_true[:, j].any():
            precision, recall, candidates = skm.precision_recall_curve(y_true[:, j], scores[:, j])
            with np.errstate(invalid="ignore", divide="ignore"):
                f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
            thresholds[j] = candidates[np.argmax(f1[:-1])]
    return thresholds


def apply_thresholds(scores, thresholds, strict: bool = False) -> np.ndarray:
    """Decisions ``scores >= thresholds`` per tag (``>`` with ``strict``, as the MediaEval
    scripts write them)."""
    scores, thresholds = np.asarray(scores), np.asarray(thresholds)
    return scores > thresholds if strict else scores >= thresholds


def decision_scores(y_true, decisions) -> dict[str, float]:
    """Precision, recall and F-score of multi-label decisions, macro and micro averaged.

    Macro: the mean over tags of each tag's binary score; micro: the binary score of all
    (clip, tag) pairs pooled. This equals MediaEval's ``precision_recall_fscore_support(...,
    average=...)`` (a tag never predicted counts 0) and stays right for a single tag, where
    scikit-learn would read an ``(n, 1)`` array as a two-class problem.
    """
    y_true, decisions = _tag_pair(y_true, decisions)
    decisions = decisions.astype(bool)

    def binary(truth, decided):
        return skm.precision_recall_fscore_support(truth, decided, average="binary", zero_division=0)[:3]

    per_tag = np.array([binary(y_true[:, j], decisions[:, j]) for j in range(y_true.shape[1])])
    pooled = binary(y_true.ravel(), decisions.ravel())
    out = {}
    for average, (p, r, f) in (("macro", per_tag.mean(axis=0)), ("micro", pooled)):
        out.update({f"precision_{average}": float(p), f"recall_{average}": float(r), f"f1_{average}": float(f)})
    return out


def tagging_scores(y_true, scores, thresholds=None) -> dict[str, float]:
    """Every tagging metric of one model: macro/micro ROC-AUC and PR-AUC, and with
    ``thresholds`` (chosen on validation) the decision metrics of :func:`decision_scores`.

    Keys: ``roc_auc``, ``pr_auc`` (macro, the task's headline metrics), ``roc_auc_micro``,
    ``pr_auc_micro``, and ``precision_/recall_/f1_`` + ``macro``/``micro``.
    """
    out = {
        "roc_auc": roc_auc_macro(y_true, scores), "pr_auc": pr_auc_macro(y_true, scores),
        "roc_auc_micro": roc_auc_micro(y_true, scores), "pr_auc_micro": pr_auc_micro(y_true, scores),
    }
    if thresholds is not None:
        out.update(decision_scores(y_true, apply_thresholds(scores, thresholds)))
    return out


def bootstrap_ci(y_true, y_pred, metric=accuracy, n_boot: int = 2000, alpha: float = 0.05,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``metric`` over test samples."""
    y_true, y_pred = _pair(y_true, y_pred)
    rng = np.random.default_rng(seed)
    n = len(y_true)
    values = [metric(y_true[idx], y_pred[idx]) for idx in rng.integers(0, n, (n_boot, n))]
    return float(np.quantile(values, alpha / 2)), float(np.quantile(values, 1 - alpha / 2))


def bootstrap_ci_over_seeds(y_true, y_preds, metric=accuracy, n_boot: int = 2000, alpha: float = 0.05,
                            seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the seed-mean of ``metric`` over one fixed test set.

    Every seed predicted the same test clips (``y_preds``: one array per seed, aligned with
    ``y_true``); each resample draws clips with replacement, scores every seed's predictions on
    them and averages over the seeds, so the interval is that of the number a table reports
    (the mean over seeds), with the test sample as the source of spread.
    """
    truth, pairs = _seed_predictions(y_true, y_preds, "bootstrap_ci_over_seeds")
    values = _seed_means(metric, truth, pairs, _resamples(len(truth), n_boot, seed))
    return float(np.quantile(values, alpha / 2)), float(np.quantile(values, 1 - alpha / 2))


def paired_bootstrap_over_seeds(y_true, y_preds, reference_preds, metric=accuracy, n_boot: int = 2000,
                                alpha: float = 0.05, seed: int = 0) -> tuple[float, float, float]:
    """The seed-mean of ``metric`` minus a reference's, with a paired percentile bootstrap interval.

    Both ran on the same test clips (one prediction array per seed each; the seed counts may
    differ: a deterministic baseline has one). Each resample draws clips with replacement and
    scores both on the same draw, so the interval is that of the difference, not of two
    separate intervals.

    Returns:
        ``(difference, low, high)``.
    """
    truth, pairs = _seed_predictions(y_true, y_preds, "paired_bootstrap_over_seeds")
    _, reference = _seed_predictions(y_true, reference_preds, "paired_bootstrap_over_seeds")
    whole = np.arange(len(truth))
    difference = _seed_mean(metric, truth, pairs, whole) - _seed_mean(metric, truth, reference, whole)
    resamples = _resamples(len(truth), n_boot, seed)
    values = _seed_means(metric, truth, pairs, resamples) - _seed_means(metric, truth, reference, resamples)
    return float(difference), float(np.quantile(values, alpha / 2)), float(np.quantile(values, 1 - alpha / 2))


def _seed_predictions(y_true, y_preds, caller: str) -> tuple[np.ndarray, list[np.ndarray]]:
    y_preds = [np.asarray(p) for p in y_preds]
    if not y_preds:
        raise ValueError(f"{caller} needs the predictions of at least one seed")
    pairs = [_pair(y_true, p) for p in y_preds]
    return pairs[0][0], [pred for _, pred in pairs]


def _resamples(n: int, n_boot: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, (n_boot, n))


def _seed_mean(metric, truth: np.ndarray, predictions: list[np.ndarray], idx: np.ndarray) -> float:
    return float(np.mean([metric(truth[idx], pred[idx]) for pred in predictions]))


def _seed_means(metric, truth: np.ndarray, predictions: list[np.ndarray], resamples: np.ndarray) -> np.ndarray:
    """:func:`_seed_mean` of every resample (a row of clip indices each)."""
    if metric is accuracy:  # all resamples at once: the same numbers, without a scikit-learn call per resample
        return np.mean([(truth[resamples] == pred[resamples]).mean(axis=1) for pred in predictions], axis=0)
    return np.array([_seed_mean(metric, truth, predictions, idx) for idx in resamples])


def per_tag_report(y_true, scores, tags):
    """One row per tag: ``positives``, ``prevalence``, ``roc_auc`` and ``pr_auc``.

    ``pr_auc`` is best read against ``prevalence``: a random scorer's average precision is
    the tag's share of positive clips.
    """
    y_true, scores = _tag_pair(y_true, scores)
    if len(tags) != y_true.shape[1]:
        raise ValueError(f"{len(tags)} tag names for {y_true.shape[1]} columns")
    return pd.DataFrame({
        "positives": y_true.sum(axis=0), "prevalence": y_true.mean(axis=0),
        "roc_auc": roc_auc_per_tag(y_true, scores), "pr_auc": average_precision_per_tag(y_true, scores),
    }, index=pd.Index(list(tags), name="tag"))
