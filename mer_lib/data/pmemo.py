"""``pmemo``: PMEmo, popular-music choruses with static valence/arousal (767 songs).

Layout read (under ``<data_home>/pmemo/``)::

    static_annotations.csv        song_id, valence_mean, valence_std, arousal_mean, arousal_std
    metadata.csv                  musicId, fileName, title, artist, album, duration,
                                  chorus_start_time, chorus_end_time  (794 songs)
    split/{train,validation,test}.txt    one song id a line (536/116/115)
    dynamic_annotations.csv       per-frame V/A on [0, 1] (not in the table; see load_dynamic)
    chorus/<fileName> (optional)  PMEmo2019's chorus MP3s (or audio/)

Only the 767 songs with static annotations are rows; ``title``, ``artist``, ``album`` and
``duration`` come from the metadata (a song without metadata raises DatasetError).

Label scales: the static means in this distribution are on 1–9. ``valence``/``arousal`` are
rescaled to [-1, 1] (``(x - 5) / 4``); ``valence_raw``/``arousal_raw`` keep 1–9.
``valence_std``/``arousal_std`` are the given standard deviations divided by 4 (``*_std_raw``
as given: note they are small, PMEmo computed them on its [0, 1] rating scale).

Split: the train/validation/test lists in ``split/`` (PMEmo itself ships none).

Checks: a file that starts like the known one must have its row count (:data:`OFFICIAL`: 767
annotated songs, 794 metadata rows, 36,434 dynamic frames; lists 536/116/115) and end with a
line break; a header-only file, a cut last line, or an empty or NaN rating raises DatasetError
naming the file (and rows).

Notebook: ``00_primer``
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mer_lib.data import register
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.data.download import dataset_root, manual_download
from mer_lib.data.tables import (AUDIO_EXTENSIONS, OfficialFile, first_existing, index_files, numeric_column,
                                 read_csv, read_split_folder, user_folder, va_columns)

FOLDER = "pmemo"
SCALE = (1.0, 9.0)
METADATA_COLUMNS = ("musicId", "fileName", "title", "artist")
AUDIO_FOLDERS = ("chorus", "audio")

#: Row counts of the files read (measured on the distributed files) and the fingerprint of their
#: first record: a file that starts so must have exactly these rows.
OFFICIAL = {
    "static_annotations.csv": OfficialFile(rows=767, first="1e28b513b18d1d1b"),
    "metadata.csv": OfficialFile(rows=794, first="efd2f25c5ecaa97f"),
    "dynamic_annotations.csv": OfficialFile(rows=36434, first="ee157b7e96d12451"),
}
OFFICIAL_SPLITS = {
    "train.txt": OfficialFile(rows=536, first="050a010ce24d0896"),
    "validation.txt": OfficialFile(rows=116, first="353767b239099863"),
    "test.txt": OfficialFile(rows=115, first="d6a4031733610bb0"),
}

BIBTEX = """@inproceedings{zhang2018pmemo,
  author    = {Zhang, Kejun and Zhang, Hui and Li, Simeng and Yang, Changyuan and Sun, Lingyun},
  title     = {The {PMEmo} Dataset for Music Emotion Recognition},
  booktitle = {Proc. ACM International Conference on Multimedia Retrieval (ICMR)},
  pages     = {135--142},
  year      = {2018},
  doi       = {10.1145/3206025.3206037}
}"""
LICENSE = "Research use only (PMEmo terms); the audio is copyrighted and is not redistributed."
NOTES = ("valence/arousal: static means rescaled from 1-9 to [-1, 1] ((x-5)/4); valence_raw/arousal_raw "
         "on 1-9; *_std = given std / 4, *_std_raw as given; split: split/ lists")


def _annotations(root: Path) -> pd.DataFrame:
    source = root / "static_annotations.csv"
    frame = read_csv(source, required=("song_id",), official=OFFICIAL[source.name])
    ids = frame["song_id"].astype(str).str.strip()
    return pd.concat([ids.rename("track_id"), va_columns(frame, source, SCALE)], axis=1)


def _metadata(root: Path, track_ids: pd.Series) -> pd.DataFrame:
    source = root / "metadata.csv"
    meta = read_csv(source, required=METADATA_COLUMNS, official=OFFICIAL[source.name], dtype=str)
    meta["track_id"] = meta["musicId"].str.strip()
    missing = sorted(set(track_ids) - set(meta["track_id"]))
    if missing:
        raise DatasetError(f"{source}: no metadata for annotated song(s) {missing[:5]}")
    if "duration" in meta.columns:
        meta["duration"] = pd.to_numeric(meta["duration"], errors="coerce")
    keep = ["track_id", "fileName", "title", "artist", "album", "duration", "chorus_start_time", "chorus_end_time"]
    return meta[[c for c in keep if c in meta.columns]].rename(columns={"fileName": "file_name"})


def load_dynamic(data_home=None) -> pd.DataFrame:
    """PMEmo's per-frame (2 Hz) V/A: ``track_id``, ``time``, ``valence``, ``arousal`` on [0, 1] as given."""
    source = dataset_root(data_home, FOLDER) / "dynamic_annotations.csv"
    frame = read_csv(source, required=("musicId", "frameTime", "Arousal(mean)", "Valence(mean)"),
                     official=OFFICIAL[source.name])
    return pd.DataFrame({"track_id": frame["musicId"].astype(str),
                         "time": numeric_column(frame, "frameTime", source),
                         "valence": numeric_column(frame, "Valence(mean)", source),
                         "arousal": numeric_column(frame, "Arousal(mean)", source)})


@register("pmemo", folder=FOLDER, description="PMEmo: 767 choruses, static valence/arousal, title/artist")
def load(data_home, audio_dir=None) -> MERDataset:
    """Load PMEmo's static annotations, metadata and split.

    Args:
        data_home: Folder of the real datasets (holds ``pmemo/``).
        audio_dir: Folder of the chorus MP3s (``<fileName>``); default ``pmemo/chorus`` or
            ``pmemo/audio`` when present.

    Raises:
        DatasetError: Missing, header-only or truncated files, missing columns, a rating outside
            1–9 or empty/NaN, a song without metadata.
    """
    root = Path(data_home) / FOLDER
    table = _annotations(root)
    table = table.merge(_metadata(root, table["track_id"]), on="track_id", how="left", validate="one_to_one")
    table.insert(1, "split", read_split_folder(root / "split", table["track_id"], OFFICIAL_SPLITS))
    audio = user_folder(audio_dir, "audio_dir") or first_existing(root / f for f in AUDIO_FOLDERS)
    if audio is not None:
        files = {Path(p).name: p for p in index_files(audio, AUDIO_EXTENSIONS).values()}
        table["audio_path"] = [files.get(name) for name in table["file_name"]]
    return MERDataset(name="pmemo", table=table, root=root, bibtex=BIBTEX, license_text=LICENSE, notes=NOTES)


def download(data_home=None) -> Path:
    """PMEmo is distributed by request / Google Drive only: raises DatasetError with the steps."""
    manual_download("PMEmo", (
        "Get PMEmo2019 from https://github.com/HuiZhangDB/PMEmo (follow its download link), then put "
        "static_annotations.csv, metadata.csv, dynamic_annotations.csv and split/{train,validation,test}.txt "
        "in <data_home>/pmemo/ (chorus MP3s, optional, in <data_home>/pmemo/chorus/)."))
