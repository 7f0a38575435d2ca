"""The rows of Zhao & Yoshii 2023 (notebook 03) as benchmark rows (:data:`METHODS`),
with its notebook's settings.

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

from functools import partial
from typing import Sequence

import numpy as np
import pandas as pd
import torch

from mer_lib import metrics, train
from mer_lib.experiments import zhao2023
from mer_lib.experiments.benchmark.base import Budget, Method
from mer_lib.experiments.benchmark.tasks import Task
from mer_lib.experiments.rows import Row


#: Notebook 03's demo settings (one recipe for its networks): training windows of 64 tokens or
#: 5 s of frames, evaluation over 256 tokens or the excerpt in consecutive windows (outputs
#: averaged), 2 short chunks for the ResNet (32 base channels), Adam 1e-3 with L2 1e-4, a
#: cosine schedule, batches of 16, the epoch of best validation 4Q accuracy restored; fusion
#: heads on 2-fold out-of-fold branch vectors, at most 60 epochs with patience 10. Float32,
#: unlike notebook 03's bfloat16 on a GPU: a cell must compute the same numbers whichever
#: machine of a grid runs it (see :func:`mer_lib.models.blocks_sequence.native_bfloat16`).
ZHAO2023 = {"token_window": 64, "max_tokens": 256, "frame_window_seconds": 5.0, "max_chunks": 2,
            "resnet_channels": 32, "batch_size": 16, "learning_rate": 1e-3, "weight_decay": 1e-4,
            "schedule": "cosine", "mixed_precision": False, "fusion_epochs": 60, "fusion_patience": 10, "fusion_folds": 2}
#: The network rows of notebook 03 (its linear rows are the simple baselines here).
ZHAO2023_ROWS = ("symbolic_only", "harmony_only", "tone_only", "lstm_attn", "short_chunk_resnet", "full", "no_mhsa")


def zhao2023_recipe(budget: Budget) -> zhao2023.Recipe:
    """Notebook 03's recipe (:data:`ZHAO2023`) with the benchmark's epochs and excerpt."""
    settings, frames_per_second = ZHAO2023, 22050 / 512
    frame_window = int(settings["frame_window_seconds"] * frames_per_second) + 1
    max_frames = int(budget.audio_seconds * frames_per_second) + 1
    return zhao2023.Recipe(
        learning_rate=settings["learning_rate"], weight_decay=settings["weight_decay"], max_epochs=budget.max_epochs,
        patience=budget.patience, schedule=settings["schedule"], batch_size=settings["batch_size"],
        train_lengths={"tokens": settings["token_window"], "chroma": frame_window, "mfcc": frame_window, "mel_chunks": 1},
        eval_lengths={"tokens": settings["max_tokens"], "chroma": max_frames, "mfcc": max_frames,
                      "mel_chunks": settings["max_chunks"]},
        settings={"token_window": settings["token_window"], "frame_window": frame_window,
                  "mixed_precision": settings["mixed_precision"], "resnet_channels": settings["resnet_channels"]})


def zhao2023_inputs(task: Task, budget: Budget, n_jobs: int, progress: bool, reads: Sequence[str] = ()) -> dict:
    """The inputs of notebook 03 (:data:`mer_lib.experiments.zhao2023.INPUT_FEATURES`), audio read
    over the first ``budget.audio_seconds``."""
    return zhao2023.extract_inputs(task.table, reads, excerpt_seconds=budget.audio_seconds,
                                   dataset_name=task.dataset, n_jobs=n_jobs, progress=progress)


def fit_zhao2023(task: Task, seed: int, budget: Budget, inputs: dict, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The network row ``name`` of notebook 03 with its recipe (:func:`zhao2023_recipe`); its
    outputs (V/A probabilities or 4 classes) read as quadrants, so it runs on quadrant tasks.

    A fused row (``full``, ``no_mhsa``) is built as in notebook 03: its three branches trained
    alone, their frozen vectors of the validation and test clips, out-of-fold vectors of the
    training clips, and a head trained on those."""
    row, recipe, device = zhao2023.ROWS[name], zhao2023_recipe(budget), torch.device("cpu")
    table = task.table.assign(quadrant=task.table["label"])
    if row.reuses:
        validation, test = _zhao2023_fused(row, table, inputs, seed, recipe, device)
    else:
        result = zhao2023.fit_row(row, table, inputs, seed=seed, recipe=recipe, device=device)
        reader = zhao2023.windowed(row, result.model, **recipe.settings)
        validation_loader = zhao2023.loaders(row, table, inputs, seed=seed, **recipe.loader_options)["validation"]
        validation, test = train.predict(reader, validation_loader, device)[1], result.y_score
    index = {c: i for i, c in enumerate(task.classes)}
    return tuple(np.array([index[q] for q in metrics.output_quadrants(s)]) for s in (validation, test))


def _zhao2023_fused(row: Row, table: pd.DataFrame, inputs: dict, seed: int, recipe: zhao2023.Recipe,
                    device) -> tuple[np.ndarray, np.ndarray]:
    def fit_branch(branch: Row, fold_table: pd.DataFrame, validate: bool = False) -> train.Trained:
        return zhao2023.fit_row(branch, fold_table, inputs, seed=seed, recipe=recipe, device=device, validate=validate)

    branches = zhao2023.reused_branches(row, {name: fit_branch(zhao2023.ROWS[name], table, validate=True).model
                                              for name in row.reuses})
    readers = zhao2023.loaders(row, table, inputs, seed=seed, crop_train=False, **recipe.loader_options)
    vectors = {split: zhao2023.branch_features(branches, readers[split], device) for split in ("validation", "test")}
    vectors["train"], _ = zhao2023.out_of_fold_vectors(row, table, inputs, folds=ZHAO2023["fusion_folds"], seed=seed,
                                                       fit_branch=fit_branch, device=device,
                                                       loader_options=recipe.loader_options)
    result = zhao2023.fit_head(row, vectors, seed=seed, recipe=recipe, device=device,
                               max_epochs=ZHAO2023["fusion_epochs"], patience=ZHAO2023["fusion_patience"])
    validation_loader = zhao2023.head_loaders(vectors, batch_size=recipe.batch_size, seed=seed)["validation"]
    return train.predict(result.model, validation_loader, device)[1], result.y_score


def _zhao2023(name: str) -> Method:
    row = zhao2023.ROWS[name]
    return Method(Row(f"zhao2023_{name}", modalities=row.modalities, targets=("quadrant",)),
                  partial(fit_zhao2023, name=name), "zhao2023", partial(zhao2023_inputs, reads=row.inputs))


#: This paper's rows, in its table's order.
METHODS = tuple(map(_zhao2023, ZHAO2023_ROWS))
