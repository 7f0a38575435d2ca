"""``folder``: bring your own dataset (a folder of audio, MIDI or lyrics files, labelled by a CSV
or by class subfolders).

Layouts read by ``load("folder", path=..., ...)``:

1. **One CSV with a path column** (the files anywhere, named relative to ``path``)::

       <path>/labels.csv                  id,file,emotion,artist,title
       <path>/clips/c0.wav                c0,clips/c0.wav,Q1,Me,Song 0

   ``load("folder", path="songs", columns={"track_id": "id", "audio_path": "file",
   "quadrant": "emotion"})``

2. **One CSV of ids; files found by id**, anywhere below ``path`` (class subfolders,
   ``audio/``, disc folders ...)::

       <path>/labels.csv                  Song,Quadrant,Artist,Title
       <path>/Q1/MT0000004637.mp3         MT0000004637,Q1,Someone,Something
       <path>/midi/<track_id>.mid         MIDI, if any
       <path>/lyrics/<track_id>.txt       lyrics, if any

   ``load("folder", path="4q", columns={"track_id": "Song", "quadrant": "Quadrant",
   "artist": "Artist", "title": "Title"})``. Each table column the CSV lacks among
   ``audio_path`` (``.wav .flac .mp3 .ogg .opus .m4a .aiff .aif``), ``midi_path``
   (``.mid .midi``) and ``lyrics_path`` (``.txt``, read when the CSV has no ``lyrics``
   column) is looked up as ``<track_id>.<ext>`` in every folder below ``path``: one match,
   none (the clip lacks it), or a :class:`DatasetError` naming the id and the candidate
   files. Hidden files and folders are skipped; links to folders are not followed.

3. **Class subfolders, no CSV at all**::

       <path>/Q1/**/<name>.<ext>  ...  <path>/Q4/**/<name>.<ext>

   ``load("folder", path="songs", labels_csv=None)`` (or the default ``labels.csv`` is
   absent): every audio or MIDI file in ``Q1/`` .. ``Q4/`` (at any depth) is a clip;
   ``track_id`` = the file stem, ``quadrant`` = the subfolder name (case ignored). MIDI and
   lyrics are then found by id as in layout 2. A stem in two class folders is an error.

``python -m mer_lib.data.export synthetic DIR`` writes layout 2 (with path columns too):
a complete example to copy.

``columns`` maps a table column to the CSV column that holds it, e.g.
``{"track_id": "id", "audio_path": "file", "quadrant": "emotion"}``; a CSV column that already
has a table column's name is used without mapping. Recognised table columns: ``track_id``,
``split``, ``audio_path``, ``midi_path``, ``lyrics_path``, ``lyrics``, ``title``, ``artist``,
``comments``, ``valence``, ``arousal``, ``quadrant``, ``polarity``, ``tags``, ``cluster``,
``mood``. Other CSV columns are kept as they are. Without a ``track_id`` column the ids are the
stems of ``audio_path`` (else row numbers).

Label scales: ``valence``/``arousal`` are floats on the user's own scale (kept as given: say
it in ``notes=``); ``quadrant`` is ``Q1``..``Q4`` (``1``..``4`` accepted); ``cluster`` an int
1–5; ``polarity`` ``positive``/``negative``; ``tags`` a ``;``- or ``,``-separated string in the
CSV, a list of str in the table. A value outside these raises :class:`DatasetError` naming the
file and the value; so does an empty or NaN ``valence``/``arousal`` cell (naming the rows: every
clip needs both when the CSV has the column), or an empty ``track_id``. A header-only CSV, or
one whose last line is cut short, is an error too.

Derived targets (honest ones only, and said in the dataset's ``notes``): ``polarity`` from
``quadrant`` where the CSV has none (Q1/Q4 positive, Q2/Q3 negative: the sign of valence that a
quadrant states); ``quadrant`` from ``valence``/``arousal`` only when you give the midpoint of
your scale, ``va_center=[v, a]`` (e.g. ``[5, 5]`` on a 1–9 scale). Valence and arousal are never
made up from a quadrant.

Split: a ``split`` column (``train``/``validation``/``test``; ``val``, ``valid`` and ``dev`` are
read as ``validation``; empty = no split) when the CSV has one, whatever ``split_by`` says.
Otherwise a seeded split (70/10/20 by default, ``seed=0``) stratified on the first of
quadrant/cluster/polarity present: with ``split_by="artist"`` (the default when the table has
artists) no artist is in two splits (:func:`mer_lib.data.tables.group_stratified_split`;
artist names compared with blanks and case ignored, a clip without one is its own group);
with ``split_by="clip"`` (the default otherwise) clips are split one by one.

``validate(deep=True)`` opens every file (empty, unreadable, truncated or silent audio; MIDI
without notes; empty lyrics: :func:`mer_lib.data.checks.check_files`) and also lists the audio
and MIDI files below ``path`` that no clip uses.

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
from mer_lib.data.base import SPLITS, DatasetError, MERDataset
from mer_lib.data.tables import (AUDIO_EXTENSIONS, CLUSTERS, LYRICS_EXTENSIONS, MIDI_EXTENSIONS, PATH_COLUMNS,
                                 POLARITIES, SPLIT_ALIASES, TABLE_COLUMNS, artist_groups, check_taxonomy,
                                 group_stratified_split, list_files, match_ids, numeric_column, problems, read_csv, rows_named,
                                 stem_index, stratified_split, user_folder)
from mer_lib.metrics import QUADRANTS, quadrant_valence
from mer_lib.metrics import quadrant as quadrant_of

DEFAULT_CSV = "labels.csv"
SPLIT_BY = ("artist", "clip")
#: Table column -> (what it holds, file extensions) of the files looked up by track_id below ``path``.
FOUND_BY_ID = {"audio_path": ("audio", AUDIO_EXTENSIONS), "midi_path": ("MIDI", MIDI_EXTENSIONS),
               "lyrics_path": ("lyrics", LYRICS_EXTENSIONS)}
CLASS_FOLDER_EXTENSIONS = AUDIO_EXTENSIONS + MIDI_EXTENSIONS


# --------------------------------------------------------------------------- CSV columns

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
            raise DatasetError(f"{source}: {len(missing)} {column} file(s) missing, e.g. {missing[0]} (paths are "
                               "relative to path=; leave the column out to find the files by track_id)")


def _csv_table(source: Path, columns: Mapping[str, str] | None, root: Path) -> pd.DataFrame:
    """The table of layouts 1 and 2: mapped and checked CSV columns, then the CSV's other columns."""
    labels = read_csv(source, dtype=str, keep_default_na=False, na_values=[""])
    mapping = _mapped_columns(labels, columns, source)
    table = pd.DataFrame(index=labels.index)
    for column, csv_column in mapping.items():
        table[column] = _label_values(column, labels[csv_column], source)
    for column in PATH_COLUMNS:
        if column in table.columns:
            table[column] = _resolve_paths(table[column], root)
    if "track_id" not in table.columns:
        table["track_id"] = ([Path(p).stem if isinstance(p, str) else None for p in table["audio_path"]]
                             if "audio_path" in table.columns else [f"{i:05d}" for i in range(len(table))])
    empty = table["track_id"].isna().to_numpy()
    if empty.any():
        id_column = mapping.get("track_id", mapping.get("audio_path"))
        raise DatasetError(f"{source}: {id_column} is empty in {int(empty.sum())} row(s): "
                           f"{rows_named(table.index[empty])}")
    table["track_id"] = table["track_id"].astype(str)
    for column in labels.columns:
        if column not in mapping.values() and column not in table.columns:
            table[column] = labels[column]
    return table


# --------------------------------------------------------------------------- class subfolders, files by id

def _class_folders(root: Path) -> dict[str, Path]:
    """``{quadrant: folder}`` of the subfolders of ``root`` named ``Q1``..``Q4`` (case ignored)."""
    return {d.name.upper(): d for d in sorted(root.iterdir()) if d.is_dir() and d.name.upper() in QUADRANTS}


def _labels_source(root: Path, labels_csv: str | None) -> Path | None:
    """The labels CSV, or None to read the labels from class subfolders (layout 3)."""
    if labels_csv is not None:
        source = (root / labels_csv).resolve()
        if source.is_file() or labels_csv != DEFAULT_CSV or not _class_folders(root):
            return source  # read_csv names it when it is missing
        return None
    if not _class_folders(root):
        raise DatasetError(f"{root}: labels_csv=None reads the labels from class subfolders "
                           f"{'/, '.join(QUADRANTS)}/, and it has none; give labels_csv=<your CSV>")
    return None


def _class_folder_table(root: Path, files: list[Path]) -> pd.DataFrame:
    """The table of layout 3: one clip per audio/MIDI stem in ``Q1/``..``Q4/``, labelled by its folder."""
    clips: dict[str, tuple[str, Path]] = {}
    for quadrant, folder in _class_folders(root).items():
        for path in files:
            if not path.is_relative_to(folder) or path.suffix.lower() not in CLASS_FOLDER_EXTENSIONS:
                continue
            if path.stem in clips and clips[path.stem][0] != quadrant:
                raise DatasetError(f"{root}: {path.stem!r} is in two class folders ({clips[path.stem][1]} and "
                                   f"{path}): a clip has one quadrant; rename or remove one")
            clips.setdefault(path.stem, (quadrant, path))
    if not clips:
        raise DatasetError(f"{root}: the class subfolders {sorted(_class_folders(root))} hold no audio or MIDI file "
                           f"({', '.join(CLASS_FOLDER_EXTENSIONS)})")
    return pd.DataFrame({"track_id": list(clips), "quadrant": [q for q, _ in clips.values()]})


def _find_by_id(table: pd.DataFrame, files: list[Path], root: Path) -> None:
    """Add each of :data:`FOUND_BY_ID` the table lacks from ``<track_id>.<ext>`` files below ``root``."""
    for column, (what, extensions) in FOUND_BY_ID.items():
        if column in table.columns or (column == "lyrics_path" and "lyrics" in table.columns):
            continue
        found = match_ids(table["track_id"], stem_index(files, extensions), what)
        if any(found):
            table[column] = found
    if "audio_path" in table.columns:
        without = table.loc[table["audio_path"].isna(), "track_id"]
        if len(without):
            warnings.warn(f"{root}: {len(without)} of {len(table)} clips have no audio file "
                          f"(e.g. {', '.join(map(repr, without[:3]))})")
    elif "midi_path" not in table.columns:
        warnings.warn(f"{root}: no audio or MIDI file named <track_id>.<ext> found below it; the table has neither")


# --------------------------------------------------------------------------- splits, checks

def _has(table: pd.DataFrame, column: str) -> bool:
    return column in table.columns and table[column].notna().any()


def _split(table: pd.DataFrame, split_by: str | None, fractions, seed: int, source) -> list:
    """The table's split column, or a seeded split by artist or by clip (see the module docstring)."""
    if "split" in table.columns:
        return _user_split(table["split"], source)
    strata = next((c for c in ("quadrant", "cluster", "polarity") if c in table.columns), None)
    labels = table[strata] if strata else np.zeros(len(table))
    split_by = split_by or ("artist" if _has(table, "artist") else "clip")
    if split_by not in SPLIT_BY:
        raise DatasetError(f"split_by={split_by!r}: use one of {SPLIT_BY}")
    if split_by == "clip":
        return list(stratified_split(labels, fractions, seed))
    if not _has(table, "artist"):
        raise DatasetError(f"{source}: split_by='artist' needs an artist column (map it with "
                           "columns={'artist': ...}), or use split_by='clip'")
    artists = artist_groups(table["artist"])
    split = list(group_stratified_split(labels, artists, fractions, seed))
    empty = [s for s, share in zip(SPLITS, fractions) if share > 0 and s not in split]
    if empty:
        warnings.warn(f"{source}: the artist-disjoint split leaves {empty} empty ({artists.nunique()} artists "
                      f"for {len(table)} clips); use split_by='clip' or a split column")
    return split


def _derive_targets(table: pd.DataFrame, va_center) -> list[str]:
    """Add the targets that follow from others (module docstring); returns what was derived."""
    derived = []
    if va_center is not None:
        if not (_has(table, "valence") and _has(table, "arousal")):
            raise DatasetError("va_center= derives quadrants from valence and arousal, and the table lacks them")
        center_v, center_a = (float(c) for c in va_center)
        if not _has(table, "quadrant"):
            table["quadrant"] = quadrant_of(table["valence"] - center_v, table["arousal"] - center_a)
            derived.append(f"quadrant from valence/arousal around ({center_v:g}, {center_a:g})")
    if _has(table, "quadrant") and not _has(table, "polarity"):
        known = table["quadrant"].notna()
        table["polarity"] = pd.Series(np.where(quadrant_valence(table["quadrant"].fillna("")), "positive",
                                               "negative"), index=table.index).where(known)
        derived.append("polarity from quadrant (Q1/Q4 positive, Q2/Q3 negative)")
    return derived


def _unused_media(dataset: MERDataset, deep: bool) -> pd.DataFrame:
    """``validate()`` findings: audio and MIDI files below the folder that no clip uses."""
    used = {p for c in ("audio_path", "midi_path") if c in dataset.table.columns
            for p in dataset.table[c] if isinstance(p, str)}
    index = stem_index(list_files(dataset.root), CLASS_FOLDER_EXTENSIONS)
    unused = sorted(p for paths in index.values() for p in paths if p not in used)
    return problems((None, p, "audio or MIDI file that no clip of the dataset uses") for p in unused)


@register("folder", folder=USER_FOLDER,
          description="bring your own: audio/MIDI/lyrics files and a labels CSV or class subfolders (path=...)")
def load(data_home=None, path=None, labels_csv: str | None = DEFAULT_CSV, columns: Mapping[str, str] | None = None,
         name: str = "folder", split_by: str | None = None, split_fractions=(0.7, 0.1, 0.2), seed: int = 0,
         check_files: bool = True, va_center=None, notes: str = "") -> MERDataset:
    """Load a user's folder of audio/MIDI/lyrics files labelled by a CSV or by class subfolders.

    Args:
        data_home: Unused (the folder is ``path``); accepted for a uniform API.
        path: The folder holding the files (and, by default, the CSV).
        labels_csv: The CSV, relative to ``path`` or absolute; None: no CSV, labels from the
            class subfolders ``Q1/``..``Q4/`` (also used when the default ``labels.csv`` is absent).
        columns: ``{table column: CSV column}`` (see the module docstring).
        name: Name the dataset goes by in reports (``data.load("folder", name=...)`` works: the
            dataset's own name is positional-only there).
        split_by: ``"artist"`` (no artist in two splits; the default when the table has artists)
            or ``"clip"``; used only when the CSV has no split column.
        split_fractions: Train/validation/test shares of the seeded split.
        seed: Seed of that split.
        check_files: Raise when a file the CSV names is missing (``validate()`` reports instead).
        va_center: ``[valence, arousal]`` midpoint of your scale: quadrants are then derived from
            V/A where the table has none. None: no quadrant is derived.
        notes: The scale of your labels, shown with the dataset.

    Raises:
        DatasetError: No ``path``; a missing, header-only or truncated CSV (and no class
            subfolders); a missing column or file; a label outside the taxonomy; an empty or NaN
            valence/arousal or track_id; several files for one id; an unknown ``split_by``.
    """
    if path in (None, ""):
        raise DatasetError('dataset "folder" needs path=<folder with your audio files and labels CSV>')
    root = user_folder(path, "path")
    files = list_files(root)
    source = _labels_source(root, labels_csv)
    if source is None and columns:
        raise DatasetError(f"columns= maps the columns of a labels CSV, but {root} is read from its class "
                           "subfolders (no CSV): give labels_csv=<your CSV> or leave columns= out")
    table = _class_folder_table(root, files) if source is None else _csv_table(source, columns, root)
    _find_by_id(table, files, root)
    derived = _derive_targets(table, va_center)
    table["split"] = _split(table, split_by, split_fractions, seed, source or root)
    if check_files:
        _missing_files(table, source or root)
    ordered = ["track_id", "split"] + [c for c in table.columns if c not in ("track_id", "split")]
    return MERDataset(
        name=name, table=table[ordered].reset_index(drop=True), root=root,
        bibtex="", license_text="The user's own data: check the terms of its sources.",
        notes="; ".join([notes or ("quadrant from the class subfolders" if source is None
                                   else "labels as given in the user's CSV (valence/arousal on the user's scale)"),
                         *(f"derived: {d}" for d in derived)]),
        extra_checks=_unused_media,
    )
