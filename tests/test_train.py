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


# --- length bucketing, schedules, windowed reading, fixed-epoch training, watched scores --------


def test_bucket_sampler_batches_similar_lengths_and_covers_every_clip_once_per_epoch():
    lengths = np.random.default_rng(1).integers(1, 1000, 200)
    sampler = train.LengthBucketSampler(lengths, 8, seed=3, pool=5)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(200)) and len(batches) == len(sampler)
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    shuffled = np.random.default_rng(0).permutation(200)
    random_spread = np.mean([np.ptp(lengths[shuffled[i:i + 8]]) for i in range(0, 200, 8)])
    assert spread < random_spread / 3  # sorted pools: similar lengths in a batch


def test_bucket_sampler_is_reproducible_from_its_seed_and_redraws_each_epoch():
    lengths = np.random.default_rng(1).integers(1, 1000, 100)
    one, two = train.LengthBucketSampler(lengths, 8, seed=3), train.LengthBucketSampler(lengths, 8, seed=3)
    first, second = [list(one), list(one)], [list(two), list(two)]
    assert first == second  # same seed: same batches, epoch by epoch
    assert first[0] != first[1]  # a new draw each epoch
    assert list(train.LengthBucketSampler(lengths, 8, seed=4)) != first[0]
    assert one.batches(0) == first[0] and one.batches(1) == first[1]
    ordered = list(train.LengthBucketSampler(lengths, 8, shuffle=False))
    assert [i for b in ordered for i in b] == np.argsort(lengths, kind="stable").tolist()


def test_bucketed_loader_pads_each_batch_to_its_longest_clip_only():
    clips = [np.arange(1, n + 1) for n in (3, 9, 4, 8, 2, 10)]
    loader = train.clip_loader({"tokens": clips}, np.zeros(6), batch_size=2, shuffle=False, bucket_by="tokens",
                               pad_id=99)
    widths = [(inputs["tokens"].shape[1], (inputs["tokens"] != 99).sum(1).tolist()) for inputs, _ in loader]
    assert widths == [(3, [2, 3]), (8, [4, 8]), (10, [9, 10])]
    cropped = train.clip_loader({"tokens": clips}, np.zeros(6), batch_size=3, shuffle=True, seed=0,
                                bucket_by="tokens", lengths={"tokens": 5}, random_crop=True, pad_id=99)
    for inputs, _ in cropped:  # training windows of at most 5 tokens, the whole clip when shorter
        assert inputs["tokens"].shape[1] <= 5
    in_order = train.clip_loader({"tokens": clips}, np.arange(6), batch_size=4, pad_to_batch=True, pad_id=99)
    assert [y.tolist() for _, y in in_order] == [[0, 1, 2, 3], [4, 5]]


class FirstTokenProbability(nn.Module):
    """A 'model' whose output for a window is known: (first token / 10, 1 − first token / 10)."""

    def forward(self, tokens, tokens_length=None):
        p = tokens[:, :1].float() / 10
        return torch.cat([p, 1 - p], dim=1)


def test_windowed_prediction_averages_the_outputs_of_the_real_windows_exactly():
    tokens = torch.tensor([[1, 0, 0, 0, 3, 0, 0, 0, 8, 0],       # 10 real steps: windows start 0, 4, 8
                           [2, 5, 5, 0, 0, 0, 0, 0, 0, 0]])      # 3 real steps (pad 0 after): one window
    tokens[0, 1:4], tokens[0, 5:8], tokens[0, 9] = 5, 5, 5
    reader = train.WindowedPrediction(FirstTokenProbability(), "tokens", 4, pad_value=0)
    out = reader(tokens=tokens)
    torch.testing.assert_close(out[:, 0], torch.tensor([(0.1 + 0.3 + 0.8) / 3, 0.2]))
    torch.testing.assert_close(out.sum(1), torch.ones(2))
    short = tokens[:, :4]
    torch.testing.assert_close(reader(tokens=short), FirstTokenProbability()(short))  # one window: as it is


def test_windowed_prediction_averages_probabilities_of_log_outputs_and_cuts_given_lengths():
    class LogModel(nn.Module):
        def forward(self, tokens, tokens_length):
            assert tokens_length.max() <= 4
            return FirstTokenProbability()(tokens).log()

    tokens = torch.tensor([[1, 9, 9, 9, 3, 9, 9, 9, 8, 9]])
    reader = train.WindowedPrediction(LogModel(), "tokens", 4, outputs="log_probabilities")
    out = reader(tokens=tokens, tokens_length=torch.tensor([6]))  # 6 real steps: windows at 0 and 4
    torch.testing.assert_close(out.exp()[0], torch.tensor([0.2, 0.8]))


def test_cosine_schedule_is_stepped_once_per_epoch_and_recorded():
    x, y = tiny_problem()
    model = nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = train.clip_loader((x,), y, batch_size=8)
    history = train.fit(model, loader, loader, nn.BCEWithLogitsLoss(), optimizer, max_epochs=4, patience=4,
                        val_metric=lambda t, s: 0.0, device=CPU, progress=False,
                        scheduler=train.lr_schedule(optimizer, "cosine", 4))
    np.testing.assert_allclose(history["lr"], [0.1 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    restarts = train.fit(model, loader, loader, nn.BCEWithLogitsLoss(), optimizer, max_epochs=5, patience=5,
                         val_metric=lambda t, s: 0.0, device=CPU, progress=False,
                         scheduler=train.lr_schedule(optimizer, "cosine_restarts", 5, restart_epochs=2))
    np.testing.assert_allclose(restarts["lr"], [0.1, 0.05, 0.1, 0.05, 0.1])
    assert train.lr_schedule(optimizer, "none", 5) is None
    with pytest.raises(ValueError, match="schedule 'step'"):
        train.lr_schedule(optimizer, "step", 5)


def test_without_validation_the_last_epoch_is_kept_and_watched_scores_never_select():
    x, y = tiny_problem()
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    loader = train.clip_loader((x,), y, batch_size=8)
    seen = []
    watch = lambda m: {"test_score": float(len(seen))} if not seen.append(m.training) else {}
    result = train.fit_and_test(model, {"train": loader, "test": loader}, nn.BCEWithLogitsLoss(),
                                torch.optim.SGD(model.parameters(), lr=0.5), max_epochs=3, patience=1,
                                val_metric=lambda t, s: 0.0, device=CPU, watch=watch)
    assert result.epochs_run == 3 and result.best_epoch == 3 and np.isnan(result.history["val_loss"]).all()
    assert result.history["test_score"] == [1.0, 2.0, 3.0] and seen == [False] * 3  # read in eval mode
    metric = ScriptedMetric([0.9, 0.1, 0.2])
    history = train.fit(nn.Linear(4, 1), loader, loader, nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
                        max_epochs=3, patience=3, val_metric=metric, device=CPU, progress=False,
                        val_metrics={"double": lambda t, s: 2.0}, watch=lambda m: {"test_score": 1.0})
    assert train.best_epoch(history) == 1 and history["val_double"] == [2.0] * 3
