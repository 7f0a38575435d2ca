"""``deezer_msdd``: the Deezer Mood Detection Dataset (MSD subset), 18,644 songs with V/A.

Layout read (under ``<data_home>/deezer-msdd/``, as in github.com/deezer/deezer_mood_detection_dataset)::

    train.csv, validation.csv, test.csv   dzr_sng_id, MSD_sng_id, MSD_track_id, valence, arousal,
                                          artist_name, track_name  (11,267 / 3,863 / 3,514)
    audio/<dzr_sng_id>.<ext>, lyrics/<dzr_sng_id>.txt   (optional) your own audio and lyrics

Label scales: ``valence`` and ``arousal`` are kept as given: standardised (zero mean, unit
variance, roughly within [-3, 3]), derived from the songs' Last.fm tags through Warriner et
al.'s valence/arousal word norms (Delbouys et al. 2018).

Split: official, the file each song is in. Columns: ``track_id`` (the Deezer song id, str),
``deezer_id``, ``msd_song_id``, ``msd_track_id``, ``title``, ``artist``, ``valence``, ``arousal``.
No audio or lyrics are distributed; pass ``audio_dir``/``lyrics_dir`` for your own.

Checks: a split file that starts like the official one must have its official row count
(:data:`OFFICIAL`: 11,267 / 3,863 / 3,514) and end with a line break; a header-only file, a cut
last line, or an empty or NaN valence/arousal cell raises DatasetError naming the file (and rows).

Notebook: ``00_primer``
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mer_lib.data import register
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.data.download import dataset_root, fetch_all
from mer_lib.data.tables import OfficialFile, add_user_files, first_existing, numeric_column, read_csv

FOLDER = "deezer-msdd"
SPLIT_FILES = {"train": "train.csv", "validation": "validation.csv", "test": "test.csv"}
COLUMNS = ("dzr_sng_id", "MSD_sng_id", "MSD_track_id", "valence", "arousal", "artist_name", "track_name")
RENAME = {"dzr_sng_id": "deezer_id", "MSD_sng_id": "msd_song_id", "MSD_track_id": "msd_track_id",
          "artist_name": "artist", "track_name": "title"}

REPOSITORY_URL = ("https://raw.githubusercontent.com/deezer/deezer_mood_detection_dataset/"
                  "9c6e1c5992a5b78166f6212d5b62b86217dff17f")
#: Row counts of the official split files (measured on the pinned commit's files) and the
#: fingerprint of their first record: a file that starts so must have exactly these rows.
OFFICIAL = {
    "train.csv": OfficialFile(rows=11267, first="061c3ce9bc97cad9"),
    "validation.csv": OfficialFile(rows=3863, first="8b7a8c4ade4e0f26"),
    "test.csv": OfficialFile(rows=3514, first="8f65dcf8fce0a104"),
}
SHA256 = {
    "train.csv": "7c92c7426325f41a41ff75c93087593859907517c4c84973f8db8463e6b20f3f",
    "validation.csv": "4bf9c5b32245c523c1d3474bebe2294a1125efc3bdd2f3edb2204b0f6008e1c2",
    "test.csv": "472edbdac17a398f27ade8a1b2ea952a84c8ae925e73e23cd6960d9e4aff92b6",
}

BIBTEX = """@inproceedings{delbouys2018mood,
  author    = {Delbouys, R{\\'e}mi and Hennequin, Romain and Piccoli, Francesco and
               Royo-Letelier, Jimena and Moussallam, Manuel},
  title     = {Music Mood Detection Based on Audio and Lyrics with Deep Neural Net},
  booktitle = {Proc. Int. Society for Music Information Retrieval Conf. (ISMIR)},
  pages     = {370--375},
  year      = {2018}
}"""
LICENSE = ("Research use (the repository has no license file). Audio and lyrics are not distributed "
           "for copyright reasons; the Million Song Dataset and the Deezer API give features/metadata.")
NOTES = "valence/arousal: standardised (z-scores) as given; split: official train/validation/test files"


def _read_split(path: Path, split: str) -> pd.DataFrame:
    frame = read_csv(path, required=COLUMNS, official=OFFICIAL.get(path.name), dtype={"dzr_sng_id": str},
                     keep_default_na=False)
    for column in ("valence", "arousal"):
        frame[column] = numeric_column(frame, column, path)
    frame = frame[list(COLUMNS)].rename(columns=RENAME)
    frame.insert(0, "track_id", frame["deezer_id"].str.strip())
    frame.insert(1, "split", split)
    return frame


@register("deezer_msdd", folder=FOLDER, description="Deezer MSDD: 18,644 songs, standardised valence/arousal")
def load(data_home, audio_dir=None, lyrics_dir=None) -> MERDataset:
    """Load the Deezer Mood Detection Dataset.

    Args:
        data_home: Folder of the real datasets (holds ``deezer-msdd/``).
        audio_dir: Your audio, ``<dzr_sng_id>.<ext>``; default ``deezer-msdd/audio`` if present.
        lyrics_dir: Your lyrics, ``<dzr_sng_id>.txt``; default ``deezer-msdd/lyrics`` if present.

    Raises:
        DatasetError: A missing, header-only or truncated file, a missing column, a non-numeric,
            empty or NaN V/A, a song in two splits.
    """
    root = Path(data_home) / FOLDER
    table = pd.concat([_read_split(root / name, split) for split, name in SPLIT_FILES.items()],
                      ignore_index=True)
    repeated = table["track_id"].duplicated()
    if repeated.any():
        raise DatasetError(f"{root}: song {table['track_id'][repeated].iloc[0]} is in two split files")
    table = add_user_files(table, table["track_id"], audio_dir or first_existing([root / "audio"]),
                           lyrics_dir or first_existing([root / "lyrics"]))
    return MERDataset(name="deezer_msdd", table=table, root=root, bibtex=BIBTEX, license_text=LICENSE,
                      notes=NOTES)


def download(data_home=None) -> Path:
    """Download the three CSVs from Deezer's repository (pinned commit, SHA-256 verified).

    Returns:
        The dataset folder (``<data_home>/deezer-msdd``).
    """
    root = dataset_root(data_home, FOLDER)
    fetch_all(REPOSITORY_URL, SHA256, root)
    return root
