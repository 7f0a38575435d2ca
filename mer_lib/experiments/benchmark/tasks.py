"""Tasks: one label of one dataset, with the split and the clips every row of it shares.

The split is the dataset's own when it keeps its groups apart (an artist's clips, or where a
dataset has no artists a song's: EMOPIA cuts several clips from one song), else a
group-disjoint split drawn here. Every row of a task sees the same clips: those that have
every modality the task offers; a modality only a few clips have is left out of the task, and
the rows needing it are shown as not run, with the reason. MIDI is also heard as audio, rendered
with a SoundFont, where a dataset has no audio files (as in notebook 03).

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from mer_lib.data.base import SPLITS, MERDataset
from mer_lib.data.polarity import polarity_labels
from mer_lib.data.splits import FEATURE_SOURCES, readable_modalities, usable_clips
from mer_lib.data.tables import PATH_COLUMNS, artist_groups, group_stratified_split, stratified_split
from mer_lib.features.cache import source_fingerprint

#: The label a dataset is asked to classify when a profile names none: the first it has.
DEFAULT_LABELS = ("quadrant", "cluster", "polarity")
#: A modality held by fewer of a task's clips than this share is left out of the task (its
#: rows are not run) rather than shrinking every row's clips to those that have it.
MIN_COVERAGE = 0.8
#: Seed and fractions (train, validation, test) of the split drawn for a dataset whose own
#: split shares a group across splits, or that has none.
SPLIT_SEED = 0
SPLIT_FRACTIONS = (0.7, 0.1, 0.2)
#: The clips that must stay in one split, by the first of these columns a task's table has:
#: column -> (what the split then is, what it keeps apart, each clip's group). Artist names are
#: case-folded (:func:`~mer_lib.data.tables.artist_groups`); song ids (EMOPIA's YouTube ids,
#: several clips per song) are case-sensitive and kept as they are.
GROUPINGS = {"artist": ("artist-disjoint", "artists", artist_groups),
             "song_id": ("song-disjoint", "songs", lambda ids: pd.Series(list(ids), dtype=object))}
#: How a task hears a modality its dataset has no files of (:func:`mer_lib.data.splits.readable_modalities`).
HEARD_AS = {"audio": "its MIDI rendered with a SoundFont"}


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
        heard_as: Modality → how it is obtained where the dataset has no files of it (audio
            rendered from the MIDI).
    """

    name: str
    dataset: str
    label: str
    table: pd.DataFrame
    classes: tuple
    modalities: tuple[str, ...]
    split_note: str
    left_out: Mapping[str, str] = field(default_factory=dict)
    heard_as: Mapping[str, str] = field(default_factory=dict)

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
        return polarity_labels(dataset.table, polarity_map)
    if label not in dataset.targets:
        raise ValueError(f"dataset {dataset.name!r} has no {label!r} label; it has {list(dataset.targets)}")
    return dataset.table[label]


def split_groups(table: pd.DataFrame) -> tuple[str, str, pd.Series | None]:
    """What a split of ``table`` is and keeps apart (:data:`GROUPINGS`), and each clip's group;
    ``("clip-stratified", "", None)`` where the table has no group column."""
    for column, (kind, kept_apart, groups) in GROUPINGS.items():
        if column in table.columns and table[column].notna().any():
            return kind, kept_apart, groups(table[column])
    return "clip-stratified", "", None


def shares_groups(table: pd.DataFrame) -> bool:
    """Whether a group (artist, else song) of the validation or test split also has clips in training."""
    *_, groups = split_groups(table)
    if groups is None:
        return False
    trained = set(groups[table["split"].eq("train").to_numpy()].dropna())
    return bool(set(groups[table["split"].isin(["validation", "test"]).to_numpy()].dropna()) & trained)


def common_split(table: pd.DataFrame, seed: int = SPLIT_SEED,
                 min_coverage: float = MIN_COVERAGE) -> tuple[pd.DataFrame, str]:
    """The split every row of a task shares, and where it comes from.

    The dataset's own split is kept when it keeps groups apart (:func:`split_groups`) and
    covers at least ``min_coverage`` of the clips; the clips it leaves unsplit (27 of EMOPIA's
    official split) are then left out. Otherwise a split stratified on ``label`` is drawn
    (:data:`SPLIT_FRACTIONS`, ``seed``), group-disjoint where the table has groups, so no row is
    tested on an artist (or a song) it was trained on.
    """
    kind, kept_apart, groups = split_groups(table)
    own = table["split"].isin(SPLITS)
    covered = own.mean() >= min_coverage
    if covered and not shares_groups(table[own]):
        unsplit = int((~own).sum())
        note = f"the dataset's own split ({kind if groups is not None else 'no artists or songs'})"
        return table[own].reset_index(drop=True), note + (f"; {unsplit} clips it leaves unsplit left out" if unsplit else "")
    why = f"its own split shares {kept_apart}" if covered else f"its own split covers {own.mean():.0%} of the clips"
    split = (stratified_split(table["label"], SPLIT_FRACTIONS, seed) if groups is None
             else group_stratified_split(table["label"], groups, SPLIT_FRACTIONS, seed))
    return table.assign(split=split), f"{kind} split drawn here (seed {seed}): {why}"


def make_task(dataset: MERDataset, label: str, polarity_map: Mapping | None = None,
              min_coverage: float = MIN_COVERAGE) -> Task:
    """One label of a dataset as a :class:`Task` (see the module docstring).

    Raises:
        ValueError: An unknown label, or fewer than two classes left.
    """
    table = dataset.table.assign(label=label_column(dataset, label, polarity_map))
    table = table[table["label"].notna()]
    offered, left_out = [], {}
    for modality in readable_modalities(dataset.modalities):
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
    columns = ["track_id", "split", "label", *GROUPINGS,
               *sorted({c for m in offered for c in FEATURE_SOURCES[m] if c in table.columns})]
    table, note = common_split(table[[c for c in dict.fromkeys(columns) if c in table.columns]].reset_index(drop=True),
                               min_coverage=min_coverage)
    return Task(f"{dataset.name}:{label}", dataset.name, label, table, classes, tuple(offered), note, left_out,
                {m: HEARD_AS[m] for m in offered if m not in dataset.modalities})


def task_table(tasks: Sequence[Task]) -> pd.DataFrame:
    """One line per task: clips per split, classes, modalities offered and left out, the split."""
    records = []
    for task in tasks:
        counts = task.table["split"].value_counts()
        records.append({"task": task.name, **{s: int(counts.get(s, 0)) for s in SPLITS},
                        "classes": len(task.classes),
                        "modalities": ", ".join(f"{m} ({task.heard_as[m]})" if m in task.heard_as else m
                                                for m in task.modalities),
                        "left out": "; ".join(task.left_out.values()), "split": task.split_note})
    return pd.DataFrame(records).set_index("task")
