"""Tasks: one label of one dataset, with the split and the clips every row of it shares.

The split is the dataset's own when it keeps artists apart (or has none), else an
artist-disjoint split drawn here. Every row of a task sees the same clips: those that have
every modality the task offers; a modality only a few clips have is left out of the task, and
the rows needing it are shown as not run, with the reason.

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from mer_lib.data.base import SPLITS, MERDataset
from mer_lib.data.splits import FEATURE_SOURCES, fresh_split, usable_clips
from mer_lib.data.tables import PATH_COLUMNS, artist_groups
from mer_lib.experiments import jeon2017
from mer_lib.features.cache import source_fingerprint

#: The label a dataset is asked to classify when a profile names none: the first it has.
DEFAULT_LABELS = ("quadrant", "cluster", "polarity")
#: A modality held by fewer of a task's clips than this share is left out of the task (its
#: rows are not run) rather than shrinking every row's clips to those that have it.
MIN_COVERAGE = 0.8
#: Seed of the artist-disjoint split drawn for a dataset whose own split shares artists.
SPLIT_SEED = 0


@dataclass(frozen=True, eq=False)
class Task:
    """One label of one dataset, with the split and clips every row of it shares.

    Attributes:
        name: ``"<dataset>:<label>"``.
        dataset: The dataset's registry name (the feature cache's namespace).
        label: The column classified.
        table: The task's clips: ``track_id``, ``split``, ``label`` and the source columns.
        classes: The label's values, sorted (class ``i`` is ``classes[i]``).
        modalities: The modalities every clip of the task has.
        split_note: Where the split comes from.
        left_out: Modality → why the task does not offer it.
    """

    name: str
    dataset: str
    label: str
    table: pd.DataFrame
    classes: tuple
    modalities: tuple[str, ...]
    split_note: str
    left_out: Mapping[str, str] = field(default_factory=dict)

    def labels(self, split: str) -> np.ndarray:
        """Class indices of a split's clips, in table order."""
        index = {c: i for i, c in enumerate(self.classes)}
        return self.table.loc[self.table["split"] == split, "label"].map(index).to_numpy(int)

    def fingerprint(self) -> str:
        """Digest of a cell's data input: the task's clips, split, labels and sources, each
        file by its path, size and modification time (as the feature cache keys them)."""
        table = self.table.astype(str)
        for column in [c for c in PATH_COLUMNS if c in self.table.columns]:
            table[column] = [source_fingerprint(p, True) if isinstance(p, str) and p else "" for p in self.table[column]]
        hashed = pd.util.hash_pandas_object(table, index=False).to_numpy()
        return hashlib.sha256(hashed.tobytes() + repr((self.classes, self.modalities)).encode()).hexdigest()[:16]



def task_labels(dataset: MERDataset, labels: Sequence[str] = ()) -> list[str]:
    """The labels a dataset is asked: ``labels``, or the first of :data:`DEFAULT_LABELS` it has."""
    if labels:
        return list(labels)
    for label in DEFAULT_LABELS:
        if label in dataset.targets:
            return [label]
    raise ValueError(f"dataset {dataset.name!r} has none of the labels {list(DEFAULT_LABELS)}; "
                     f"name one of its targets {list(dataset.targets)} in LABELS")


def label_column(dataset: MERDataset, label: str, polarity_map: Mapping | None = None) -> pd.Series:
    """A dataset's ``label`` per clip; ``polarity`` may come from clusters (``POLARITY_MAP``)."""
    if label == "polarity":
        return jeon2017.polarity_labels(dataset.table, polarity_map)
    if label not in dataset.targets:
        raise ValueError(f"dataset {dataset.name!r} has no {label!r} label; it has {list(dataset.targets)}")
    return dataset.table[label]


def shares_artists(table: pd.DataFrame) -> bool:
    """Whether an artist of the validation or test split also has clips in training."""
    if "artist" not in table.columns or table["artist"].isna().all():
        return False
    groups = artist_groups(table["artist"])
    trained = set(groups[table["split"] == "train"].dropna())
    return bool(set(groups[table["split"].isin(["validation", "test"])].dropna()) & trained)


def common_split(table: pd.DataFrame, seed: int = SPLIT_SEED) -> tuple[pd.DataFrame, str]:
    """The split every row of a task shares, and where it comes from.

    The dataset's own split is kept when it keeps artists apart (or the table has none);
    otherwise an artist-disjoint split stratified on ``label`` is drawn (70/10/20, ``seed``),
    so no row is tested on an artist it was trained on.
    """
    has_split = table["split"].isin(SPLITS).all()
    if has_split and not shares_artists(table):
        artists = "artist-disjoint" if "artist" in table.columns and table["artist"].notna().any() else "no artists"
        return table, f"the dataset's own split ({artists})"
    why = "its own split shares artists" if has_split else "it has no complete split"
    return fresh_split(table, "label", seed, balance=False), f"artist-disjoint split drawn here (seed {seed}): {why}"


def make_task(dataset: MERDataset, label: str, polarity_map: Mapping | None = None,
              min_coverage: float = MIN_COVERAGE) -> Task:
    """One label of a dataset as a :class:`Task` (see the module docstring).

    Raises:
        ValueError: An unknown label, or fewer than two classes left.
    """
    table = dataset.table.assign(label=label_column(dataset, label, polarity_map))
    table = table[table["label"].notna()]
    offered, left_out = [], {}
    for modality in dataset.modalities:
        _, counts = usable_clips(table, [modality], [])
        share = counts["kept"].sum() / max(len(table), 1)
        if share >= min_coverage:
            offered.append(modality)
        else:
            left_out[modality] = f"{modality} for only {share:.0%} of the clips"
    table, _ = usable_clips(table, offered, [])
    classes = tuple(sorted(table["label"].unique()))
    if len(classes) < 2:
        raise ValueError(f"{dataset.name}:{label} has {len(classes)} class(es) among its usable clips")
    columns = ["track_id", "split", "label", "artist",
               *sorted({c for m in offered for c in FEATURE_SOURCES[m] if c in table.columns})]
    table, note = common_split(table[[c for c in dict.fromkeys(columns) if c in table.columns]].reset_index(drop=True))
    return Task(f"{dataset.name}:{label}", dataset.name, label, table, classes, tuple(offered), note, left_out)


def task_table(tasks: Sequence[Task]) -> pd.DataFrame:
    """One line per task: clips per split, classes, modalities offered and left out, the split."""
    records = []
    for task in tasks:
        counts = task.table["split"].value_counts()
        records.append({"task": task.name, **{s: int(counts.get(s, 0)) for s in SPLITS},
                        "classes": len(task.classes), "modalities": ", ".join(task.modalities),
                        "left out": "; ".join(task.left_out.values()), "split": task.split_note})
    return pd.DataFrame(records).set_index("task")
