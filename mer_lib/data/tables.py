"""Table-reading helpers every dataset loader shares.

Reading a CSV or JSON with a clear error naming the file and column, checking labels against a
taxonomy, rescaling V/A, reading split lists, seeded stratified splits, and finding a clip's
files in a folder. Each loader module composes these; none re-implements them.

Notebook: ``00_primer``
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from mer_lib.data.base import DatasetError
from mer_lib.metrics import quadrant as quadrant_of  # noqa: F401  (re-exported for loaders)

AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aiff", ".aif")
MIDI_EXTENSIONS = (".mid", ".midi")
LYRICS_EXTENSIONS = (".txt",)
PATH_COLUMNS = ("audio_path", "midi_path", "lyrics_path")
TABLE_COLUMNS = ("track_id", "split", *PATH_COLUMNS, "lyrics", "title", "artist", "comments",
                 "valence", "arousal", "quadrant", "polarity", "tags", "cluster", "mood")
SPLIT_FILES = {"train": "train.txt", "validation": "validation.txt", "test": "test.txt"}
SPLIT_ALIASES = {"train": "train", "training": "train", "validation": "validation", "val": "validation",
                 "valid": "validation", "dev": "validation", "test": "test", "testing": "test"}
CLUSTERS = (1, 2, 3, 4, 5)
POLARITIES = ("positive", "negative")
PROBLEM_COLUMNS = ["track_id", "file", "problem"]


# --------------------------------------------------------------------------- reading files

def require_file(path: Path, what: str = "file") -> Path:
    """``path`` if it is a file; else a DatasetError that names it."""
    if not Path(path).is_file():
        raise DatasetError(f"missing {what}: {path}")
    return Path(path)


def require_columns(frame: pd.DataFrame, required: Iterable[str], source) -> None:
    """Raise, naming ``source`` and the columns, when ``frame`` lacks any of ``required``."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DatasetError(f"{source}: missing column(s) {missing}; it has {list(frame.columns)}")


def read_csv(path: Path, required: Iterable[str] = (), **options) -> pd.DataFrame:
    """Read a CSV/TSV with a clear error for a missing or unreadable file or missing columns.

    Args:
        path: The file.
        required: Columns it must have (after stripping blanks around the header names).
        **options: Passed to :func:`pandas.read_csv` (``sep``, ``dtype``, ``encoding`` ...).
    """
    require_file(path)
    try:
        frame = pd.read_csv(path, **options)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DatasetError(f"{path}: unreadable ({type(err).__name__}: {err})") from err
    frame.columns = [str(c).strip() for c in frame.columns]
    require_columns(frame, required, path)
    return frame


def read_json(path: Path):
    """Parsed JSON with a clear error for a missing or malformed file."""
    require_file(path)
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path}: not valid JSON ({err})") from err


def read_lines(path: Path) -> list[str]:
    """Non-empty, stripped lines of a text file (id lists, tag lists)."""
    require_file(path)
    return [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def first_existing(candidates: Iterable[Path | None]) -> Path | None:
    """The first candidate folder that exists, else None."""
    for candidate in candidates:
        if candidate is not None and Path(candidate).is_dir():
            return Path(candidate)
    return None


def user_folder(folder, option: str) -> Path | None:
    """A folder the user passed as an option (must exist), resolved; None when not given."""
    if folder in (None, ""):
        return None
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise DatasetError(f"{option}={str(folder)!r} is not a folder")
    return path


# --------------------------------------------------------------------------- labels

def _shown(value) -> str:
    """``repr`` of a value as the user wrote it (numpy scalars as plain Python numbers)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def check_taxonomy(values: Iterable, allowed: Iterable, source, column: str) -> None:
    """Raise, naming ``source``, ``column`` and the value, for a label outside ``allowed``."""
    allowed = set(allowed)
    for value in values:
        if value not in allowed:
            raise DatasetError(
                f"{source}: {column} {_shown(value)} is outside the taxonomy {sorted(map(str, allowed))}")


def numeric_column(frame: pd.DataFrame, column: str, source) -> pd.Series:
    """``frame[column]`` as floats; a non-numeric value raises naming the file and value."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        raise DatasetError(f"{source}: {column} {_shown(frame[column][bad].iloc[0])} is not a number")
    return values.astype(float)


def check_range(values: pd.Series, low: float, high: float, source, column: str) -> None:
    """Raise, naming the file and the value, for a value outside ``[low, high]``."""
    outside = (values < low) | (values > high)
    if outside.any():
        raise DatasetError(f"{source}: {column} {_shown(values[outside].iloc[0])} is outside [{low:g}, {high:g}]")


def to_unit_scale(values: pd.Series, low: float, high: float) -> pd.Series:
    """Map ``[low, high]`` linearly onto ``[-1, 1]`` (the scale of the study's V/A columns)."""
    middle, half = (high + low) / 2.0, (high - low) / 2.0
    return (values - middle) / half


def va_columns(frame: pd.DataFrame, source, scale: tuple[float, float], mean: str = "{}_mean",
               std: str | None = "{}_std") -> pd.DataFrame:
    """Valence/arousal columns of a static-annotation table, on the study's scale and as given.

    Args:
        frame: The annotation table.
        source: Its file (named in errors).
        scale: ``(low, high)`` of the annotation scale, e.g. ``(1, 9)``.
        mean: Column-name pattern of the mean rating (``{}`` = ``valence``/``arousal``).
        std: Pattern of the standard deviation column, if the table has one.

    Returns:
        ``valence``, ``arousal`` on [-1, 1]; ``valence_raw``, ``arousal_raw`` on ``scale``; with
        ``std``, ``valence_std``/``arousal_std`` in [-1, 1]-scale units and ``*_std_raw`` as given.

    Raises:
        DatasetError: A missing column, a non-numeric value or a mean outside ``scale``.
    """
    low, high = scale
    columns = {}
    for dimension in ("valence", "arousal"):
        name = mean.format(dimension)
        require_columns(frame, [name], source)
        raw = numeric_column(frame, name, source)
        check_range(raw, low, high, source, name)
        columns[dimension], columns[f"{dimension}_raw"] = to_unit_scale(raw, low, high), raw
        if std is not None:
            require_columns(frame, [std.format(dimension)], source)
            spread = numeric_column(frame, std.format(dimension), source)
            columns[f"{dimension}_std"] = spread / ((high - low) / 2.0)
            columns[f"{dimension}_std_raw"] = spread
    return pd.DataFrame(columns, index=frame.index)


def binary_valence_arousal(quadrants: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Binary ±1.0 valence and arousal classes of ``Q1``..``Q4`` labels."""
    valence = quadrants.map({"Q1": 1.0, "Q2": -1.0, "Q3": -1.0, "Q4": 1.0}).astype(float)
    arousal = quadrants.map({"Q1": 1.0, "Q2": 1.0, "Q3": -1.0, "Q4": -1.0}).astype(float)
    return valence, arousal


# --------------------------------------------------------------------------- splits

def split_from_lists(track_ids: Iterable[str], lists: Mapping[str, Iterable[str]], source) -> list:
    """Split name of each id from ``{split: ids}``; ids in no list get None.

    Raises:
        DatasetError: An id listed twice, or listed but not in the dataset.
    """
    track_ids = list(track_ids)
    known = set(track_ids)
    assigned: dict[str, str] = {}
    for split, ids in lists.items():
        for track_id in ids:
            if track_id in assigned:
                raise DatasetError(f"{source}: {track_id!r} is in both {assigned[track_id]} and {split}")
            if track_id not in known:
                raise DatasetError(f"{source}: {split} lists {track_id!r}, which the dataset does not have")
            assigned[track_id] = split
    return [assigned.get(t) for t in track_ids]


def read_split_folder(folder: Path, track_ids: Iterable[str]) -> list | None:
    """Splits from ``folder/{train,validation,test}.txt`` (one id a line); None without the folder."""
    if not Path(folder).is_dir():
        return None
    lists = {split: read_lines(Path(folder) / name) for split, name in SPLIT_FILES.items()}
    return split_from_lists(track_ids, lists, folder)


def stratified_split(labels, fractions=(0.7, 0.1, 0.2), seed: int = 0) -> np.ndarray:
    """Seeded split stratified on ``labels``: per label, a permutation cut by ``fractions``.

    Deterministic for a given (labels, seed): it uses numpy's PCG64 generator, whose stream
    numpy keeps stable across versions.

    Args:
        labels: One label per row (any hashable; None/NaN form their own stratum).
        fractions: Train, validation and test shares (summing to 1).
        seed: Generator seed.

    Returns:
        Array of ``"train"``/``"validation"``/``"test"``.
    """
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-6:
        raise DatasetError(f"split fractions must be three shares summing to 1, got {fractions}")
    labels = np.asarray(pd.Series(list(labels), dtype=object).fillna("<none>").astype(str))
    rng = np.random.default_rng(seed)
    split = np.empty(len(labels), dtype=object)
    for label in sorted(set(labels)):
        index = rng.permutation(np.flatnonzero(labels == label))
        n_train = int(round(fractions[0] * len(index)))
        n_val = int(round(fractions[1] * len(index)))
        split[index[:n_train]] = "train"
        split[index[n_train:n_train + n_val]] = "validation"
        split[index[n_train + n_val:]] = "test"
    return split


# --------------------------------------------------------------------------- files

def index_files(folder: Path | None, extensions: Iterable[str], recursive: bool = False) -> dict[str, str]:
    """``{file stem: absolute path}`` of the files in ``folder`` with one of ``extensions``.

    One directory listing instead of a stat per clip, so loaders stay fast.
    """
    if folder is None or not Path(folder).is_dir():
        return {}
    extensions = tuple(e.lower() for e in extensions)
    files = Path(folder).rglob("*") if recursive else Path(folder).iterdir()
    found = {}
    for path in sorted(files):
        if path.suffix.lower() in extensions and path.is_file():
            found.setdefault(path.stem, str(path.resolve()))
    return found


def attach_files(keys: Iterable, folder: Path | None, extensions: Iterable[str]) -> list:
    """Absolute path of ``<folder>/<key>.<ext>`` for each key, None where there is none."""
    found = index_files(folder, extensions)
    return [found.get(str(key)) for key in keys]


def add_user_files(table: pd.DataFrame, keys: Iterable, audio_dir=None, lyrics_dir=None) -> pd.DataFrame:
    """Add ``audio_path``/``lyrics_path`` from user folders of ``<key>.<ext>`` files, if given."""
    keys = list(keys)
    for option, folder, column, extensions in (("audio_dir", audio_dir, "audio_path", AUDIO_EXTENSIONS),
                                               ("lyrics_dir", lyrics_dir, "lyrics_path", LYRICS_EXTENSIONS)):
        folder = user_folder(folder, option)
        if folder is not None:
            table[column] = attach_files(keys, folder, extensions)
    return table


def problems(rows: Iterable[tuple]) -> pd.DataFrame:
    """A ``validate()`` findings frame (``track_id``, ``file``, ``problem``) from tuples."""
    return pd.DataFrame(list(rows), columns=PROBLEM_COLUMNS)


def unlisted_files(folder: Path, extensions: Iterable[str], listed: Iterable[str], what: str) -> pd.DataFrame:
    """Findings for files in ``folder`` that the dataset's label file does not list."""
    listed = {str(Path(p).resolve()) for p in listed if isinstance(p, str)}
    extra = [p for p in index_files(folder, extensions).values() if p not in listed]
    return problems((None, p, f"{what} not listed in the labels") for p in extra)
