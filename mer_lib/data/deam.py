"""``deam``: DEAM, the MediaEval Database for Emotional Analysis in Music (1,802 songs, static V/A).

Layout read (under ``<data_home>/deam/``)::

    static_annotations_averaged_songs_1_2000.csv      song_id, valence_mean, valence_std,
                                                      arousal_mean, arousal_std  (1,744 songs)
    static_annotations_averaged_songs_2000_2058.csv   the same columns plus max/min ratings (58)
    split/{train,validation,test}.txt                 one song_id a line (1,261/271/270)
    MEMD_audio/<song_id>.mp3 (optional)               DEAM_audio.zip, unpacked

The two annotation files (as in ``DEAM_Annotations.zip``, ``annotations averaged per song/
song_level/``) are merged on their common columns; the max/min columns of the second are dropped.

Label scales: the ratings are on the 9-point scale 1–9. ``valence``/``arousal`` are rescaled
to [-1, 1] (``(x - 5) / 4``) like every V/A column of the study; ``valence_raw``/``arousal_raw``
keep the 1–9 means. ``valence_std``/``arousal_std`` are the raters' standard deviations in
[-1, 1]-scale units (``std / 4``); ``*_std_raw`` keep them on the 1–9 scale.

Split: the project's train/validation/test lists in ``split/`` (DEAM itself ships none). Songs
not listed get ``split=None``; without the folder, every song has ``split=None`` (with a warning).

Checks: an annotation file or split list that starts like the known one must have its row
count (:data:`OFFICIAL`: 1,744 + 58 songs; lists 1,261/271/270) and end with a line break; a
header-only file, an empty split list, a cut last line, or an empty or NaN rating raises
DatasetError naming the file (and rows).

Notebook: ``00_primer``
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from mer_lib.data import register
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.data.download import dataset_root, fetch_members
from mer_lib.data.tables import (AUDIO_EXTENSIONS, OfficialFile, attach_files, first_existing, read_csv,
                                 read_split_folder, user_folder, va_columns)

FOLDER = "deam"
ANNOTATION_FILES = ("static_annotations_averaged_songs_1_2000.csv",
                    "static_annotations_averaged_songs_2000_2058.csv")
COMMON = ["song_id", "valence_mean", "valence_std", "arousal_mean", "arousal_std"]
SCALE = (1.0, 9.0)
AUDIO_FOLDERS = ("MEMD_audio", "DEAM_audio/MEMD_audio", "audio")

#: Row counts of the files read (measured on the distributed files) and the fingerprint of their
#: first record: a file that starts so must have exactly these rows.
OFFICIAL = {
    ANNOTATION_FILES[0]: OfficialFile(rows=1744, first="bd4ae3a541394ab9"),
    ANNOTATION_FILES[1]: OfficialFile(rows=58, first="e67edcd556e98f3a"),
}
#: The project's split lists in ``split/``.
OFFICIAL_SPLITS = {
    "train.txt": OfficialFile(rows=1261, first="a440868cf4311953"),
    "validation.txt": OfficialFile(rows=271, first="76bf061a545d6183"),
    "test.txt": OfficialFile(rows=270, first="cf1881df6f1696c2"),
}

ANNOTATIONS_URL = "https://cvml.unige.ch/databases/DEAM/DEAM_Annotations.zip"
#: SHA-256 of the two static-annotation CSVs inside DEAM_Annotations.zip (the site publishes none
#: for the zip, so the files the loader reads are verified after extraction).
ANNOTATION_SHA256 = {
    ANNOTATION_FILES[0]: "5192a4532ebd4273334d2e0d8f76c4958a1bed9e1267527caf2d52f3330cbcbc",
    ANNOTATION_FILES[1]: "c094a351068f25fcfe3cc29b3a5045dfa58ebb0136ffffaf2f3ea09cf53ba043",
}

BIBTEX = """@article{aljanaki2017deam,
  author  = {Aljanaki, Anna and Yang, Yi-Hsuan and Soleymani, Mohammad},
  title   = {Developing a benchmark for emotional analysis of music},
  journal = {PLOS ONE},
  volume  = {12},
  number  = {3},
  pages   = {e0173392},
  year    = {2017},
  doi     = {10.1371/journal.pone.0173392}
}"""
LICENSE = ("Annotations: research use, cite Aljanaki et al. 2017. Audio: Creative Commons licensed "
           "tracks (freemusicarchive.org, jamendo.com, medleyDB), each under its own license.")
NOTES = ("valence/arousal: static song-level means rescaled from 1-9 to [-1, 1] ((x-5)/4); "
         "valence_raw/arousal_raw: the 1-9 means; *_std: raters' std in [-1, 1] units (std/4), "
         "*_std_raw on 1-9; split: the project's split/ lists")


def _annotations(root: Path) -> pd.DataFrame:
    """Both static-annotation files, merged on their common columns."""
    parts = []
    for name in ANNOTATION_FILES:
        frame = read_csv(root / name, required=COMMON, official=OFFICIAL.get(name), skipinitialspace=True)
        frame["song_id"] = frame["song_id"].astype(str).str.strip()
        frame = pd.concat([frame[["song_id"]], va_columns(frame, root / name, SCALE)], axis=1)
        parts.append(frame)
    merged = pd.concat(parts, ignore_index=True)
    duplicated = merged["song_id"].duplicated()
    if duplicated.any():
        raise DatasetError(f"{root}: song {merged['song_id'][duplicated].iloc[0]} is annotated twice")
    return merged.rename(columns={"song_id": "track_id"})


@register("deam", folder=FOLDER, description="DEAM: 1,802 songs, static valence/arousal (1-9 -> [-1, 1])")
def load(data_home, audio_dir=None) -> MERDataset:
    """Load DEAM's static annotations and the project's split.

    Args:
        data_home: Folder of the real datasets (holds ``deam/``).
        audio_dir: Folder of ``<song_id>.mp3``; default ``deam/MEMD_audio`` when present.

    Raises:
        DatasetError: Missing, header-only or truncated files, missing columns, a rating outside 1–9
            or empty/NaN, an unknown song in a split.
    """
    root = Path(data_home) / FOLDER
    table = _annotations(root)
    split = read_split_folder(root / "split", table["track_id"], OFFICIAL_SPLITS)
    if split is None:
        warnings.warn(f"DEAM: no split folder {root / 'split'}; every song has split=None")
    table.insert(1, "split", split)
    audio = user_folder(audio_dir, "audio_dir") or first_existing(root / f for f in AUDIO_FOLDERS)
    if audio is not None:
        table["audio_path"] = attach_files(table["track_id"], audio, AUDIO_EXTENSIONS)
    return MERDataset(name="deam", table=table, root=root, bibtex=BIBTEX, license_text=LICENSE, notes=NOTES)


def download(data_home=None) -> Path:
    """Download DEAM's annotations from the official site and keep the two static CSVs.

    The audio (``DEAM_audio.zip``, 1.3 GB) is not fetched: unpack it into ``deam/`` yourself
    (it gives ``deam/MEMD_audio/``). The split lists are the project's, not DEAM's.

    Returns:
        The dataset folder (``<data_home>/deam``).
    """
    root = dataset_root(data_home, FOLDER)
    fetch_members(ANNOTATIONS_URL, ANNOTATION_SHA256, root)
    return root
