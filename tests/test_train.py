"""The shared training loop: early stopping, best weights restored, overfitting a tiny batch."""

import numpy as np
import pytest
import torch
from torch import nn

from mer_lib import metrics, train
from mer_lib.plotting import training_curves

# Small models: one torch thread is as fast, and avoids OpenMP spin-waiting on a busy CPU.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


CPU = torch.device("cpu")


def tiny_problem(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, :1] + 0.5 * x[:, 1:2] > 0).astype(np.float32)
    return x, y


class ScriptedMetric:
    """A validation metric that returns prescribed values, one per epoch."""

    def __init__(self, values):
        self.values, self.calls = list(values), 0

    def __call__(self, y_true, y_score):
        self.calls += 1
        return self.values[self.calls - 1]


def test_early_stopping_triggers_and_restores_best_weights():
    torch.manual_seed(0)
    x, y = tiny_problem()
    model = nn.Linear(4, 1)
    snapshots = []

    class Recorder(nn.BCEWithLogitsLoss):  # records the weights at each validation pass
        def forward(self, outputs, targets):
            if not torch.is_grad_enabled():
                snapshots.append(model.weight.detach().clone())
            return super().forward(outputs, targets)

    loader = train.tensor_loader(x, y, batch_size=8, shuffle=True)
    metric = ScriptedMetric([0.5, 0.9, 0.7, 0.6, 0.8, 0.95])
    history = train.fit(model, loader, train.tensor_loader(x, y, batch_size=32), Recorder(),
                        torch.optim.SGD(model.parameters(), lr=0.5), max_epochs=6, patience=3,
                        val_metric=metric, device=CPU, progress=False)
    # best at epoch 2, then 3 epochs without improvement: stop after epoch 5
    assert len(history["val_metric"]) == 5 and metric.calls == 5
    assert train.best_epoch(history) == 2
    torch.testing.assert_close(model.weight.detach(), snapshots[1])
    assert set(history) == set(train.HISTORY_KEYS)
    assert all(len(v) == 5 for v in history.values())
    fig, _ = training_curves(history)
    assert fig is not None


def test_nan_metric_never_counts_as_improvement():
    x, y = tiny_problem()
    model = nn.Linear(4, 1)
    loader = train.tensor_loader(x, y, batch_size=8)
    history = train.fit(model, loader, loader, nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
                        max_epochs=4, patience=2, val_metric=ScriptedMetric([0.6, float("nan"), float("nan"), 0.9]),
                        device=CPU, progress=False)
    assert len(history["val_metric"]) == 3 and train.best_epoch(history) == 1


def test_overfits_a_tiny_batch_multilabel():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 6)).astype(np.float32)
    y = (rng.random((8, 3)) < 0.5).astype(np.float32)
    y[0], y[1] = 1, 0
    model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 3), nn.Sigmoid())
    loader = train.tensor_loader(x, y, batch_size=8)
    history = train.fit(model, loader, loader, nn.BCELoss(), torch.optim.Adam(model.parameters(), lr=0.05),
                        max_epochs=150, patience=150, val_metric=metrics.roc_auc_macro, device=CPU,
                        progress=False)
    assert history["train_loss"][-1] < 0.05
    y_true, y_score = train.predict(model, loader, CPU)
    np.testing.assert_array_equal(y_true, y)
    assert metrics.roc_auc_macro(y_true, y_score) == 1.0


def test_inputs_as_tuple_and_dict():
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(2, 1), nn.Linear(3, 1)

        def forward(self, audio, text):
            return self.a(audio) + self.b(text)

    rng = np.random.default_rng(0)
    audio, text = rng.normal(size=(10, 2)), rng.normal(size=(10, 3))
    target = rng.normal(size=(10, 1))
    loader = train.tensor_loader(audio, text, target, batch_size=4)
    (a, t), y = next(iter(loader))
    assert a.shape == (4, 2) and t.shape == (4, 3) and y.shape == (4, 1)
    model = TwoInputs()
    y_true, y_score = train.predict(model, loader, CPU)
    assert y_true.shape == y_score.shape == (10, 1)
    batch = {"audio": torch.zeros(2, 2), "text": torch.zeros(2, 3)}
    assert train.forward(model, train.to_device(batch, CPU)).shape == (2, 1)


def test_bad_budgets_raise():
    x, y = tiny_problem()
    loader = train.tensor_loader(x, y)
    model = nn.Linear(4, 1)
    with pytest.raises(ValueError, match="max_epochs and patience"):
        train.fit(model, loader, loader, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1),
                  max_epochs=0, patience=1, val_metric=lambda *_: 0.0, device=CPU)


def test_torch_threads_restores_the_setting():
    before = torch.get_num_threads()
    with train.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with train.torch_threads(0):
        assert torch.get_num_threads() == before
