"""The rows of the mmer_analysis project (notebook 05) as benchmark rows (:data:`METHODS`),
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
from mer_lib.experiments import mmer_analysis
from mer_lib.experiments.benchmark.base import Budget, Method, classes_of, fit_classifier
from mer_lib.experiments.benchmark.tasks import Task
from mer_lib.experiments.rows import Row
from mer_lib.models import mmer_analysis as mmer_networks
from mer_lib.repro import seed_everything


#: Notebook 05's settings (its demo profile): words and Word2Vec vectors (trained on the task's
#: training texts, crops and vectors drawn with seed 0 as there with ``SEEDS[0]``), filters,
#: SGD with momentum and L2, batches of 64, frozen branch convolutions in a fusion.
MMER_ANALYSIS = {"max_words": 500, "word_dim": 300, "word2vec_epochs": 50, "skip_gram": True, "channels": 32,
                 "freeze": True, "batch_size": 64, "learning_rate": 0.003, "momentum": 0.9, "weight_decay": 1e-4,
                 "data_seed": 0}


def mmer_analysis_inputs(task: Task, budget: Budget, n_jobs: int, progress: bool, reads: Sequence[str] = ()) -> dict:
    """The inputs of notebook 05, ``{modality: {split: array}}``: MFCCs of the excerpt (a random
    ``budget.audio_seconds`` crop, 3 s of every 5 s) and Word2Vec sequences of lyrics or comments."""
    settings, ids = MMER_ANALYSIS, split_ids(task.table)
    options = {"dataset_name": task.dataset, "n_jobs": n_jobs, "progress": progress}
    out = {}
    if "audio" in reads:
        out["audio"] = mmer_analysis.audio_inputs(task.table, ids, budget.audio_seconds, seed=settings["data_seed"],
                                                  **options)
    for modality in [m for m in mmer_analysis.WORD_PRESETS if m in reads]:
        _, words, vectors = mmer_analysis.word_sequences(
            task.table.assign(duplicate=0), modality, ids["train"], max_words=settings["max_words"],
            dim=settings["word_dim"], word2vec_epochs=settings["word2vec_epochs"], skip_gram=settings["skip_gram"],
            synonym_fraction=0.0, seed=settings["data_seed"], **options)
        out[modality] = {split: mmer_analysis.embed_words(words, vectors, tids, settings["max_words"])
                         for split, tids in ids.items()}
    return out


def fit_mmer_analysis(task: Task, seed: int, budget: Budget, inputs: dict, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The row ``name`` of notebook 05 with its settings (:data:`MMER_ANALYSIS`), an output per
    class, the epoch of best validation accuracy restored. A fusion first trains, with the same
    seed, the branches it copies (as the branch cells do: the grid's cells stay independent)."""
    settings, n_classes = MMER_ANALYSIS, len(task.classes)
    frames = (inputs["audio"]["train"].shape[-1] if "audio" in inputs
              else mmer_analysis.excerpt_frames(budget.audio_seconds))
    sizes = {"frames": frames, "words": settings["max_words"], "dim": settings["word_dim"],
             "channels": settings["channels"], "freeze": settings["freeze"],
             "audio_channels": mmer_networks.paper_share_audio_channels(frames, settings["max_words"], settings["channels"])}
    targets = {split: task.labels(split).astype(np.float32)[:, None] for split in SPLITS}
    row, trained = mmer_analysis.ROWS[name], {}
    for part in mmer_analysis.training_order([*(mmer_analysis.ROWS[r] for r in row.reuses), row]):
        seed_everything(seed)
        model = part.build(**mmer_analysis.model_options(part, trained, **sizes), n_outputs=n_classes)
        loaders = mmer_analysis.loaders(part, inputs, targets, seed=seed, batch_size=settings["batch_size"])
        optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=settings["learning_rate"],
                                    momentum=settings["momentum"], weight_decay=settings["weight_decay"])
        predicted = fit_classifier(model, loaders, optimizer, n_classes, budget.max_epochs, budget.patience,
                                    metrics.argmax_accuracy, "metric")
        trained[part.name] = model
    return classes_of(predicted)


def _mmer_analysis(row: Row) -> Method:
    return Method(Row(f"mmer_analysis_{row.name}", modalities=row.modalities), partial(fit_mmer_analysis, name=row.name),
                  "mmer_analysis", partial(mmer_analysis_inputs, reads=row.inputs),
                  "an output per class, cross-entropy (paper: V/A regression)")


#: This paper's rows, in its table's order.
METHODS = tuple(map(_mmer_analysis, mmer_analysis.ROWS.values()))
