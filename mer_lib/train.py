"""One small training loop for every paper notebook: fit with early stopping, predict.

The loop is deliberately plain (d2l style): a batch is ``(inputs, targets)`` where ``inputs``
is a tensor, a tuple of tensors (passed as positional arguments) or a dict of tensors
(keyword arguments), so the same code trains a tagger, a regressor or a multimodal model::

    history = fit(model, train_loader, val_loader, loss_fn, optimizer,
                  max_epochs=100, patience=35, val_metric=metrics.roc_auc_macro, device=device)
    y_true, y_score = predict(model, test_loader, device)

Model selection is on validation only: after training the weights of the epoch with the
best validation metric are restored; the test split is never seen here (a ``watch`` can
record scores per epoch for reporting, never for selection).

For long inputs: :class:`LengthBucketSampler` batches clips of similar length (each batch
padded to its own longest clip: ``clip_loader(..., bucket_by=name)``), :func:`lr_schedule`
builds a per-epoch learning-rate schedule for :func:`fit`, and :class:`WindowedPrediction`
reads a whole clip as consecutive windows of the training crop and averages the model's
output probabilities.

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
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler
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
        pad_to_batch: Cut but do not pad items; :meth:`collate` pads each batch to its longest
            item instead (use it with :class:`LengthBucketSampler`, which batches similar lengths).
    """

    def __init__(self, inputs, targets, *, lengths: Mapping[str, int] | None = None, random_crop: bool = False,
                 seed: int = 0, axes: Mapping[str, int] | None = None, report_lengths: Sequence[str] = (),
                 pad_id: int = 0, pad_to_batch: bool = False):
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
        self.pad_to_batch = pad_to_batch
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.targets)

    def steps(self, name, index: int) -> int:
        """Steps of clip ``index``'s input ``name`` along its cut axis, after the cut (no padding)."""
        x = self.inputs[name][0][index]
        steps = x.shape[self.axes.get(name, -1) % x.dim()]
        return min(steps, self.lengths[name]) if name in self.lengths else steps

    def collate(self, items):
        """Stack items into a batch, padding each input along its axis to the batch's longest
        (ids with ``pad_id``, values with 0): the ``collate_fn`` of a ``pad_to_batch`` dataset."""
        inputs, targets = zip(*items)
        names = list(self.inputs)
        rows = [item if self.named else dict(zip(names, item)) for item in inputs]
        batch = {}
        for name in rows[0]:
            values = [row[name] for row in rows]
            if name in self.inputs and values[0].dim() > 0:
                axis = self.axes.get(name, -1) % values[0].dim()
                longest = max(v.shape[axis] for v in values)
                values = [_pad_to(v, axis, longest, self.pad_id if not v.is_floating_point() else 0)
                          for v in values]
            batch[name] = torch.stack(values)
        out = batch if self.named else tuple(batch[k] for k in names)
        return out, torch.stack(list(targets))

    def _cut(self, x: torch.Tensor, name) -> tuple[torch.Tensor, int]:
        size = self.lengths[name]
        axis = self.axes.get(name, -1) % x.dim()
        steps = x.shape[axis]
        start = int(self.rng.integers(steps - size + 1)) if self.random_crop and steps > size else 0
        piece = x.narrow(axis, start, min(size, steps - start))
        real = piece.shape[axis]
        if real < size and not self.pad_to_batch:
            piece = _pad_to(piece, axis, size, self.pad_id if not piece.is_floating_point() else 0)
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


def _pad_to(x: torch.Tensor, axis: int, size: int, fill) -> torch.Tensor:
    """``x`` padded with ``fill`` along ``axis`` to ``size`` steps (unchanged when it has them)."""
    missing = size - x.shape[axis]
    if missing <= 0:
        return x
    shape = list(x.shape)
    shape[axis] = missing
    return torch.cat([x, x.new_full(shape, fill)], dim=axis)


class LengthBucketSampler(Sampler):
    """Batches of clips of similar length, so a batch is padded only to its own longest clip.

    Shuffled (training): each epoch draws a permutation of the clips, cuts it into pools of
    ``pool`` batches, sorts every pool by length, cuts the pools into batches and shuffles
    the order of the batches, so batches differ from epoch to epoch while the clips in one
    batch have similar lengths. The draws of epoch ``e`` come from the seed ``(seed, e)``:
    the same seed gives the same batches, epoch by epoch. Not shuffled (evaluation): clips
    sorted by length (ties in clip order), cut into batches.

    Args:
        lengths: Steps of each clip (after any cut: a training clip longer than its window
            counts as the window).
        batch_size: Clips per batch (the last batch of a pool may be smaller).
        shuffle: Draw new batches every epoch (training).
        seed: Seed of the draws.
        pool: Batches per sorted pool (larger: less padding, less randomness).
    """

    def __init__(self, lengths, batch_size: int, *, shuffle: bool = True, seed: int = 0, pool: int = 8):
        if batch_size < 1 or pool < 1:
            raise ValueError(f"batch_size and pool must be >= 1, got {batch_size}, {pool}")
        self.lengths = np.asarray(lengths)
        self.batch_size, self.shuffle, self.seed, self.pool = int(batch_size), shuffle, int(seed), int(pool)
        self.epoch = 0

    def batches(self, epoch: int) -> list[list[int]]:
        """The batches (lists of clip indices) of epoch ``epoch`` (0-based), without advancing."""
        size, n = self.batch_size, len(self.lengths)
        if not self.shuffle:
            order = np.argsort(self.lengths, kind="stable")
            return [order[i:i + size].tolist() for i in range(0, n, size)]
        rng = np.random.default_rng([self.seed, epoch])
        permutation, out = rng.permutation(n), []
        for start in range(0, n, size * self.pool):
            chunk = permutation[start:start + size * self.pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            out += [chunk[i:i + size].tolist() for i in range(0, len(chunk), size)]
        return [out[i] for i in rng.permutation(len(out))]

    def __iter__(self):
        batches = self.batches(self.epoch)
        self.epoch += 1
        return iter(batches)

    def __len__(self) -> int:
        size, n = self.batch_size, len(self.lengths)
        if not self.shuffle:
            return math.ceil(n / size)
        pools = [min(size * self.pool, n - start) for start in range(0, n, size * self.pool)]
        return sum(math.ceil(p / size) for p in pools)


def _as_clips(value):
    """One input as a tensor ``(clips, ...)`` or a list of per-clip tensors (variable lengths)."""
    if isinstance(value, torch.Tensor) or (isinstance(value, np.ndarray) and value.dtype != object):
        return _as_tensor(value)
    return [_as_tensor(v) for v in value]


def _as_tensor(value) -> torch.Tensor:
    tensor = torch.as_tensor(np.asarray(value))
    return tensor.float() if tensor.is_floating_point() else tensor.long()


def clip_loader(inputs, targets, *, batch_size: int, shuffle: bool = False, seed: int = 0,
                bucket_by: str | None = None, pad_to_batch: bool = False, **dataset_options) -> DataLoader:
    """A DataLoader over a :class:`ClipDataset`, its shuffling seeded so batch order is reproducible.

    ``dataset_options`` are :class:`ClipDataset`'s (``lengths``, ``random_crop``...).

    Args:
        bucket_by: An input name: batch clips of similar length of that input
            (:class:`LengthBucketSampler`, its lengths after the cut) and pad each batch to its
            longest clip only. With ``shuffle`` the batches are redrawn every epoch; without,
            the clips are read sorted by length (the loader's order is then not the clips' order).
        pad_to_batch: Pad each batch to its longest clip (implied by ``bucket_by``), keeping
            the clips' order.
    """
    dataset = ClipDataset(inputs, targets, seed=seed, pad_to_batch=pad_to_batch or bucket_by is not None,
                          **dataset_options)
    if bucket_by is not None:
        lengths = [dataset.steps(bucket_by, i) for i in range(len(dataset))]
        sampler = LengthBucketSampler(lengths, batch_size, shuffle=shuffle, seed=seed)
        return DataLoader(dataset, batch_sampler=sampler, collate_fn=dataset.collate)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                      generator=torch.Generator().manual_seed(int(seed)),
                      collate_fn=dataset.collate if dataset.pad_to_batch else None)


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
        select: str = "metric", scheduler=None,
        val_metrics: Mapping[str, Callable[[np.ndarray, np.ndarray], float]] | None = None,
        watch: Callable[[nn.Module], Mapping[str, float]] | None = None) -> dict:
    """Train with early stopping on a validation metric (higher is better) or the validation loss.

    After every epoch the model is scored on ``val_loader`` with ``val_metric(y_true, y_score)``
    and ``loss_fn``. Training stops when the selection score (:data:`SELECT`) has not improved
    for ``patience`` epochs (or after ``max_epochs``); the weights of the best epoch are then
    restored into ``model``.

    Args:
        model: A ``torch.nn.Module`` (moved to ``device``).
        train_loader: Batches ``(inputs, targets)`` for gradient steps.
        val_loader: Batches for model selection (never the test split). ``None``: no
            validation, no early stopping; the weights of the last epoch are kept (the
            validation entries of the history are NaN).
        loss_fn: ``loss_fn(outputs, targets) -> scalar tensor``.
        optimizer: A ``torch.optim`` optimizer over ``model``'s parameters.
        max_epochs: Upper bound on epochs.
        patience: Epochs without improvement before stopping.
        val_metric: Model-selection score on NumPy arrays, higher is better.
        device: A ``torch.device`` (see :func:`mer_lib.repro.resolve_device`).
        progress: Show tqdm bars (epochs, and batches within an epoch).
        select: ``"metric"`` (the highest ``val_metric``) or ``"loss"`` (the lowest validation
            loss: smoother than an accuracy on a few dozen clips).
        scheduler: A learning-rate scheduler over ``optimizer`` (built by the caller, e.g.
            :func:`lr_schedule`), stepped once per epoch, after the epoch's gradient steps; the
            history then also has ``lr``, the learning rate each epoch trained with.
        val_metrics: More scores of the same validation outputs, ``{name: metric}``, recorded
            as ``val_<name>`` (never used for selection).
        watch: Called with the model (eval mode) after every epoch; the values of the mapping
            it returns are recorded under their names. Selection never reads them: this is
            for reporting what another protocol would have picked (e.g. a test score per epoch).

    Returns:
        History ``{"train_loss": [...], "val_loss": [...], "val_metric": [...]}`` (plus ``lr``,
        ``val_<name>`` and the ``watch`` names when given), one value per epoch run (plot it
        with :func:`mer_lib.plotting.training_curves`); the best epoch is :func:`best_epoch` of it.
    """
    if max_epochs < 1 or patience < 1:
        raise ValueError(f"max_epochs and patience must be >= 1, got {max_epochs}, {patience}")
    _check_select(select)
    model.to(device)
    history = {key: [] for key in HISTORY_KEYS}
    best_score, best_state, since_best = -math.inf, None, 0
    epochs = tqdm(range(1, max_epochs + 1), desc="epochs", disable=not progress)
    for epoch in epochs:
        if scheduler is not None:
            history.setdefault("lr", []).append(float(optimizer.param_groups[0]["lr"]))
        history["train_loss"].append(
            train_epoch(model, train_loader, loss_fn, optimizer, device, progress, f"epoch {epoch}"))
        if scheduler is not None:
            scheduler.step()
        if watch is not None:
            model.eval()
            for name, value in watch(model).items():
                history.setdefault(name, []).append(float(value))
        if val_loader is None:
            history["val_loss"].append(math.nan)
            history["val_metric"].append(math.nan)
            continue
        y_true, y_score, val_loss = evaluate(model, val_loader, device, loss_fn)
        score = float(val_metric(y_true, y_score))
        history["val_loss"].append(val_loss)
        history["val_metric"].append(score)
        for name, metric in (val_metrics or {}).items():
            history.setdefault(f"val_{name}", []).append(float(metric(y_true, y_score)))
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


def lr_schedule(optimizer, kind: str, epochs: int, restart_epochs: int = 25):
    """A per-epoch learning-rate scheduler for :func:`fit`, or None.

    Args:
        optimizer: The optimizer (its learning rate is the peak).
        kind: ``"none"``; ``"cosine"`` — one half cosine from the learning rate down to 0
            over ``epochs`` (``CosineAnnealingLR(T_max=epochs)``), so the last epochs take
            small steps and the training loss flattens; ``"cosine_restarts"`` — EMOPIA_cls's
            ``CosineAnnealingWarmRestarts(T_0=restart_epochs)``: back to the peak every
            ``restart_epochs`` epochs.
        epochs: Epochs of the run (``MAX_EPOCHS``).
        restart_epochs: ``T_0`` of the warm restarts.
    """
    if kind == "none":
        return None
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(int(epochs), 1))
    if kind == "cosine_restarts":
        return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=int(restart_epochs))
    raise ValueError(f"schedule {kind!r}: use one of {SCHEDULES}")


#: The learning-rate schedules of :func:`lr_schedule`.
SCHEDULES = ("none", "cosine", "cosine_restarts")


class WindowedPrediction(nn.Module):
    """Read a long input as consecutive windows and average the model's *outputs* per clip.

    A model trained on random windows of ``window`` steps sees, at evaluation, every window
    of a clip (the last one shorter), and the clip's output is the mean of its windows'
    outputs: the mean of the probabilities (``outputs="probabilities"``, e.g. sigmoid V/A
    outputs) or the log of the mean of the probabilities (``"log_probabilities"``, 4-class
    log-softmax outputs, so ``nll_loss`` still applies). An input of at most one window (every
    training crop) goes to the model as it is, so the same module trains and evaluates.

    Inputs are keyword tensors (``model(**inputs)``); ``name`` is cut along its last axis, its
    real length is ``<name>_length`` when given, else the steps that differ from
    ``pad_value``; each window gets its own ``<name>_length``. Windows that start at or
    beyond a clip's length are left out of its mean; other inputs are repeated per window.

    Args:
        model: The network; ``model(**inputs)`` → ``(B, outputs)``.
        name: The windowed input.
        window: Steps per window (the training crop).
        pad_value: The padding value of ``name`` (its real length when ``<name>_length`` is absent).
        outputs: ``"probabilities"`` or ``"log_probabilities"``.
        max_windows: Windows per forward pass (bounds memory on long clips).
    """

    def __init__(self, model: nn.Module, name: str, window: int, *, pad_value: float = 0,
                 outputs: str = "probabilities", max_windows: int = 256):
        super().__init__()
        if outputs not in ("probabilities", "log_probabilities"):
            raise ValueError(f"outputs must be 'probabilities' or 'log_probabilities', got {outputs!r}")
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        self.model, self.name, self.window = model, name, int(window)
        self.pad_value, self.outputs, self.max_windows = pad_value, outputs, int(max_windows)

    def forward(self, **inputs):
        x = inputs[self.name]
        steps = x.shape[-1]
        if steps <= self.window:
            return self.model(**inputs)
        length_key = f"{self.name}_length"
        if length_key in inputs:
            lengths = inputs[length_key].to(x.device)
        else:  # right-padded: the steps where some value differs from the padding
            real = x != self.pad_value
            lengths = (real.flatten(1, -2).any(1) if real.dim() > 2 else real).sum(-1)
        n_windows = math.ceil(steps / self.window)
        windows = F.pad(x, (0, n_windows * self.window - steps), value=self.pad_value)
        windows = windows.unfold(-1, self.window, self.window).movedim(-2, 1)  # (B, n, ..., window)
        starts = torch.arange(n_windows, device=x.device) * self.window
        valid = starts[None, :] < lengths[:, None]
        valid[:, 0] = True  # every clip keeps its first window, even an empty one
        clip, index = valid.nonzero(as_tuple=True)
        windows = windows[clip, index]
        window_lengths = (lengths[clip] - starts[index]).clamp(min=0, max=self.window)
        outputs = []
        for start in range(0, len(clip), self.max_windows):
            part = slice(start, start + self.max_windows)
            pieces = {}
            for key, value in inputs.items():
                if key == self.name:
                    value = windows[part]
                elif key == length_key:
                    value = window_lengths[part]
                elif isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape[0] == x.shape[0]:
                    value = value[clip[part]]
                pieces[key] = value
            outputs.append(self.model(**pieces).float())
        out = torch.cat(outputs)
        probabilities = out.exp() if self.outputs == "log_probabilities" else out
        sums = probabilities.new_zeros(x.shape[0], out.shape[-1]).index_add_(0, clip, probabilities)
        mean = sums / valid.sum(-1, keepdim=True).to(sums.dtype)
        return mean.clamp(min=1e-7).log() if self.outputs == "log_probabilities" else mean


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
                 progress: bool = False, select: str = "metric", scheduler=None,
                 val_metrics: Mapping[str, Callable[[np.ndarray, np.ndarray], float]] | None = None,
                 watch: Callable[[nn.Module], Mapping[str, float]] | None = None) -> Trained:
    """The one training entry point: :func:`fit` on ``train`` with early stopping on
    ``validation``, then a single pass over ``test`` with the restored weights.

    Seed and build the model, its loaders and its optimizer before calling (the order fixes
    the random draws); everything after that is the same for every paper. Without a
    ``validation`` loader the model trains ``max_epochs`` and keeps its last weights (the
    best epoch is then the last).

    Args:
        model: The network.
        loaders: ``{"train": ..., "validation": ..., "test": ...}`` DataLoaders (``validation``
            may be left out).
        loss_fn, optimizer, max_epochs, patience, val_metric, device, progress, select,
        scheduler, val_metrics, watch: As :func:`fit`.
        score: ``score(y_true, y_score) -> {metric: value}`` for the test split.

    Returns:
        :class:`Trained`.
    """
    missing = [s for s in ("train", "test") if s not in loaders]
    if missing:
        raise ValueError(f"fit_and_test needs loaders for {missing}")
    started = time.perf_counter()
    history = fit(model, loaders["train"], loaders.get("validation"), loss_fn, optimizer, max_epochs, patience,
                  val_metric, device, progress, select, scheduler, val_metrics, watch)
    y_true, y_score = predict(model, loaders["test"], device)
    scores = dict(score(y_true, y_score)) if score is not None else {}
    best = best_epoch(history, select) if "validation" in loaders else len(history["train_loss"])
    return Trained(model, history, best, time.perf_counter() - started, y_true, y_score, scores)
