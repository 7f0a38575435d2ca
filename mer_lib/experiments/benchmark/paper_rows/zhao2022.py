"""The rows of Zhao et al. 2022 (notebook 04) as benchmark rows (:data:`METHODS`),
with its notebook's settings.

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

from functools import partial
from typing import Sequence

import numpy as np
import torch

from mer_lib import metrics
from mer_lib.data.base import SPLITS
from mer_lib.data.splits import split_ids
from mer_lib.experiments import zhao2022
from mer_lib.experiments.benchmark.base import Budget, Method, classes_of, fit_classifier
from mer_lib.experiments.benchmark.tasks import Task
from mer_lib.experiments.rows import Row
from mer_lib.features import text, word2vec
from mer_lib.features.pipeline import extract
from mer_lib.repro import seed_everything


#: Notebook 04's settings (its demo and mirex profiles): the frozen text encoder, training
#: augmentation, Adam 1e-3 in batches of 32, Delbouys's word inputs, and the longer budget of
#: the fast context-only row (there 40 epochs, patience 8, against 8 and 3).
ZHAO2022 = {"text_model": "all-MiniLM-L6-v2", "pitch_shifts": (2.0,), "downsample_rates": (8000,),
            "batch_size": 32, "learning_rate": 1e-3, "max_words": 300, "word_dim": 100,
            "context_epoch_factor": 5, "context_extra_patience": 5}


def zhao2022_inputs(task: Task, budget: Budget, n_jobs: int, progress: bool, reads: Sequence[str] = ()) -> dict:
    """The inputs of notebook 04: ``{"arrays": {split: {input: array}}}`` (log-mel with the
    training augmentation, frozen-encoder token features of lyrics and title/artist, their
    mean) and, for Delbouys's row, ``{"words": {track_id: words}}``."""
    options = {"dataset_name": task.dataset, "n_jobs": n_jobs, "progress": progress}
    mel_options = {"seconds": budget.audio_seconds, "n_frames": int(round(budget.audio_seconds * 22050 / 1024))}
    arrays = zhao2022.extract_inputs(task.table, split_ids(task.table), [r for r in reads if r != "words"],
                                     mel_options=mel_options, text_options={"model": ZHAO2022["text_model"], "device": "cpu"},
                                     pitch_shifts=ZHAO2022["pitch_shifts"], downsample_rates=ZHAO2022["downsample_rates"],
                                     **options)
    out = {"arrays": arrays}
    if "words" in reads:
        out["words"] = extract(task.table, "lyrics_words", max_words=ZHAO2022["max_words"], **options)
    return out


def fit_zhao2022(task: Task, seed: int, budget: Budget, inputs: dict, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The row ``name`` of notebook 04's Tables 2 and 3 with its settings (:data:`ZHAO2022`),
    a classification layer over the task's classes, the epoch of best validation macro-F1 restored."""
    row = zhao2022.ROWS[name]
    ids = split_ids(task.table)
    arrays = {split: dict(values) for split, values in inputs["arrays"].items()}
    embeddings = None
    if "words" in inputs:
        documents = [list(inputs["words"][t]) for t in ids["train"]]
        vocabulary = text.Vocabulary.build(documents)
        embeddings = word2vec.embedding_matrix(
            vocabulary, word2vec.train_word2vec(documents, vector_size=ZHAO2022["word_dim"], seed=seed))
        for split, tids in ids.items():
            arrays[split]["words"] = vocabulary.encode_many([inputs["words"][t] for t in tids], ZHAO2022["max_words"])
    text_dim = next((arrays["train"][n].shape[-1] for n in ("lyrics", "context", "context_mean") if n in arrays["train"]),
                    None)  # the frozen encoder's size; Delbouys's row reads words instead
    targets = {split: task.labels(split).astype(np.float32)[:, None] for split in SPLITS}
    n_classes = len(task.classes)
    seed_everything(seed)
    model = row.build(n_regression=0, n_classes=n_classes, **zhao2022.model_options(row, text_dim=text_dim,
                                                                                    embeddings=embeddings))
    loaders = zhao2022.loaders(row, arrays, targets, seed=seed, batch_size=ZHAO2022["batch_size"],
                               crop_frames=budget.train_crop_frames)
    optimizer = torch.optim.Adam((p for p in model.parameters() if p.requires_grad), lr=ZHAO2022["learning_rate"])
    epochs, patience = budget.max_epochs, budget.patience
    if name == "context_only":
        epochs, patience = epochs * ZHAO2022["context_epoch_factor"], patience + ZHAO2022["context_extra_patience"]
    return classes_of(fit_classifier(model, loaders, optimizer, n_classes, epochs, patience,
                                    metrics.selection_metric(0, True), "metric"))


def _zhao2022(row: Row) -> Method:
    return Method(Row(f"zhao2022_{row.name}", modalities=row.modalities), partial(fit_zhao2022, name=row.name),
                  "zhao2022", partial(zhao2022_inputs, reads=row.inputs),
                  "its classification layer alone (paper: V/A regression and 4Q)")


#: This paper's rows, in its table's order.
METHODS = tuple(map(_zhao2022, zhao2022.ROWS.values()))
