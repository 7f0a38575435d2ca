"""Table-reading helpers every dataset loader shares.

Reading a CSV or JSON with a clear error naming the file and column, checking labels against a
taxonomy, rescaling V/A, reading split lists, seeded stratified splits (clip-level, or keeping
groups such as artists whole), and finding a clip's files in a folder (by name, or by id
anywhere below it). Each loader module composes these; none re-implements them.

**Truncated and empty files.** Every table read here must have at least one row (a header-only
file is an error: a dataset of 0 clips is never returned). A file whose last line is cut short
(fewer fields than the header, no line break at the end) is an error. A dataset module that
knows the official files declares :class:`OfficialFile` entries (their row count and a
fingerprint of their first record): a file that *starts* like the official one must then be the
whole official file, with its row count and a line break at the end, else the error names the
file, the expected and the found count. Files that start otherwise (a newer release, your own
subset, the tests' tiny fixtures) are read as they are.

Notebook: ``00_primer``
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from mer_lib.data.base import SPLITS, DatasetError
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


@dataclass(frozen=True)
class OfficialFile:
    """What a dataset module knows of one of its official files.

    Attributes:
        rows: Its number of records (data rows of a table, lines of a list, entries of a JSON object).
        first: :func:`record_fingerprint` of its first record (the first data line as written,
            or the first key of a JSON object): how a file is recognised as the official one
            without storing any of its content.
    """

    rows: int
    first: str


def record_fingerprint(record) -> str:
    """Short SHA-256 (16 hex digits) of a record's text, blanks around it ignored."""
    text = record if isinstance(record, bytes) else str(record).encode("utf-8")
    return hashlib.sha256(text.strip()).hexdigest()[:16]


def _fields(line: bytes, sep: str, encoding: str) -> int:
    """Number of fields of one CSV line (quotes respected)."""
    text = line.decode(encoding, errors="replace")
    return len(next(csv.reader([text], delimiter=sep), []))


def check_complete(path: Path, raw: bytes, records: int, official: OfficialFile | None = None,
                   header: bool = True, sep: str | None = ",", encoding: str = "utf-8",
                   min_fields: int | None = None) -> None:
    """Raise, naming the file, when ``raw`` (the bytes of ``path``) looks truncated.

    * A last line without a line break that has fewer fields than a complete row (``min_fields``,
      default: the header's) was cut in the middle (``sep=None``: a list, not checked so).
    * With ``official``: when the first record matches the official fingerprint, the file must
      have ``official.rows`` records and end with a line break.

    Args:
        path: The file (named in errors).
        raw: Its content.
        records: Records the reader found (rows, list lines, JSON entries).
        official: What is known of the official file, if anything.
        header: Whether the first line is a header (the first record is then the second line).
        sep: Field separator; None for one-item-a-line lists.
        encoding: Text encoding (to count fields).
        min_fields: Fields of a complete row when not the header's (files with optional trailing fields).
    """
    lines = [line for line in raw.splitlines() if line.strip()]
    ended = raw.rstrip(b" \t").endswith((b"\n", b"\r"))
    if not ended and sep is not None and len(sep) == 1 and len(lines) > int(header):
        expected = min_fields if min_fields is not None else _fields(lines[0], sep, encoding)
        found = _fields(lines[-1], sep, encoding)
        if found < expected:
            raise DatasetError(f"{path}: the last line is cut short ({found} of {expected} fields, no line break "
                               "at the end): the file looks truncated; download or copy it again")
    if official is None or len(lines) <= int(header):
        return
    if record_fingerprint(lines[int(header)]) != official.first:
        return  # not the official file (another release, a subset): nothing to compare with
    check_count(path, records, official, ended)


def check_count(path: Path, records: int, official: OfficialFile, ended: bool = True) -> None:
    """Raise, naming the file and both counts, when a recognised official file is incomplete."""
    if records != official.rows:
        raise DatasetError(f"{path}: found {records} rows, expected {official.rows} (the official file has "
                           f"{official.rows}): the file is truncated or damaged; download it again")
    if not ended:
        raise DatasetError(f"{path}: no line break at the end (every line of the official file ends with one): "
                           "the file is truncated; download it again")


def read_csv(path: Path, required: Iterable[str] = (), official: OfficialFile | None = None,
             **options) -> pd.DataFrame:
    """Read a CSV/TSV with a clear error for a missing, unreadable, empty or truncated file or
    missing columns.

    Args:
        path: The file.
        required: Columns it must have (after stripping blanks around the header names).
        official: What is known of the official file (see :func:`check_complete`).
        **options: Passed to :func:`pandas.read_csv` (``sep``, ``dtype``, ``encoding`` ...).

    Raises:
        DatasetError: Missing or unreadable file, a missing column, no rows (only a header),
            a cut last line, or an official file with the wrong number of rows.
    """
    require_file(path)
    raw = Path(path).read_bytes()
    if not raw.strip():
        raise DatasetError(f"{path}: empty file")
    try:
        frame = pd.read_csv(path, **options)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DatasetError(f"{path}: unreadable ({type(err).__name__}: {err})") from err
    frame.columns = [str(c).strip() for c in frame.columns]
    require_columns(frame, required, path)
    if frame.empty:
        raise DatasetError(f"{path}: no rows, only a header (a dataset of 0 clips is an error)")
    sep = options.get("sep", options.get("delimiter", ","))
    check_complete(path, raw, len(frame), official, sep=sep if isinstance(sep, str) else None,
                   encoding=options.get("encoding") or "utf-8")
    return frame


def read_json(path: Path, official: OfficialFile | None = None):
    """Parsed JSON with a clear error for a missing, empty or malformed file.

    With ``official`` (for a JSON object of entries): an object whose first key matches the
    official fingerprint must have ``official.rows`` entries.
    """
    require_file(path)
    try:
        parsed = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path}: not valid JSON ({err})") from err
    if isinstance(parsed, (dict, list)) and not parsed:
        raise DatasetError(f"{path}: no entries (a dataset of 0 clips is an error)")
    if official is not None and isinstance(parsed, dict):
        if record_fingerprint(next(iter(parsed))) == official.first:
            check_count(path, len(parsed), official)
    return parsed


def read_lines(path: Path, official: OfficialFile | None = None) -> list[str]:
    """Non-empty, stripped lines of a text file (id lists, tag lists).

    With ``official``: a list whose first line matches the official fingerprint must have
    ``official.rows`` lines and end with a line break (see :func:`check_complete`).
    """
    require_file(path)
    raw = Path(path).read_bytes()
    lines = [line.strip() for line in raw.decode("utf-8").splitlines() if line.strip()]
    check_complete(path, raw, len(lines), official, header=False, sep=None)
    return lines


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


#: Cell texts read as "no value" (pandas' default NA strings): empty like a blank cell.
NA_STRINGS = frozenset({"", "#n/a", "#n/a n/a", "#na", "-1.#ind", "-1.#qnan", "-nan", "1.#ind", "1.#qnan",
                        "<na>", "n/a", "na", "null", "nan", "none"})


def rows_named(index: Iterable, rows: pd.Series | None = None, limit: int = 5) -> str:
    """Rows of a table for an error message: ``rows`` labels (e.g. ids) at ``index``, else the
    line numbers of a CSV read with a header (data row ``i`` is line ``i + 2``)."""
    index = list(index)
    names = ([f"line {i + 2}" for i in index] if rows is None else [repr(str(rows[i])) for i in index])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def numeric_column(frame: pd.DataFrame, column: str, source, allow_missing: bool = False,
                   rows: pd.Series | None = None) -> pd.Series:
    """``frame[column]`` as floats.

    Args:
        frame: The table.
        column: The column.
        source: Its file (named in errors).
        allow_missing: Keep empty/NaN cells as NaN instead of raising.
        rows: Labels naming the rows in errors (default: CSV line numbers, see :func:`rows_named`).

    Raises:
        DatasetError: A non-numeric value (naming the file and the value); unless
            ``allow_missing``, an empty or NaN cell (naming the file and the rows).
    """
    original = frame[column]
    values = pd.to_numeric(original, errors="coerce")
    blank = original.isna() | original.map(lambda v: isinstance(v, str) and v.strip().lower() in NA_STRINGS)
    bad = values.isna() & ~blank
    if bad.any():
        raise DatasetError(f"{source}: {column} {_shown(original[bad].iloc[0])} is not a number")
    missing = values.isna()
    if missing.any() and not allow_missing:
        where = rows_named(frame.index[missing.to_numpy()], rows)
        raise DatasetError(f"{source}: {column} is empty or NaN in {int(missing.sum())} row(s): {where}")
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
               std: str | None = "{}_std", rows: pd.Series | None = None) -> pd.DataFrame:
    """Valence/arousal columns of a static-annotation table, on the study's scale and as given.

    Args:
        frame: The annotation table.
        source: Its file (named in errors).
        scale: ``(low, high)`` of the annotation scale, e.g. ``(1, 9)``.
        mean: Column-name pattern of the mean rating (``{}`` = ``valence``/``arousal``).
        std: Pattern of the standard deviation column, if the table has one.
        rows: Labels naming rows in errors (default: CSV line numbers).

    Returns:
        ``valence``, ``arousal`` on [-1, 1]; ``valence_raw``, ``arousal_raw`` on ``scale``; with
        ``std``, ``valence_std``/``arousal_std`` in [-1, 1]-scale units and ``*_std_raw`` as given.

    Raises:
        DatasetError: A missing column, a non-numeric, empty or NaN value, or a mean outside ``scale``.
    """
    low, high = scale
    columns = {}
    for dimension in ("valence", "arousal"):
        name = mean.format(dimension)
        require_columns(frame, [name], source)
        raw = numeric_column(frame, name, source, rows=rows)
        check_range(raw, low, high, source, name)
        columns[dimension], columns[f"{dimension}_raw"] = to_unit_scale(raw, low, high), raw
        if std is not None:
            require_columns(frame, [std.format(dimension)], source)
            spread = numeric_column(frame, std.format(dimension), source, rows=rows)
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


def read_split_folder(folder: Path, track_ids: Iterable[str],
                      official: Mapping[str, OfficialFile] | None = None) -> list | None:
    """Splits from ``folder/{train,validation,test}.txt`` (one id a line); None without the folder.

    Args:
        folder: The split folder.
        track_ids: The dataset's ids.
        official: ``{file name: OfficialFile}`` of the known lists (see :func:`read_lines`).

    Raises:
        DatasetError: An empty list, an incomplete known list, an id listed twice or unknown.
    """
    if not Path(folder).is_dir():
        return None
    official = official or {}
    lists = {}
    for split, name in SPLIT_FILES.items():
        lists[split] = read_lines(Path(folder) / name, official.get(name))
        if not lists[split]:
            raise DatasetError(f"{Path(folder) / name}: empty split list")
    return split_from_lists(track_ids, lists, folder)


def _check_fractions(fractions) -> None:
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-6:
        raise DatasetError(f"split fractions must be three shares summing to 1, got {fractions}")


def _strata(labels) -> np.ndarray:
    """Labels as strings, None/NaN as their own ``"<none>"`` stratum."""
    return np.asarray(pd.Series(list(labels), dtype=object).fillna("<none>").astype(str))


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
    _check_fractions(fractions)
    labels = _strata(labels)
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


def _artist_key(artist) -> str | None:
    return (" ".join(artist.casefold().split()) or None) if isinstance(artist, str) else None


def artist_groups(artists) -> pd.Series:
    """Artists as split groups: case-folded, blanks collapsed (``"Dylan,  Bob "`` = ``"dylan, bob"``);
    a missing or empty name is None (its clip is then a group of its own)."""
    return pd.Series(list(artists), dtype=object).map(_artist_key)


def group_stratified_split(labels, groups, fractions=(0.7, 0.1, 0.2), seed: int = 0) -> np.ndarray:
    """Seeded split that keeps every group (e.g. an artist) in one split, stratified on ``labels``
    as far as the groups allow.

    Groups are dealt largest first (equal sizes in a seeded random order), each to the split
    whose clip counts fall furthest short of their targets (``fractions`` of each label's
    clips, and of all clips) for the labels the group holds: a greedy minimum of the squared
    distance between the splits' label counts and sizes and their targets. A split whose
    fraction is 0 gets no clip. Few or very unequal groups cannot meet the fractions: a group
    larger than a split's target lands in the split with the largest shortfall (train first).

    Args:
        labels: One label per row (any hashable; None/NaN form their own stratum).
        groups: One group per row; a row with None/NaN is a group of its own.
        fractions: Train, validation and test shares (summing to 1).
        seed: Generator seed (numpy PCG64, stable across numpy versions).

    Returns:
        Array of ``"train"``/``"validation"``/``"test"``.
    """
    _check_fractions(fractions)
    label_codes, label_names = pd.factorize(_strata(labels))
    group_codes, _ = pd.factorize(pd.Series(list(groups), dtype=object))
    if len(group_codes) != len(label_codes):
        raise DatasetError(f"{len(label_codes)} labels but {len(group_codes)} groups")
    alone = group_codes < 0
    group_codes[alone] = group_codes.max(initial=-1) + 1 + np.arange(alone.sum())
    counts = np.zeros((group_codes.max(initial=-1) + 1, len(label_names)))
    np.add.at(counts, (group_codes, label_codes), 1)
    counts = np.column_stack([counts, counts.sum(axis=1)])  # the split sizes count too
    target = np.outer(fractions, counts.sum(axis=0))
    filled = np.zeros_like(target)
    open_splits = np.flatnonzero(np.asarray(fractions) > 0)
    order = np.random.default_rng(seed).permutation(len(counts))
    order = order[np.argsort(-counts[order].sum(axis=1), kind="stable")]
    chosen = np.empty(len(counts), dtype=int)
    for group in order:
        shortfall = ((filled[open_splits] - target[open_splits]) * counts[group]).sum(axis=1)
        chosen[group] = open_splits[np.argmin(shortfall)]
        filled[chosen[group]] += counts[group]
    return np.asarray(SPLITS, dtype=object)[chosen[group_codes]]


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


def list_files(folder: Path) -> list[Path]:
    """Every file under ``folder``, recursively, sorted; hidden files and folders (``.name``:
    ``.ipynb_checkpoints``, macOS ``._song.mp3``) are skipped, links to folders not followed."""
    found = []
    for current, folders, files in os.walk(folder):
        folders[:] = [f for f in folders if not f.startswith(".")]
        found += [Path(current) / f for f in files if not f.startswith(".")]
    return sorted(found)


def stem_index(files: Iterable[Path], extensions: Iterable[str]) -> dict[str, list[str]]:
    """``{file stem: [absolute path, ...]}`` of the ``files`` with one of ``extensions``
    (case-insensitive)."""
    extensions = tuple(e.lower() for e in extensions)
    index: dict[str, list[str]] = {}
    for path in files:
        if Path(path).suffix.lower() in extensions:
            index.setdefault(Path(path).stem, []).append(str(Path(path).resolve()))
    return index


def match_ids(keys: Iterable, index: Mapping[str, list[str]], what: str) -> list:
    """The one file of ``index`` (see :func:`stem_index`) named after each key; None where
    there is none.

    Raises:
        DatasetError: A key with several files, naming the key and every candidate.
    """
    found = []
    for key in map(str, keys):
        candidates = index.get(key, [])
        if len(candidates) > 1:
            raise DatasetError(f"track_id {key!r}: {len(candidates)} {what} files named {key}.<ext>, "
                               f"cannot tell which is its {what}: {candidates}; keep one, or name the files "
                               f"in a path column of the CSV")
        found.append(candidates[0] if candidates else None)
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
