"""The linear floor: a logistic regression whose C is chosen on validation only."""

import numpy as np
import pytest

from mer_lib import baselines


def test_logistic_baseline_picks_c_on_validation_only():
    rng = np.random.default_rng(0)
    x = {s: rng.normal(size=(n, 4)) for s, n in (("train", 80), ("validation", 40), ("test", 40))}
    y = {s: np.where(v[:, 0] > 0, "positive", "negative") for s, v in x.items()}
    model, selection = baselines.logistic_baseline(x, y, cs=(1e-4, 1.0))
    assert list(selection.index) == [1e-4, 1.0] and selection["validation_acc"].between(0, 1).all()
    assert model[-1].C == selection["validation_acc"].idxmax()
    assert (model.predict(x["test"]) == y["test"]).mean() > 0.9
    with pytest.raises(ValueError, match="validation"):
        baselines.logistic_baseline({"train": x["train"]}, {"train": y["train"]})


def test_logistic_baseline_never_reads_the_test_split():
    rng = np.random.default_rng(1)
    x = {s: rng.normal(size=(30, 3)) for s in ("train", "validation")}
    y = {s: (v[:, 1] > 0).astype(int) for s, v in x.items()}
    with_test = baselines.logistic_baseline({**x, "test": np.full((5, 3), np.nan)}, {**y, "test": np.zeros(5)},
                                            column="validation_q4_acc")[1]
    assert list(with_test.columns) == ["validation_q4_acc"]
    np.testing.assert_array_equal(with_test.to_numpy(), baselines.logistic_baseline(x, y)[1].to_numpy())


def test_a_tfidf_baseline_chooses_c_on_validation_and_separates_texts_by_their_words():
    texts = {split: [f"happy sunny {i}" for i in range(6)] + [f"sad rainy {i}" for i in range(6)]
             for split in ("train", "validation")}
    y = {split: np.array([0] * 6 + [1] * 6) for split in ("train", "validation")}
    model, selection = baselines.text_logistic_baseline(texts, y)
    assert list(selection.index) == list(baselines.C_GRID)
    assert model.predict(["a sunny day", "rainy again"]).tolist() == [0, 1]


def test_the_majority_class_breaks_ties_towards_the_smallest_label():
    assert baselines.majority_class([2, 1, 2, 1, 3]) == 1
    with pytest.raises(ValueError, match="at least one label"):
        baselines.majority_class([])
