"""What every benchmark row shares: its budget (:class:`Budget`), its declaration
(:class:`Method`) and the training of a network as a classifier (:func:`fit_classifier`).

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, Mapping

import numpy as np
import torch

from mer_lib import losses, train
from mer_lib.experiments.rows import Row

#: ``source`` of a simple baseline (a paper row names its paper key).
SIMPLE = "simple baseline"


@dataclass(frozen=True)
class Budget:
    """What a profile sets for every network row: its CPU budget and excerpt, not its method."""

    max_epochs: int = 15
    patience: int = 5
    audio_seconds: float = 10.0  # the audio excerpt from the start (notebooks 01 and 04's AUDIO_SECONDS)
    train_crop_frames: int = 64  # Zhao 2022's random training crop (notebook 04's TRAIN_CROP_FRAMES)
    torch_threads: int = 1


#: ``(task, budget, n_jobs, progress) -> {input name: ...}``: a row's features (``task``: a
#: :class:`~mer_lib.experiments.benchmark.tasks.Task`).
Inputs = Callable[[object, Budget, int, bool], dict]


@dataclass(frozen=True)
class Method:
    """A benchmark row.

    Attributes:
        row: What it needs (:class:`~mer_lib.experiments.rows.Row`).
        fit: ``fit(task, seed, budget, inputs) -> (validation, test)`` class indices.
        source: :data:`SIMPLE`, or the key of the paper whose row it is.
        inputs: Computes its features (cached on disk): run once over all cores before the
            grid, then read by each cell; ``None`` for a row that reads raw table columns.
        head: How its output was adapted to a task, where the paper's task differs.
    """

    row: Row
    fit: Callable[[object, int, Budget, dict], tuple[np.ndarray, np.ndarray]]
    source: str
    inputs: Inputs | None = None
    head: str = ""

    @property
    def modules(self) -> tuple[str, ...]:
        """The modules of its ``fit`` and ``inputs`` functions: with what they import, the code
        its cells depend on beyond the cell's own work (:mod:`.cell_run`)."""
        functions = [f.func if isinstance(f, partial) else f for f in (self.fit, self.inputs) if f is not None]
        return tuple(sorted({f.__module__ for f in functions}))


def fit_classifier(model, loaders: Mapping, optimizer, n_classes: int, max_epochs: int, patience: int,
                    val_metric, select: str) -> tuple[np.ndarray, np.ndarray]:
    """Train with cross-entropy over ``n_classes`` (on the CPU), restore the selected epoch and
    return the class logits of every validation and test clip."""
    device = torch.device("cpu")
    result = train.fit_and_test(model, loaders, losses.MultiTaskLoss(0, n_classes), optimizer, max_epochs=max_epochs,
                                patience=patience, val_metric=val_metric, device=device, select=select)
    _, validation = train.predict(result.model, loaders["validation"], device)
    return validation, result.y_score


def classes_of(scores: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The argmax class of every clip of the ``(validation, test)`` scores."""
    return tuple(s.argmax(axis=1) for s in scores)
