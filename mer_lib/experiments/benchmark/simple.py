"""The simple baselines a method must clear: the majority class, a standardised logistic
regression on audio statistics (EMOPIA's Audio-LR features) or note statistics (Symbolic-LR),
and a TF-IDF logistic regression on lyrics or on "title - artist".

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

from functools import partial
from typing import Mapping, Sequence

import numpy as np

from mer_lib import baselines
from mer_lib.data.base import SPLITS
from mer_lib.data.splits import split_ids
from mer_lib.experiments.benchmark.base import SIMPLE, Budget, Method
from mer_lib.experiments.benchmark.tasks import Task
from mer_lib.experiments.rows import Row
from mer_lib.features.pipeline import extract, read_source


def _by_split(task: Task, values: Mapping[str, object]) -> dict[str, list]:
    return {split: [values[t] for t in ids] for split, ids in split_ids(task.table).items()}


def preset_inputs(task: Task, budget: Budget, n_jobs: int, progress: bool, presets: Sequence[str] = ()) -> dict:
    """``{preset: {track_id: vector}}`` of feature presets over the task's clips."""
    return {preset: extract(task.table, preset, dataset_name=task.dataset, n_jobs=n_jobs, progress=progress)
            for preset in presets}


def fit_majority(task: Task, seed: int, budget: Budget, inputs: dict) -> tuple[np.ndarray, np.ndarray]:
    """The training split's most frequent class, for every clip."""
    chosen = baselines.majority_class(task.labels("train"))
    return tuple(np.full(len(task.labels(split)), chosen) for split in ("validation", "test"))


def fit_feature_lr(task: Task, seed: int, budget: Budget, inputs: dict) -> tuple[np.ndarray, np.ndarray]:
    """A standardised logistic regression on a preset's vectors, ``C`` chosen on validation."""
    (vectors,) = inputs.values()
    x = {split: np.stack(v) for split, v in _by_split(task, vectors).items()}
    return _predict(baselines.logistic_baseline(x, _labels(task), seed=seed)[0], x)


def fit_text_lr(task: Task, seed: int, budget: Budget, inputs: dict,
                source: str = "lyrics") -> tuple[np.ndarray, np.ndarray]:
    """A TF-IDF logistic regression on a text source (``lyrics``, ``context``), ``C`` chosen on validation."""
    texts = {row["track_id"]: str(read_source(source, row)) for row in task.table.to_dict("records")}
    x = _by_split(task, texts)
    return _predict(baselines.text_logistic_baseline(x, _labels(task), seed=seed)[0], x)


def _labels(task: Task) -> dict[str, np.ndarray]:
    return {split: task.labels(split) for split in SPLITS}


def _predict(model, x: Mapping[str, object]) -> tuple[np.ndarray, np.ndarray]:
    return model.predict(x["validation"]), model.predict(x["test"])



def _feature_lr(name: str, modality: str, preset: str) -> Method:
    return Method(Row(name, modalities=(modality,)), fit_feature_lr, SIMPLE, partial(preset_inputs, presets=(preset,)))


def _text_lr(name: str, source: str) -> Method:
    return Method(Row(name, modalities=(source,)), partial(fit_text_lr, source=source), SIMPLE)


SIMPLE_METHODS = (
    Method(Row("majority"), fit_majority, SIMPLE),
    _feature_lr("audio_lr", "audio", "emopia_audio_lr"),
    _feature_lr("symbolic_lr", "midi", "emopia_symbolic_lr"),
    _text_lr("lyrics_tfidf_lr", "lyrics"),
    _text_lr("context_tfidf_lr", "context"),
)
