"""The rows of Jeon et al. 2017 (notebook 01) as benchmark rows (:data:`METHODS`),
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
from mer_lib.experiments import jeon2017
from mer_lib.experiments.benchmark.base import Budget, Method, classes_of, fit_classifier
from mer_lib.experiments.benchmark.tasks import Task
from mer_lib.experiments.rows import Row
from mer_lib.features.pipeline import extract
from mer_lib.models import jeon2017 as jeon_networks
from mer_lib.repro import seed_everything


def jeon2017_inputs(task: Task, budget: Budget, n_jobs: int, progress: bool, reads: Sequence[str] = ()) -> dict:
    """The inputs of notebook 01: the ``jeon2017_mel`` log-mel whose 1024 frames span the first
    ``budget.audio_seconds``, and the lyrics' open-class words (``jeon2017_lyrics_words``)."""
    options = {"dataset_name": task.dataset, "n_jobs": n_jobs, "progress": progress}
    out = {}
    if "audio" in reads:
        hop_length = int(round(budget.audio_seconds * 22050 / jeon_networks.N_FRAMES))
        out["audio"] = extract(task.table, "jeon2017_mel", seconds=budget.audio_seconds, hop_length=hop_length,
                               **options)
    if "lyrics" in reads:
        out["lyrics"] = extract(task.table, "jeon2017_lyrics_words", max_words=jeon_networks.MAX_WORDS, **options)
    return out


def fit_jeon2017(task: Task, seed: int, budget: Budget, inputs: dict, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Table 1's row ``name`` of notebook 01 with the paper's settings (Adam 1e-3, batch 32, dropout
    0.2, the epoch of lowest validation loss restored) and a softmax over the task's classes."""
    row = jeon2017.ROWS[name]
    ids = split_ids(task.table)
    arrays = {split: {} for split in SPLITS}
    if "audio" in inputs:
        for split, tids in ids.items():
            arrays[split]["audio"] = np.stack([inputs["audio"][t] for t in tids])
    vocab_size = None
    if "lyrics" in inputs:
        vocabulary, word_ids = jeon2017.encode_lyrics(inputs["lyrics"], ids, jeon_networks.MAX_WORDS)
        vocab_size = len(vocabulary)
        for split in SPLITS:
            arrays[split]["lyrics"] = word_ids[split]
    targets = {split: task.labels(split).astype(np.float32)[:, None] for split in SPLITS}
    seed_everything(seed)
    model = row.build(**jeon2017.build_options(row, vocab_size), n_classes=len(task.classes), dropout=0.2)
    loaders = jeon2017.loaders(row, arrays, targets, seed=seed, batch_size=32)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    return classes_of(fit_classifier(model, loaders, optimizer, len(task.classes), budget.max_epochs, budget.patience,
                                    metrics.argmax_accuracy, "loss"))


def _jeon2017(row: Row) -> Method:
    return Method(Row(f"jeon2017_{row.name}", modalities=row.modalities), partial(fit_jeon2017, name=row.name), "jeon2017",
                  partial(jeon2017_inputs, reads=row.inputs), "softmax over the task's classes (paper: polarity)")


#: This paper's rows, in its table's order.
METHODS = tuple(map(_jeon2017, jeon2017.ROWS.values()))
