"""One small training loop for every paper notebook: fit with early stopping, predict.

The loop is deliberately plain (d2l style): a batch is ``(inputs, targets)`` where ``inputs``
is a tensor, a tuple of tensors (passed as positional arguments) or a dict of tensors
(keyword arguments), so the same code trains a tagger, a regressor or a multimodal model::

    history = fit(model, train_loader, val_loader, loss_fn, optimizer,
                  max_epochs=100, patience=35, val_metric=metrics.roc_auc_macro, device=device)
    y_true, y_score = predict(model, test_loader, device)

Model selection is on validation only: after training the weights of the epoch with the
best validation metric are restored; the test split is never seen here.

Notebook: ``02_rajamani2020_attention_tagging`` and every paper notebook that trains a network.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

HISTORY_KEYS = ("train_loss", "val_loss", "val_metric")


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Run a block with ``n`` PyTorch CPU threads, then restore the previous number.

    On a small shared CPU, one thread per process is often several times faster than the
    default (threads of busy processes thrash); ``0`` or ``None`` leaves the setting alone.
    """
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def to_device(value, device):
    """Move a tensor, or a tuple/list/dict of tensors, to ``device``."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {k: to_device(v, device) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(to_device(v, device) for v in value)
    return value


def forward(model, inputs):
    """Call ``model`` on a batch's inputs: tensor → ``model(x)``, tuple → ``model(*x)``,
    dict → ``model(**x)``."""
    if isinstance(inputs, dict):
        return model(**inputs)
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


class Versions(tuple):
    """Versions of one input, the original first (e.g. pitch-shifted copies of the audio).

    :class:`ClipDataset` reads every item from one version drawn at random; give a plain
    array for evaluation data, which must be seen as it is.
    """


class ClipDataset(Dataset):
    """Clips as ``(inputs, target)`` items, for fixed-size tensors and for variable-length clips.

    An input is an array ``(clips, ...)``, a list of per-clip arrays of any length, or
    :class:`Versions` of either (one drawn per item). Integer inputs (word or token ids)
    become int64 tensors, the rest float32. With ``lengths``, an input is cut to that many
    steps along its axis (``axes``, default the last): a random window when ``random_crop``
    (training), else the start; a shorter clip is padded (ids with ``pad_id``, values with 0).

    Args:
        inputs: ``{name: input}`` (items give ``model(**inputs)``) or a sequence of inputs
            (items give ``model(*inputs)``).
        targets: One target per clip (its dtype is kept).
        lengths: ``{name: steps}`` to cut or pad to; inputs not named keep their shape.
        random_crop: Draw each cut's start uniformly (training data only).
        seed: Seed of the version and crop draws.
        axes: ``{name: axis}`` to cut along (default ``-1``).
        report_lengths: Inputs that also give ``<name>_length``, their real (unpadded) steps.
        pad_id: Padding value of integer inputs.
    """

    def __init__(self, inputs, targets, *, lengths: Mapping[str, int] | None = None, random_crop: bool = False,
                 seed: int = 0, axes: Mapping[str, int] | None = None, report_lengths: Sequence[str] = (),
                 pad_id: int = 0):
        self.named = isinstance(inputs, Mapping)
        items = inputs.items() if self.named else enumerate(inputs)
        self.inputs = {name: [_as_clips(v) for v in (value if isinstance(value, Versions) else [value])]
                       for name, value in items}
        self.targets = torch.as_tensor(np.asarray(targets))
        sizes = {len(v) for versions in self.inputs.values() for v in versions} | {len(self.targets)}
        if len(sizes) != 1:
            raise ValueError(f"inputs and targets must have one length per clip, got sizes {sorted(sizes)}")
        unknown = sorted(set(lengths or {}) - set(self.inputs))
        if unknown:
            raise ValueError(f"lengths names unknown inputs {unknown}; the inputs are {list(self.inputs)}")
        self.lengths, self.random_crop, self.axes = dict(lengths or {}), random_crop, dict(axes or {})
        self.report_lengths, self.pad_id = tuple(report_lengths), pad_id
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.targets)

    def _cut(self, x: torch.Tensor, name) -> tuple[torch.Tensor, int]:
        size = self.lengths[name]
        axis = self.axes.get(name, -1) % x.dim()
        steps = x.shape[axis]
        start = int(self.rng.integers(steps - size + 1)) if self.random_crop and steps > size else 0
        piece = x.narrow(axis, start, min(size, steps - start))
        real = piece.shape[axis]
        if real < size:
            shape = list(piece.shape)
            shape[axis] = size - real
            fill = self.pad_id if not piece.is_floating_point() else 0
            piece = torch.cat([piece, piece.new_full(shape, fill)], dim=axis)
        return piece, real

    def __getitem__(self, index: int):
        item = {}
        for name, versions in self.inputs.items():
            x = versions[self.rng.integers(len(versions))][index] if len(versions) > 1 else versions[0][index]
            real = None
            if name in self.lengths:
                x, real = self._cut(x, name)
            item[name] = x
            if name in self.report_lengths and real is not None:
                item[f"{name}_length"] = torch.tensor(real)
        inputs = item if self.named else tuple(item[k] for k in self.inputs)
        return inputs, self.targets[index]


def _as_clips(value):
    """One input as a tensor ``(clips, ...)`` or a list of per-clip tensors (variable lengths)."""
    if isinstance(value, torch.Tensor) or (isinstance(value, np.ndarray) and value.dtype != object):
        return _as_tensor(value)
    return [_as_tensor(v) for v in value]


def _as_tensor(value) -> torch.Tensor:
    tensor = torch.as_tensor(np.asarray(value))
    return tensor.float() if tensor.is_floating_point() else tensor.long()


def clip_loader(inputs, targets, *, batch_size: int, shuffle: bool = False, seed: int = 0,
                **dataset_options) -> DataLoader:
    """A DataLoader over a :class:`ClipDataset`, its shuffling seeded so batch order is reproducible.

    ``dataset_options`` are :class:`ClipDataset`'s (``lengths``, ``random_crop``...).
    """
    dataset = ClipDataset(inputs, targets, seed=seed, **dataset_options)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                      generator=torch.Generator().manual_seed(int(seed)))


def train_epoch(model, loader, loss_fn, optimizer, device, progress: bool = False, desc: str = "") -> float:
    """One pass of gradient steps; returns the mean training loss (weighted by batch size)."""
    model.train()
    total, count = 0.0, 0
    for inputs, targets in tqdm(loader, desc=desc, leave=False, disable=not progress):
        inputs, targets = to_device(inputs, device), to_device(targets, device)
        loss = loss_fn(forward(model, inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
        count += len(targets)
    return total / max(count, 1)


@torch.no_grad()
def evaluate(model, loader, device, loss_fn=None) -> tuple[np.ndarray, np.ndarray, float]:
    """Model outputs on a whole loader in eval mode.

    Returns:
        ``(y_true, y_score, mean loss)`` (loss NaN without ``loss_fn``); arrays are NumPy,
        concatenated along the first axis in loader order.
    """
    model.eval()
    truths, scores, total, count = [], [], 0.0, 0
    for inputs, targets in loader:
        inputs, targets = to_device(inputs, device), to_device(targets, device)
        outputs = forward(model, inputs)
        if loss_fn is not None:
            total += loss_fn(outputs, targets).item() * len(targets)
        count += len(targets)
        truths.append(targets.cpu().numpy())
        scores.append(outputs.float().cpu().numpy())
    loss = total / max(count, 1) if loss_fn is not None else math.nan
    return np.concatenate(truths), np.concatenate(scores), loss


def predict(model, loader, device) -> tuple[np.ndarray, np.ndarray]:
    """``(y_true, y_score)`` as NumPy arrays for every batch of ``loader`` (eval mode)."""
    y_true, y_score, _ = evaluate(model, loader, device)
    return y_true, y_score


def fit(model, train_loader, val_loader, loss_fn, optimizer, max_epochs: int, patience: int,
        val_metric: Callable[[np.ndarray, np.ndarray], float], device, progress: bool = True,
        select: str = "metric") -> dict:
    """Train with early stopping on a validation metric (higher is better) or the validation loss.

    After every epoch the model is scored on ``val_loader`` with ``val_metric(y_true, y_score)``
    and ``loss_fn``. Training stops when the selection score (:data:`SELECT`) has not improved
    for ``patience`` epochs (or after ``max_epochs``); the weights of the best epoch are then
    restored into ``model``.

    Args:
        model: A ``torch.nn.Module`` (moved to ``device``).
        train_loader: Batches ``(inputs, targets)`` for gradient steps.
        val_loader: Batches for model selection (never the test split).
        loss_fn: ``loss_fn(outputs, targets) -> scalar tensor``.
        optimizer: A ``torch.optim`` optimizer over ``model``'s parameters.
        max_epochs: Upper bound on epochs.
        patience: Epochs without improvement before stopping.
        val_metric: Model-selection score on NumPy arrays, higher is better.
        device: A ``torch.device`` (see :func:`mer_lib.repro.resolve_device`).
        progress: Show tqdm bars (epochs, and batches within an epoch).
        select: ``"metric"`` (the highest ``val_metric``) or ``"loss"`` (the lowest validation
            loss: smoother than an accuracy on a few dozen clips).

    Returns:
        History ``{"train_loss": [...], "val_loss": [...], "val_metric": [...]}``, one value
        per epoch run (plot it with :func:`mer_lib.plotting.training_curves`); the best epoch
        is :func:`best_epoch` of it.
    """
    if max_epochs < 1 or patience < 1:
        raise ValueError(f"max_epochs and patience must be >= 1, got {max_epochs}, {patience}")
    _check_select(select)
    model.to(device)
    history = {key: [] for key in HISTORY_KEYS}
    best_score, best_state, since_best = -math.inf, None, 0
    epochs = tqdm(range(1, max_epochs + 1), desc="epochs", disable=not progress)
    for epoch in epochs:
        history["train_loss"].append(
            train_epoch(model, train_loader, loss_fn, optimizer, device, progress, f"epoch {epoch}"))
        y_true, y_score, val_loss = evaluate(model, val_loader, device, loss_fn)
        score = float(val_metric(y_true, y_score))
        history["val_loss"].append(val_loss)
        history["val_metric"].append(score)
        selection = _comparable(score if select == "metric" else -val_loss)
        if best_state is None or selection > best_score:
            best_score, since_best = selection, 0
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            since_best += 1
        epochs.set_postfix(val_metric=f"{score:.4f}", val_loss=f"{val_loss:.4f}")
        if since_best >= patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def _comparable(score: float) -> float:
    """A NaN validation score (metric undefined) never counts as an improvement."""
    return -math.inf if math.isnan(score) else score


#: What :func:`fit` can select the restored epoch on.
SELECT = ("metric", "loss")


def _check_select(select: str) -> None:
    if select not in SELECT:
        raise ValueError(f"select={select!r}: use one of {SELECT}")


def best_epoch(history: dict, select: str = "metric") -> int:
    """The 1-based epoch whose weights :func:`fit` restored: the first best validation metric
    (``select="metric"``) or the first lowest validation loss (``"loss"``)."""
    _check_select(select)
    scores = history["val_metric"] if select == "metric" else [-loss for loss in history["val_loss"]]
    return int(np.argmax([_comparable(s) for s in scores])) + 1


@dataclass
class Trained:
    """What :func:`fit_and_test` returns: the model with its best-validation weights restored,
    the per-epoch history, the 1-based best epoch, the wall time of fitting and testing, the
    test targets and outputs, and the test scores (empty without a ``score`` function)."""

    model: nn.Module
    history: dict
    best_epoch: int
    seconds: float
    y_true: np.ndarray
    y_score: np.ndarray
    scores: dict = field(default_factory=dict)

    @property
    def epochs_run(self) -> int:
        """Epochs trained before early stopping (or the limit)."""
        return len(self.history["val_metric"])

    @property
    def best_val_metric(self) -> float:
        """The validation metric of the restored epoch."""
        return self.history["val_metric"][self.best_epoch - 1]


def fit_and_test(model, loaders: Mapping[str, DataLoader], loss_fn, optimizer, *, max_epochs: int, patience: int,
                 val_metric: Callable[[np.ndarray, np.ndarray], float], device,
                 score: Callable[[np.ndarray, np.ndarray], dict] | None = None,
                 progress: bool = False, select: str = "metric") -> Trained:
    """The one training entry point: :func:`fit` on ``train`` with early stopping on
    ``validation``, then a single pass over ``test`` with the restored weights.

    Seed and build the model, its loaders and its optimizer before calling (the order fixes
    the random draws); everything after that is the same for every paper.

    Args:
        model: The network.
        loaders: ``{"train": ..., "validation": ..., "test": ...}`` DataLoaders.
        loss_fn, optimizer, max_epochs, patience, val_metric, device, progress, select: As :func:`fit`.
        score: ``score(y_true, y_score) -> {metric: value}`` for the test split.

    Returns:
        :class:`Trained`.
    """
    missing = [s for s in ("train", "validation", "test") if s not in loaders]
    if missing:
        raise ValueError(f"fit_and_test needs loaders for {missing}")
    started = time.perf_counter()
    history = fit(model, loaders["train"], loaders["validation"], loss_fn, optimizer, max_epochs, patience,
                  val_metric, device, progress, select)
    y_true, y_score = predict(model, loaders["test"], device)
    scores = dict(score(y_true, y_score)) if score is not None else {}
    return Trained(model, history, best_epoch(history, select), time.perf_counter() - started, y_true, y_score,
                   scores)
