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
from typing import Callable

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

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


def tensor_loader(*arrays, batch_size: int = 16, shuffle: bool = False, seed: int = 0,
                  dtype=torch.float32) -> DataLoader:
    """A DataLoader over NumPy arrays of one length, yielding ``(inputs, targets)`` batches.

    With two arrays a batch is ``(x, y)``; with more, ``((x1, x2, ...), y)`` (the last array
    is the target). Shuffling uses its own seeded generator, so batch order is reproducible.
    """
    if len(arrays) < 2:
        raise ValueError("tensor_loader needs at least one input array and one target array")
    tensors = [torch.as_tensor(np.asarray(a), dtype=dtype) for a in arrays]
    dataset = TensorDataset(*tensors)
    generator = torch.Generator().manual_seed(int(seed))
    collate = None
    if len(arrays) > 2:
        def collate(items):
            columns = [torch.stack(c) for c in zip(*items)]
            return tuple(columns[:-1]), columns[-1]
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator,
                      collate_fn=collate)


def train_epoch(model, loader, loss_fn, optimizer, device, progress: bool = False, desc: str = "") -> float:
    """One pass of gradient steps; returns the mean training loss (weighted by batch size)."""
    from tqdm.auto import tqdm

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
        val_metric: Callable[[np.ndarray, np.ndarray], float], device, progress: bool = True) -> dict:
    """Train with early stopping on a validation metric (higher is better).

    After every epoch the model is scored on ``val_loader`` with ``val_metric(y_true, y_score)``.
    Training stops when the metric has not improved for ``patience`` epochs (or after
    ``max_epochs``); the weights of the best epoch are then restored into ``model``.

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

    Returns:
        History ``{"train_loss": [...], "val_loss": [...], "val_metric": [...]}``, one value
        per epoch run (plot it with :func:`mer_lib.plotting.training_curves`); the best epoch
        is :func:`best_epoch` of it.
    """
    from tqdm.auto import tqdm

    if max_epochs < 1 or patience < 1:
        raise ValueError(f"max_epochs and patience must be >= 1, got {max_epochs}, {patience}")
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
        if best_state is None or _comparable(score) > best_score:
            best_score, since_best = _comparable(score), 0
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            since_best += 1
        epochs.set_postfix(val_metric=f"{score:.4f}", best=f"{best_score:.4f}")
        if since_best >= patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def _comparable(score: float) -> float:
    """A NaN validation score (metric undefined) never counts as an improvement."""
    return -math.inf if math.isnan(score) else score


def best_epoch(history: dict) -> int:
    """The 1-based epoch whose weights :func:`fit` restored (first best validation metric)."""
    return int(np.argmax([_comparable(s) for s in history["val_metric"]])) + 1
