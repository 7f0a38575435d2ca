"""The rows of Rajamani et al. 2020 (notebook 02) as benchmark rows (:data:`METHODS`),
with its notebook's settings.

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch

from mer_lib import metrics
from mer_lib.experiments import rajamani2020
from mer_lib.experiments.benchmark.base import Budget, Method, fit_classifier
from mer_lib.experiments.benchmark.tasks import Task
from mer_lib.experiments.rows import Row
from mer_lib.features.pipeline import extract
from mer_lib.models.blocks import late_fusion
from mer_lib.repro import seed_everything


#: Notebook 02's demo settings: a quarter of the paper's layer widths, Adam 1e-3 (the paper:
#: 1e-4, for a longer budget), batches of 16, the MTG-Jamendo mel front end (12 kHz, hop 256);
#: and, for the benchmark's budget, training on random crops of the fewest frames the pools take
#: (320, 6.8 s), the whole excerpt read on validation and test. Trained whole, the 30-s excerpt
#: (1,406 frames) costs about 70 s per epoch of mirex_mm's 552 training clips on one core.
RAJAMANI2020 = {"channels": (16, 32, 32, 32, 16), "learning_rate": 1e-3, "batch_size": 16, "sr": 12000, "hop_length": 256,
                "train_frames": rajamani2020.MIN_FRAMES}


def rajamani2020_frames(budget: Budget) -> int:
    """Input frames of the ``budget.audio_seconds`` excerpt (at least :data:`mer_lib.experiments.rajamani2020.MIN_FRAMES`)."""
    return max(rajamani2020.MIN_FRAMES, int(round(budget.audio_seconds * RAJAMANI2020["sr"] / RAJAMANI2020["hop_length"])))


def rajamani2020_inputs(task: Task, budget: Budget, n_jobs: int, progress: bool) -> dict:
    """``{"mel": {track_id: (96, frames)}}``: the ``rajamani2020_mel`` log-mel of the excerpt."""
    return {"mel": extract(task.table, "rajamani2020_mel", n_frames=rajamani2020_frames(budget),
                           dataset_name=task.dataset, n_jobs=n_jobs, progress=progress)}


def fit_rajamani2020(task: Task, seed: int, budget: Budget, inputs: dict, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The row ``name`` of notebook 02's Table 1 as a single-label classifier: its network with a
    softmax over the task's classes, the epoch of best validation accuracy restored; a late
    fusion averages the class probabilities of its members, trained here with the same seed."""
    row, n_classes = rajamani2020.ROWS[name], len(task.classes)
    x = np.stack([inputs["mel"][t] for t in task.table["track_id"]])
    positions = rajamani2020.split_indices(task.table)
    y = np.zeros((len(task.table), 1), np.float32)
    for split, where in positions.items():
        y[where, 0] = task.labels(split)
    probabilities = []
    for member in rajamani2020.members(row):
        seed_everything(seed)
        model = rajamani2020.ROWS[member].build(n_tags=n_classes, channels=RAJAMANI2020["channels"], sigmoid=False)
        loaders = rajamani2020.loaders(x, y, positions, seed=seed, batch_size=RAJAMANI2020["batch_size"],
                                       train_frames=RAJAMANI2020["train_frames"])
        optimizer = torch.optim.Adam(model.parameters(), lr=RAJAMANI2020["learning_rate"])
        scores = fit_classifier(model, loaders, optimizer, n_classes, budget.max_epochs, budget.patience,
                                 metrics.argmax_accuracy, "metric")
        probabilities.append([torch.softmax(torch.as_tensor(s), dim=1).numpy() for s in scores])
    return tuple(late_fusion(*parts).argmax(axis=1) for parts in zip(*probabilities))


def _rajamani2020(row: Row) -> Method:
    return Method(Row(f"rajamani2020_{row.name}", modalities=("audio",)), partial(fit_rajamani2020, name=row.name),
                  "rajamani2020", rajamani2020_inputs, "a softmax over the task's classes (paper: 56 sigmoid tags)")


#: This paper's rows, in its table's order.
METHODS = tuple(map(_rajamani2020, rajamani2020.ROWS.values()))
