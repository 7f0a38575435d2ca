"""``folder``: bring your own dataset (a folder of audio files and a CSV of labels).

It also holds the table-reading helpers every real-dataset loader shares: reading a CSV or
JSON with a clear error naming the file and column, checking labels against a taxonomy,
reading split lists, seeded stratified splits, and finding a clip's files in a folder.

Layout read by ``load("folder", path=..., labels_csv=..., columns={...})``::

    <path>/labels.csv          one row per clip (any column names: map them with ``columns``)
    <path>/<file>              audio (and optional MIDI / lyrics) files named by the CSV,
                               relative to <path>; or, without an audio column,
                               <path>/[audio/]<track_id>.<wav|flac|mp3|ogg|opus|m4a>

``columns`` maps a table column to the CSV column that holds it, e.g.
``{"track_id": "id", "audio_path": "file", "quadrant": "emotion"}``; a CSV column that already
has a table column's name is used without mapping. Recognised table columns: ``track_id``,
``split``, ``audio_path``, ``midi_path``, ``lyrics_path``, ``lyrics``, ``title``, ``artist``,
``comments``, ``valence``, ``arousal``, ``quadrant``, ``polarity``, ``tags``, ``cluster``,
``mood``. Other CSV columns are kept as they are.

Label scales: ``valence``/``arousal`` are floats on the user's own scale (kept as given: say
it in ``notes=``); ``quadrant`` is ``Q1``..``Q4`` (``1``..``4`` accepted); ``cluster`` an int
1–5; ``polarity`` ``positive``/``negative``; ``tags`` a ``;``- or ``,``-separated string in the
CSV, a list of str in the table. A value outside these raises :class:`DatasetError` naming the
file and the value.

Split: a ``split`` column (``train``/``validation``/``test``; ``val``, ``valid`` and ``dev`` are
read as ``validation``; empty = no split) when the CSV has one; otherwise a seeded split,
stratified on the first of quadrant/cluster/polarity present (70/10/20 by default, ``seed=0``).

Notebook: ``00_primer``
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from mer_lib.data import USER_FOLDER, register
from mer_lib.data.base import QUADRANTS, SPLITS, DatasetError, MERDataset

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

def check_taxonomy(values: Iterable, allowed: Iterable, source, column: str) -> None:
    """Raise, naming ``source``, ``column`` and the value, for a label outside ``allowed``."""
    allowed = set(allowed)
    for value in values:
        if value not in allowed:
            raise DatasetError(
                f"{source}: {column} {value!r} is outside the taxonomy {sorted(map(str, allowed))}")


def numeric_column(frame: pd.DataFrame, column: str, source) -> pd.Series:
    """``frame[column]`` as floats; a non-numeric value raises naming the file and value."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        raise DatasetError(f"{source}: {column} {frame[column][bad].iloc[0]!r} is not a number")
    return values.astype(float)


def check_range(values: pd.Series, low: float, high: float, source, column: str) -> None:
    """Raise, naming the file and the value, for a value outside ``[low, high]``."""
    outside = (values < low) | (values > high)
    if outside.any():
        raise DatasetError(f"{source}: {column} {values[outside].iloc[0]!r} is outside [{low}, {high}]")


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


def quadrant_of(valence: np.ndarray, arousal: np.ndarray) -> np.ndarray:
    """Russell quadrant of V/A centred on 0 (``Q1`` +V+A, ``Q2`` −V+A, ``Q3`` −V−A, ``Q4`` +V−A)."""
    valence, arousal = np.asarray(valence), np.asarray(arousal)
    return np.where(arousal >= 0, np.where(valence >= 0, "Q1", "Q2"), np.where(valence >= 0, "Q4", "Q3"))


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


# --------------------------------------------------------------------------- the `folder` dataset

def _mapped_columns(labels: pd.DataFrame, columns: Mapping[str, str] | None, source) -> dict[str, str]:
    """``{table column: CSV column}``: the user's mapping plus identically named columns."""
    columns = dict(columns or {})
    unknown = [c for c in columns if c not in TABLE_COLUMNS]
    if unknown:
        raise DatasetError(f"columns= maps unknown table column(s) {unknown}; known: {list(TABLE_COLUMNS)}")
    absent = {k: v for k, v in columns.items() if v not in labels.columns}
    if absent:
        raise DatasetError(f"{source}: no column(s) {sorted(absent.values())} (mapped by columns=); "
                           f"it has {list(labels.columns)}")
    used = set(columns.values())
    for name in TABLE_COLUMNS:
        if name not in columns and name in labels.columns and name not in used:
            columns[name] = name
    return columns


def _label_values(name: str, values: pd.Series, source) -> pd.Series:
    """Check and normalise one label column of a user CSV."""
    if name in ("valence", "arousal"):
        return numeric_column(values.to_frame(name), name, source)
    present = values.notna()
    if name == "quadrant":
        text = values[present].astype(str).str.strip().str.upper()
        text = text.where(text.str.startswith("Q"), "Q" + text)
        check_taxonomy(text, QUADRANTS, source, name)
        return text.reindex(values.index)
    if name == "cluster":
        numbers = numeric_column(values.to_frame(name), name, source)
        check_taxonomy(numbers[present], [float(c) for c in CLUSTERS], source, name)
        return numbers.astype("Int64")
    if name == "polarity":
        text = values[present].astype(str).str.strip().str.lower()
        check_taxonomy(text, POLARITIES, source, name)
        return text.reindex(values.index)
    if name == "tags":
        return values.map(lambda v: [t.strip() for t in str(v).replace(",", ";").split(";") if t.strip()]
                          if isinstance(v, str) else [])
    return values


def _user_split(values: pd.Series, source) -> list:
    text = values.map(lambda v: str(v).strip().lower() if isinstance(v, str) and v.strip() else None)
    check_taxonomy(text.dropna(), SPLIT_ALIASES, source, "split")
    return [SPLIT_ALIASES.get(v) if v else None for v in text]


def _resolve_paths(values: pd.Series, root: Path) -> list:
    return [str((root / v).resolve()) if isinstance(v, str) and v.strip() else None for v in values]


def _missing_files(table: pd.DataFrame, source) -> None:
    for column in PATH_COLUMNS:
        if column not in table.columns:
            continue
        missing = [p for p in table[column] if isinstance(p, str) and not os.path.isfile(p)]
        if missing:
            raise DatasetError(f"{source}: {len(missing)} {column} file(s) missing, e.g. {missing[0]}")


@register("folder", folder=USER_FOLDER,
          description="bring your own: a folder of audio files and a CSV of labels (path=...)")
def load(data_home=None, path=None, labels_csv: str = "labels.csv", columns: Mapping[str, str] | None = None,
         name: str = "folder", split_fractions=(0.7, 0.1, 0.2), seed: int = 0,
         check_files: bool = True, notes: str = "") -> MERDataset:
    """Load a user's folder of audio files plus a CSV of labels.

    Args:
        data_home: Unused (the folder is ``path``); accepted for a uniform API.
        path: The folder holding the files (and, by default, the CSV).
        labels_csv: The CSV, relative to ``path`` or absolute.
        columns: ``{table column: CSV column}`` (see the module docstring).
        name: Name the dataset goes by in reports.
        split_fractions: Train/validation/test shares of the seeded split (when no split column).
        seed: Seed of that split.
        check_files: Raise when a file the CSV names is missing (``validate()`` reports instead).
        notes: The scale of your labels, shown with the dataset.

    Raises:
        DatasetError: No ``path``; missing CSV, column or file; a label outside the taxonomy.
    """
    if path in (None, ""):
        raise DatasetError('dataset "folder" needs path=<folder with your audio files and labels CSV>')
    root = user_folder(path, "path")
    source = (root / labels_csv).resolve()
    labels = read_csv(source, dtype=str, keep_default_na=False, na_values=[""])
    mapping = _mapped_columns(labels, columns, source)
    table = pd.DataFrame(index=labels.index)
    for column, csv_column in mapping.items():
        table[column] = _label_values(column, labels[csv_column], source)
    for column in PATH_COLUMNS:
        if column in table.columns:
            table[column] = _resolve_paths(table[column], root)
    if "track_id" not in table.columns:
        table["track_id"] = ([Path(p).stem for p in table["audio_path"]] if "audio_path" in table.columns
                             else [f"{i:05d}" for i in range(len(table))])
    table["track_id"] = table["track_id"].astype(str)
    if "audio_path" not in table.columns:
        audio = attach_files(table["track_id"], root, AUDIO_EXTENSIONS)
        nested = attach_files(table["track_id"], root / "audio", AUDIO_EXTENSIONS)
        table["audio_path"] = [a or b for a, b in zip(audio, nested)]
        if table["audio_path"].isna().all():
            warnings.warn(f"{root}: no audio file named <track_id>.<ext> found; the table has no audio")
    if "split" in table.columns:
        table["split"] = _user_split(table["split"], source)
    else:
        strata = next((c for c in ("quadrant", "cluster", "polarity") if c in table.columns), None)
        labels_for_split = table[strata] if strata else np.zeros(len(table))
        table["split"] = stratified_split(labels_for_split, split_fractions, seed)
    if check_files:
        _missing_files(table, source)
    for column in labels.columns:
        if column not in mapping.values() and column not in table.columns:
            table[column] = labels[column]
    ordered = ["track_id", "split"] + [c for c in table.columns if c not in ("track_id", "split")]
    return MERDataset(
        name=name, table=table[ordered].reset_index(drop=True), root=root,
        bibtex="", license_text="The user's own data: check the terms of its sources.",
        notes=notes or "labels as given in the user's CSV (valence/arousal on the user's scale)",
    )
