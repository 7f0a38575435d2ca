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

    loader = train.clip_loader((x,), y, batch_size=8, shuffle=True)
    metric = ScriptedMetric([0.5, 0.9, 0.7, 0.6, 0.8, 0.95])
    history = train.fit(model, loader, train.clip_loader((x,), y, batch_size=32), Recorder(),
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


def test_selection_on_validation_loss_restores_the_lowest_loss_epoch():
    torch.manual_seed(0)
    x, y = tiny_problem()
    model = nn.Linear(4, 1)
    snapshots = []
    scripted_losses = iter([0.9, 0.4, 0.6, 0.7, 0.8])

    class ScriptedLoss(nn.BCEWithLogitsLoss):  # validation losses as prescribed, training loss as is
        def forward(self, outputs, targets):
            if torch.is_grad_enabled():
                return super().forward(outputs, targets)
            snapshots.append(model.weight.detach().clone())
            return torch.tensor(next(scripted_losses))

    validation = train.clip_loader((x,), y, batch_size=32)
    history = train.fit(model, train.clip_loader((x,), y, batch_size=8), validation, ScriptedLoss(),
                        torch.optim.SGD(model.parameters(), lr=0.5), max_epochs=5, patience=3,
                        val_metric=ScriptedMetric([0.9, 0.5, 0.5, 0.5, 0.5]), device=CPU, progress=False,
                        select="loss")
    # the metric peaks at epoch 1, the loss bottoms at epoch 2: loss selection restores epoch 2
    assert len(history["val_loss"]) == 5
    assert train.best_epoch(history, "loss") == 2 and train.best_epoch(history) == 1
    torch.testing.assert_close(model.weight.detach(), snapshots[1])
    with pytest.raises(ValueError, match="select='accuracy'"):
        train.best_epoch(history, "accuracy")


def test_nan_metric_never_counts_as_improvement():
    x, y = tiny_problem()
    model = nn.Linear(4, 1)
    loader = train.clip_loader((x,), y, batch_size=8)
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
    loader = train.clip_loader((x,), y, batch_size=8)
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
    target = rng.normal(size=(10, 1)).astype(np.float32)
    loader = train.clip_loader((audio, text), target, batch_size=4)
    (a, t), y = next(iter(loader))
    assert a.shape == (4, 2) and t.shape == (4, 3) and y.shape == (4, 1)
    model = TwoInputs()
    y_true, y_score = train.predict(model, loader, CPU)
    assert y_true.shape == y_score.shape == (10, 1)
    batch = {"audio": torch.zeros(2, 2), "text": torch.zeros(2, 3)}
    assert train.forward(model, train.to_device(batch, CPU)).shape == (2, 1)


def test_bad_budgets_raise():
    x, y = tiny_problem()
    loader = train.clip_loader((x,), y, batch_size=16)
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


def test_fit_and_test_scores_the_restored_model_on_test_only():
    torch.manual_seed(0)
    x, y = tiny_problem(48)
    loaders = {split: train.clip_loader((x[part],), y[part], batch_size=8, shuffle=split == "train")
               for split, part in (("train", slice(0, 32)), ("validation", slice(32, 40)), ("test", slice(40, 48)))}
    model = nn.Linear(4, 1)
    seen = []
    result = train.fit_and_test(model, loaders, nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=0.5),
                                max_epochs=4, patience=2, val_metric=ScriptedMetric([0.1, 0.8, 0.2, 0.3]),
                                device=CPU, score=lambda t, s: seen.append(len(t)) or {"n": len(t)})
    assert result.best_epoch == 2 and result.epochs_run == 4 and result.best_val_metric == 0.8
    assert seen == [8] and result.scores == {"n": 8}
    np.testing.assert_array_equal(result.y_true, y[40:])
    assert result.y_score.shape == (8, 1) and result.seconds > 0
    with pytest.raises(ValueError, match="test"):
        train.fit_and_test(model, {k: loaders[k] for k in ("train", "validation")}, nn.MSELoss(), None,
                           max_epochs=1, patience=1, val_metric=metrics.accuracy, device=CPU)


def test_clip_dataset_crops_training_clips_and_pads_short_ones():
    clips = [np.arange(10, dtype=np.int32), np.arange(3, dtype=np.int32) + 1]
    targets = np.array([0, 1])
    crops = train.ClipDataset({"tokens": clips}, targets, lengths={"tokens": 4}, random_crop=True, seed=0,
                              report_lengths=("tokens",), pad_id=99)
    (first, _), (second, label) = crops[0], crops[1]
    assert first["tokens"].dtype == torch.int64 and first["tokens"].shape == (4,)
    start = int(first["tokens"][0])
    np.testing.assert_array_equal(first["tokens"].numpy(), np.arange(start, start + 4))
    np.testing.assert_array_equal(second["tokens"].numpy(), [1, 2, 3, 99])
    assert int(second["tokens_length"]) == 3 and int(first["tokens_length"]) == 4
    assert label.dtype == torch.int64 and int(label) == 1
    evaluation = train.ClipDataset({"tokens": clips}, targets, lengths={"tokens": 4})
    np.testing.assert_array_equal(evaluation[0][0]["tokens"].numpy(), [0, 1, 2, 3])


def test_clip_dataset_draws_one_version_per_item_and_crops_along_the_chosen_axis():
    original = np.zeros((6, 2, 8), dtype=np.float64)
    shifted = np.ones((6, 2, 8), dtype=np.float64)
    data = train.ClipDataset({"audio": train.Versions((original, shifted))}, np.zeros((6, 1), np.float32),
                             lengths={"audio": 5}, random_crop=True, seed=1)
    drawn = {float(data[i % 6][0]["audio"].mean()) for i in range(40)}
    assert drawn == {0.0, 1.0}
    assert data[0][0]["audio"].shape == (2, 5) and data[0][0]["audio"].dtype == torch.float32
    rows = train.ClipDataset({"chunks": [np.zeros((3, 4)), np.zeros((1, 4))]}, np.zeros(2), lengths={"chunks": 2},
                             axes={"chunks": 0})
    assert rows[0][0]["chunks"].shape == (2, 4) and rows[1][0]["chunks"].shape == (2, 4)


def test_clip_dataset_rejects_mismatched_lengths_and_unknown_crop_names():
    with pytest.raises(ValueError, match="one length per clip"):
        train.ClipDataset({"a": np.zeros((3, 2))}, np.zeros(4))
    with pytest.raises(ValueError, match="unknown inputs"):
        train.ClipDataset({"a": np.zeros((3, 2))}, np.zeros(3), lengths={"b": 2})


def test_clip_loader_batch_order_is_reproducible_from_its_seed():
    x, y = tiny_problem(20)
    order = [[tuple(b[0][0][:, 0].tolist()) for b in train.clip_loader((x,), y, batch_size=5, shuffle=True, seed=s)]
             for s in (3, 3, 4)]
    assert order[0] == order[1] and order[0] != order[2]
