"""``folder``: bring your own dataset (a folder of audio files and a CSV of labels).

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
file and the value; so does an empty or NaN ``valence``/``arousal`` cell (naming the rows: every
clip needs both when the CSV has the column). A header-only CSV, or one whose last line is cut
short, is an error too.

Split: a ``split`` column (``train``/``validation``/``test``; ``val``, ``valid`` and ``dev`` are
read as ``validation``; empty = no split) when the CSV has one; otherwise a seeded split,
stratified on the first of quadrant/cluster/polarity present (70/10/20 by default, ``seed=0``).

Notebook: ``00_primer``
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from mer_lib.data import USER_FOLDER, register
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.metrics import QUADRANTS
from mer_lib.data.tables import (AUDIO_EXTENSIONS, CLUSTERS, PATH_COLUMNS, POLARITIES, SPLIT_ALIASES,
                                 TABLE_COLUMNS, attach_files, check_taxonomy, numeric_column,
                                 read_csv, stratified_split, user_folder)




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
    """Check and normalise the CSV column ``values`` that holds the table column ``name``."""
    column = str(values.name)
    present = values.notna()
    if name in ("valence", "arousal", "cluster"):
        numbers = numeric_column(values.to_frame(column), column, source, allow_missing=name == "cluster")
        if name != "cluster":
            return numbers
        check_taxonomy(numbers[present], [float(c) for c in CLUSTERS], source, column)
        return numbers.astype("Int64")
    if name == "quadrant":
        text = values[present].astype(str).str.strip().str.upper()
        text = text.where(text.str.startswith("Q"), "Q" + text)
        check_taxonomy(text, QUADRANTS, source, column)
        return text.reindex(values.index)
    if name == "polarity":
        text = values[present].astype(str).str.strip().str.lower()
        check_taxonomy(text, POLARITIES, source, column)
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
        DatasetError: No ``path``; a missing, header-only or truncated CSV; a missing column or file;
            a label outside the taxonomy; an empty or NaN valence/arousal.
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
