"""Metrics against known values and scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from mer_lib import metrics


def test_r2_and_r2_eq4_known_values():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert metrics.r2(y, y) == 1.0
    # Predicting the mean: sklearn R2 = 0, Eq. 4 = 0.
    assert metrics.r2(y, np.full(4, 2.5)) == pytest.approx(0.0)
    assert metrics.r2_eq4(y, np.full(4, 2.5)) == pytest.approx(0.0)
    # A biased but perfectly correlated prediction: Eq. 4 ignores the bias, R2 punishes it.
    shifted = y + 1.0
    assert metrics.r2_eq4(y, shifted) == pytest.approx(((shifted - 2.5) ** 2).sum() / 5.0)
    assert metrics.r2(y, shifted) == pytest.approx(1 - 4 / 5.0)
    with pytest.raises(ValueError, match="constant"):
        metrics.r2_eq4(np.ones(3), np.arange(3.0))


def test_quadrants_and_binary_accuracies():
    assert metrics.quadrant([0.5, -0.5, -0.5, 0.5], [0.5, 0.5, -0.5, -0.5]).tolist() == ["Q1", "Q2", "Q3", "Q4"]
    scores = metrics.quadrant_scores(["Q1", "Q2", "Q3", "Q4"], ["Q1", "Q1", "Q4", "Q4"])
    assert scores == {"q4_acc": 0.5, "valence_acc": 0.5, "arousal_acc": 1.0}


def test_classification_metrics():
    assert metrics.accuracy([1, 0, 1], [1, 1, 1]) == pytest.approx(2 / 3)
    assert metrics.f1_macro(["a", "b"], ["a", "b"]) == 1.0
    assert metrics.confusion(["a", "b", "b"], ["a", "a", "b"], ["a", "b"]).tolist() == [[1, 0], [1, 1]]
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.accuracy([1, 2], [1])


def test_macro_auc_skips_tags_without_positives():
    rng = np.random.default_rng(0)
    y = rng.random((50, 3)) > 0.5
    y[:, 2] = False
    s = rng.random((50, 3))
    expected = np.mean([roc_auc_score(y[:, j], s[:, j]) for j in range(2)])
    assert metrics.roc_auc_macro(y, s) == pytest.approx(expected)
    assert 0 <= metrics.pr_auc_macro(y, s) <= 1


def test_bootstrap_over_seeds_brackets_the_seed_mean_and_narrows_nothing_for_identical_seeds():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    preds = [np.where(rng.random(200) < p, y, 1 - y) for p in (0.7, 0.8)]
    low, high = metrics.bootstrap_ci_over_seeds(y, preds, seed=0, n_boot=500)
    assert low < np.mean([metrics.accuracy(y, p) for p in preds]) < high
    single = metrics.bootstrap_ci(y, preds[0], seed=0, n_boot=500)
    assert metrics.bootstrap_ci_over_seeds(y, [preds[0], preds[0]], seed=0, n_boot=500) == pytest.approx(single)
    with pytest.raises(ValueError, match="at least one seed"):
        metrics.bootstrap_ci_over_seeds(y, [])


def test_bootstrap_ci_brackets_the_estimate():
    y = np.array([0, 1] * 50)
    pred = y.copy()
    pred[:20] = 1 - pred[:20]
    low, high = metrics.bootstrap_ci(y, pred, seed=0)
    assert low < metrics.accuracy(y, pred) < high


def test_va_scores_read_errors_ranges_and_quadrants_from_va_predictions():
    y = np.array([[0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5], [0.5, -0.5]])
    perfect = metrics.va_scores(y, y)
    assert perfect["r2_valence"] == 1 and perfect["mae_arousal"] == 0 and perfect["q4_acc"] == 1
    assert perfect["range_ratio_valence"] == 1 and perfect["quadrant_acc_std"] == 0
    shrunk = metrics.va_scores(y, 0.5 * y + np.array([0.0, 0.3]))     # arousal all positive: Q3/Q4 lost
    assert shrunk["range_ratio_arousal"] == pytest.approx(0.5)
    assert (shrunk["acc_q1"], shrunk["acc_q2"], shrunk["acc_q3"], shrunk["acc_q4"]) == (1, 1, 0, 0)
    assert shrunk["mse_valence"] == pytest.approx(0.0625)


def test_output_quadrants_read_probabilities_class_scores_and_indices():
    quadrants = ["Q1", "Q2", "Q3", "Q4"]
    va = np.array([[0.9, 0.8], [0.2, 0.7], [0.1, 0.3], [0.6, 0.4]])
    assert list(metrics.output_quadrants(va)) == quadrants
    assert list(metrics.output_quadrants(np.eye(4))) == list(metrics.output_quadrants(np.arange(4))) == quadrants
    assert metrics.output_quadrant_accuracy(va, np.eye(4)[[0, 1, 3, 3]]) == 0.75
    with pytest.raises(ValueError, match="shape"):
        metrics.output_quadrants(np.zeros((2, 3)))


def test_argmax_accuracy_reads_the_class_index_column():
    assert metrics.argmax_accuracy(np.array([[0.0], [1.0], [1.0]]), np.array([[2, 1], [0, 3], [5, 1]])) == pytest.approx(2 / 3)


def test_a_paired_bootstrap_of_a_row_against_itself_is_exactly_zero():
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    preds = [np.array([0, 1, 0, 0, 1, 1, 0, 1])]
    assert metrics.paired_bootstrap_over_seeds(y, preds, preds, n_boot=200) == (0.0, 0.0, 0.0)


def test_a_paired_bootstrap_interval_lies_above_zero_for_a_row_right_where_its_reference_is_wrong():
    y = np.array([0, 1] * 20)
    reference = [1 - y]            # always wrong
    better = [y.copy(), y.copy()]  # two seeds, always right
    difference, low, high = metrics.paired_bootstrap_over_seeds(y, better, reference, n_boot=200)
    assert difference == 1.0 and low == high == 1.0
    with pytest.raises(ValueError, match="at least one seed"):
        metrics.paired_bootstrap_over_seeds(y, [], reference)


@pytest.mark.parametrize("n_seeds", [1, 3, 5])
def test_the_accuracy_of_all_resamples_at_once_equals_scoring_each_resample_exactly(n_seeds):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 5, 141)
    preds = [np.where(rng.random(141) < 0.4, y, rng.integers(0, 5, 141)) for _ in range(n_seeds)]
    resamples = metrics._resamples(len(y), 300, 0)
    one_by_one = [metrics._seed_mean(metrics.accuracy, y, preds, idx) for idx in resamples]
    assert metrics._seed_means(metrics.accuracy, y, preds, resamples).tolist() == one_by_one
