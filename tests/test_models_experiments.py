"""experiments: the helpers shared by the notebooks that train."""

import numpy as np
import pytest

from mer_lib.models import experiments


def test_logistic_baseline_picks_c_on_validation_only():
    rng = np.random.default_rng(0)
    x = {s: rng.normal(size=(n, 4)) for s, n in (("train", 80), ("validation", 40), ("test", 40))}
    y = {s: np.where(v[:, 0] > 0, "positive", "negative") for s, v in x.items()}
    model, selection = experiments.logistic_baseline(x, y, cs=(1e-4, 1.0))
    assert list(selection.index) == [1e-4, 1.0] and selection["validation_acc"].between(0, 1).all()
    assert model[-1].C == selection["validation_acc"].idxmax()
    assert (model.predict(x["test"]) == y["test"]).mean() > 0.9
    with pytest.raises(ValueError, match="validation"):
        experiments.logistic_baseline({"train": x["train"]}, {"train": y["train"]})
