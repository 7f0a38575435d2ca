"""The ``MERDataset`` contract every loader returns (see ``../shared/GUIDE.md``).

A dataset is one table (one row per clip) plus what a notebook needs to trust it:
what modalities and targets it has, where it came from (``cite``, ``license``), and
whether its files are intact (``validate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from mer_lib.data.checks import check_files

#: Modality name → table columns that provide it (any one of them suffices).
MODALITY_COLUMNS = {
    "audio": ("audio_path",),
    "midi": ("midi_path",),
    "lyrics": ("lyrics", "lyrics_path"),
    "context": ("title", "artist"),   # both needed: "title + artist", as zhao2022 uses
    "comments": ("comments",),
}
#: Target name → table column.
TARGET_COLUMNS = {
    "valence": "valence",
    "arousal": "arousal",
    "quadrant": "quadrant",
    "polarity": "polarity",
    "tags": "tags",
    "cluster": "cluster",
}
SPLITS = ("train", "validation", "test")


class DatasetError(ValueError):
    """A dataset that is missing, malformed, or lacks what a model needs."""


def _present(table: pd.DataFrame, column: str) -> bool:
    return column in table.columns and table[column].notna().any()


@dataclass
class MERDataset:
    """A loaded dataset: ``table`` plus its provenance and checks.

    Attributes:
        name: Registry name (``"synthetic"``, ``"emopia"`` ...).
        table: One row per clip with ``track_id``, ``split`` and the dataset's columns.
        root: Folder the dataset was read from.
        bibtex: Citation of the dataset.
        license_text: License or terms of use.
        notes: Scale of the targets and anything a user must know.
        extra_checks: Optional dataset-specific checks, ``(dataset, deep) -> DataFrame`` with
            the columns of :meth:`validate`; :meth:`validate` adds what they find.
    """

    name: str
    table: pd.DataFrame
    root: Path
    bibtex: str = ""
    license_text: str = ""
    notes: str = ""
    extra_checks: Callable[["MERDataset", bool], pd.DataFrame] | None = field(
        default=None, repr=False, compare=False)

    def __post_init__(self):
        for column in ("track_id", "split"):
            if column not in self.table.columns:
                raise DatasetError(f"dataset {self.name!r}: table lacks the {column!r} column")
        if self.table["track_id"].duplicated().any():
            dup = self.table.loc[self.table["track_id"].duplicated(), "track_id"].iloc[0]
            raise DatasetError(f"dataset {self.name!r}: duplicate track_id {dup!r}")
        bad = set(self.table["split"].dropna()) - set(SPLITS)
        if bad:
            raise DatasetError(f"dataset {self.name!r}: unknown split names {sorted(bad)}; use {SPLITS}")

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        return (f"MERDataset({self.name!r}, {len(self)} clips, modalities={list(self.modalities)}, "
                f"targets={list(self.targets)})")

    @property
    def modalities(self) -> tuple[str, ...]:
        """Modalities present in at least one clip."""
        have = []
        for modality, columns in MODALITY_COLUMNS.items():
            if modality == "context":
                ok = all(_present(self.table, c) for c in columns)
            else:
                ok = any(_present(self.table, c) for c in columns)
            if ok:
                have.append(modality)
        return tuple(have)

    @property
    def targets(self) -> tuple[str, ...]:
        """Targets present in at least one clip."""
        return tuple(t for t, c in TARGET_COLUMNS.items() if _present(self.table, c))

    def require(self, modalities=(), targets=()) -> None:
        """Refuse, with one clear message, a dataset that lacks what a model needs.

        Args:
            modalities: Names of :data:`MODALITY_COLUMNS` (one name or several).
            targets: Names of :data:`TARGET_COLUMNS` (one name or several).

        Raises:
            DatasetError: Naming the dataset and every missing modality/target.
        """
        modalities = (modalities,) if isinstance(modalities, str) else tuple(modalities)
        targets = (targets,) if isinstance(targets, str) else tuple(targets)
        missing_m = [m for m in modalities if m not in self.modalities]
        missing_t = [t for t in targets if t not in self.targets]
        if missing_m or missing_t:
            parts = []
            if missing_m:
                parts.append(f"modalities {missing_m} (it has {list(self.modalities)})")
            if missing_t:
                parts.append(f"targets {missing_t} (it has {list(self.targets)})")
            raise DatasetError(f"dataset {self.name!r} lacks " + " and ".join(parts))

    def split(self, name: str) -> pd.DataFrame:
        """The rows of one split (``train``, ``validation`` or ``test``)."""
        if name not in SPLITS:
            raise DatasetError(f"unknown split {name!r}; use one of {SPLITS}")
        return self.table[self.table["split"] == name]

    def cite(self) -> str:
        """BibTeX of the dataset."""
        return self.bibtex

    def license(self) -> str:
        """License or terms of use of the dataset."""
        return self.license_text

    def validate(self, deep: bool = False) -> pd.DataFrame:
        """Check the files the table points to.

        Args:
            deep: Also open every audio and MIDI file (slower) to find empty, corrupt,
                truncated or silent ones (see :func:`mer_lib.data.checks.audio_problem`).

        Returns:
            DataFrame with columns ``track_id``, ``file``, ``problem``; empty when all is well.
        """
        problems = check_files(self.table, deep=deep)
        extra = self.extra_checks(self, deep) if self.extra_checks is not None else None
        if extra is None or extra.empty:
            return problems
        return extra.reset_index(drop=True) if problems.empty else pd.concat([problems, extra], ignore_index=True)
