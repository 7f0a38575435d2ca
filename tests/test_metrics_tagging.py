"""Multi-label tagging metrics against scikit-learn (MediaEval's computation) and hand-computed cases."""

import numpy as np
import pytest
from sklearn import metrics as skm

from mer_lib import metrics
from mer_lib.models.blocks import late_fusion


@pytest.fixture
def tagging():
    rng = np.random.default_rng(1)
    y = rng.random((80, 6)) < 0.3
    y[0] = True   # every tag has a positive ...
    y[1] = False  # ... and a negative
    scores = np.clip(0.3 * y + rng.random((80, 6)), 0, 1).astype(np.float32)
    return y, scores


def test_macro_and_micro_aucs_equal_mediaeval_sklearn_calls(tagging):
    y, s = tagging
    assert metrics.roc_auc_macro(y, s) == pytest.approx(skm.roc_auc_score(y, s, average="macro"), abs=1e-12)
    assert metrics.pr_auc_macro(y, s) == pytest.approx(skm.average_precision_score(y, s, average="macro"), abs=1e-12)
    assert metrics.roc_auc_micro(y, s) == pytest.approx(skm.roc_auc_score(y, s, average="micro"))
    assert metrics.pr_auc_micro(y, s) == pytest.approx(skm.average_precision_score(y, s, average="micro"))
    np.testing.assert_allclose(metrics.average_precision_per_tag(y, s),
                               skm.average_precision_score(y, s, average=None))
    np.testing.assert_allclose(metrics.roc_auc_per_tag(y, s), skm.roc_auc_score(y, s, average=None))


def test_hand_computed_values_and_tag_without_positives():
    y = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=bool)
    s = np.array([[0.9, 0.2, 0.1], [0.8, 0.6, 0.3], [0.4, 0.7, 0.2], [0.1, 0.5, 0.4]])
    # Tag 0: positives 0.9, 0.4 vs negatives 0.8, 0.1 -> pairs won 3 of 4 -> AUC 0.75.
    #   ranking 0.9(+) 0.8(-) 0.4(+) 0.1(-): AP = (1/1 + 2/3) / 2 = 5/6.
    # Tag 1: positives 0.6, 0.7 vs negatives 0.2, 0.5 -> AUC 1, AP 1.
    # Tag 2: no positives -> undefined, skipped by the macro averages.
    np.testing.assert_allclose(metrics.roc_auc_per_tag(y, s)[:2], [0.75, 1.0])
    np.testing.assert_allclose(metrics.average_precision_per_tag(y, s)[:2], [5 / 6, 1.0])
    assert np.isnan(metrics.roc_auc_per_tag(y, s)[2]) and np.isnan(metrics.average_precision_per_tag(y, s)[2])
    assert metrics.roc_auc_macro(y, s) == pytest.approx((0.75 + 1.0) / 2)
    assert metrics.pr_auc_macro(y, s) == pytest.approx((5 / 6 + 1.0) / 2)


def test_thresholds_maximise_f1_and_decisions_by_hand():
    y = np.array([[1], [1], [0], [1], [0]], dtype=bool)
    s = np.array([[0.9], [0.7], [0.6], [0.4], [0.1]])
    # Candidate cut-offs: >=0.9 F=0.5, >=0.7 F=0.8, >=0.6 F=2/3, >=0.4 F=6/7, >=0.1 F=0.75.
    thresholds = metrics.best_f1_thresholds(y, s)
    assert thresholds.tolist() == [0.4]
    decided = metrics.apply_thresholds(s, thresholds)
    assert decided[:, 0].tolist() == [True, True, True, True, False]
    assert metrics.apply_thresholds(s, thresholds, strict=True)[:, 0].tolist() == [True, True, True, False, False]
    scores = metrics.decision_scores(y, decided)
    assert scores["precision_macro"] == pytest.approx(0.75)
    assert scores["recall_macro"] == pytest.approx(1.0)
    assert scores["f1_macro"] == pytest.approx(6 / 7)
    # A tag without positives is never predicted.
    assert metrics.best_f1_thresholds(np.zeros((3, 1), bool), np.ones((3, 1)))[0] == np.inf


def test_decision_scores_equal_sklearn(tagging):
    y, s = tagging
    decided = metrics.apply_thresholds(s, metrics.best_f1_thresholds(y, s))
    for average in ("macro", "micro"):
        p, r, f, _ = skm.precision_recall_fscore_support(y, decided, average=average, zero_division=0)
        got = metrics.decision_scores(y, decided)
        assert (got[f"precision_{average}"], got[f"recall_{average}"], got[f"f1_{average}"]) == pytest.approx((p, r, f))
    assert metrics.f1_macro(y, decided) == pytest.approx(metrics.decision_scores(y, decided)["f1_macro"])
    assert metrics.f1_micro(y, decided) == pytest.approx(metrics.decision_scores(y, decided)["f1_micro"])


def test_tagging_scores_keys(tagging):
    y, s = tagging
    out = metrics.tagging_scores(y, s, thresholds=np.full(y.shape[1], 0.5))
    assert {"roc_auc", "pr_auc", "roc_auc_micro", "pr_auc_micro", "f1_macro", "f1_micro"} <= set(out)
    assert set(metrics.tagging_scores(y, s)) == {"roc_auc", "pr_auc", "roc_auc_micro", "pr_auc_micro"}
    with pytest.raises(ValueError, match="clips, tags"):
        metrics.roc_auc_macro(y[:, 0], s[:, 0])


def test_late_fusion_is_the_mean_of_scores(tagging):
    _, s = tagging
    t = s[::-1].copy()
    np.testing.assert_array_equal(late_fusion(s, t), np.mean([s, t], axis=0))
    np.testing.assert_allclose(late_fusion(s, t, s, weights=[1, 0, 1]), s)
    with pytest.raises(ValueError, match="one shape"):
        late_fusion(s, s[:3])
