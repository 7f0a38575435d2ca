"""``emopia``: EMOPIA 1.0, pop piano MIDI clips labelled with Russell's four quadrants.

Layout read (under ``<data_home>/emopia/``)::

    EMOPIA_1.0/                 as distributed on Zenodo (record 5090631)
        midis/Q{1-4}_<youtubeID>_<n>.mid
        label.csv               ID,4Q,annotator
        metadata_by_song.csv    songID,num_Q1..num_Q4,DominantQ
    split_cls/                  the classification split of the EMOPIA paper (EMOPIA_cls
                                repository, where it sits at dataset/split/; that path, or
                                split/, is accepted too): train/val/test.csv (fname,label)
                                and the song-level train/val/test_SL.csv (songID,...)
    audio/ (optional)           rendered or your own audio, <ID>.<wav|flac|mp3|...>

Labels: ``quadrant`` ``Q1``..``Q4`` from ``label.csv`` (Q1 high valence/high arousal, Q2 low
V/high A, Q3 low V/low A, Q4 high V/low A). ``valence`` and ``arousal`` are the derived binary
classes as floats: +1.0 = high, −1.0 = low (valence high for Q1/Q4, arousal high for Q1/Q2),
as the EMOPIA classifiers' binary tasks use them.

Split: ``split="clip"`` (default) reads the official clip-level split (767/198/86 clips); the
27 clips it leaves out get ``split=None``. ``split="song"`` assigns every clip of a song to the
split of its song in ``*_SL.csv`` (no song crosses splits). ``split=None`` loads no split.

Checks: ``label.csv`` and each split file that starts like the official one must have its
official row count (:data:`OFFICIAL`: 1,078 clips; 767/198/86 clips, 291/64/32 songs) and end
with a line break; a header-only file or a cut last line raises DatasetError naming the file.

Notebook: ``00_primer``
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mer_lib.data import register
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.metrics import QUADRANTS
from mer_lib.data.download import dataset_root, extract, fetch, fetch_all, zenodo_file
from mer_lib.data.tables import (AUDIO_EXTENSIONS, MIDI_EXTENSIONS, OfficialFile, attach_files,
                                 binary_valence_arousal, check_taxonomy, first_existing, read_csv,
                                 split_from_lists, unlisted_files, user_folder)

FOLDER = "emopia"
DISTRIBUTION = "EMOPIA_1.0"
#: Where the split files may be, relative to the dataset folder (the first found is used).
SPLIT_FOLDERS = ("split_cls", "dataset/split", "split", "EMOPIA_1.0/split")
AUDIO_FOLDERS = ("audio", "rendered", "EMOPIA_1.0/audio")
CLIP_SPLIT_FILES = {"train": "train.csv", "validation": "val.csv", "test": "test.csv"}
SONG_SPLIT_FILES = {"train": "train_SL.csv", "validation": "val_SL.csv", "test": "test_SL.csv"}

#: Row counts of the official files (measured on EMOPIA 1.0 and the EMOPIA_cls split) and the
#: fingerprint of their first record: a file that starts so must have exactly these rows.
OFFICIAL = {
    "label.csv": OfficialFile(rows=1078, first="20736f02657453a2"),
    "train.csv": OfficialFile(rows=767, first="01ea9111dc6528f7"),
    "val.csv": OfficialFile(rows=198, first="9ffc0e065dadfcc6"),
    "test.csv": OfficialFile(rows=86, first="836912002d481f2e"),
    "train_SL.csv": OfficialFile(rows=291, first="b4abba653c1e6dcf"),
    "val_SL.csv": OfficialFile(rows=64, first="187d55e694c55627"),
    "test_SL.csv": OfficialFile(rows=32, first="b7aab7da70be9c15"),
}

ZENODO_RECORD_URL = "https://zenodo.org/api/records/5090631"
ZIP_NAME = "EMOPIA_1.0.zip"
SPLIT_BASE_URL = ("https://raw.githubusercontent.com/SeungHeonDoh/EMOPIA_cls/"
                  "4acbaf48230c06a3d1ddafcf6387e495f583832b/dataset/split")
#: SHA-256 of the split files at that commit.
SPLIT_SHA256 = {
    "train.csv": "21c0d3d5d65e357b7fee5f8b155bdf53bad208a5ce73c29beaacf6a18b60733b",
    "val.csv": "71a3f00103e708d6e835c2681105d989d704e278de32c192106899a302dca5de",
    "test.csv": "4d1ec75b36c2ef86bf5b5250af3b9e91f21608a49cf66365c446229d8edd8735",
    "train_SL.csv": "e731f7205a31520c344e08a3533b86e1abb99f00e59b095b6cec4a4fe9c11f27",
    "val_SL.csv": "2016f816e3f2aa504bd48cb524e1664514a6929085da41b7f3144191bfceb63b",
    "test_SL.csv": "c583abeea46e98d2a2c8b2e3cee2757bd5593495d68ca9727d71f038e78ca826",
}

BIBTEX = """@inproceedings{hung2021emopia,
  author    = {Hung, Hsiao-Tzu and Ching, Joann and Doh, Seungheon and Kim, Nabin and Nam, Juhan and Yang, Yi-Hsuan},
  title     = {{EMOPIA}: A Multi-Modal Pop Piano Dataset For Emotion Recognition and Emotion-based Music Generation},
  booktitle = {Proc. Int. Society for Music Information Retrieval Conf. (ISMIR)},
  year      = {2021}
}"""
LICENSE = ("CC BY-NC-SA 4.0 (Creative Commons Attribution-NonCommercial-ShareAlike 4.0). For research; "
           "commercial use is prohibited; any act that defames the original music owner is prohibited.")
NOTES = ("quadrant Q1..Q4 (label.csv); valence/arousal are binary classes as floats (+1 high, -1 low) "
         "derived from the quadrant; split: official clip-level classification split (27 clips None) "
         "or, with split='song', the song-level one")


def _distribution(root: Path) -> Path:
    """Folder that holds ``label.csv`` (``EMOPIA_1.0/`` or the dataset folder itself)."""
    for folder in (root / DISTRIBUTION, root):
        if (folder / "label.csv").is_file():
            return folder
    raise DatasetError(f"EMOPIA: missing label.csv: expected {root / DISTRIBUTION / 'label.csv'}")


def _clips(dist: Path) -> pd.DataFrame:
    """One row per clip of ``label.csv``, with its quadrant checked against the file name."""
    source = dist / "label.csv"
    labels = read_csv(source, required=("ID", "4Q"), official=OFFICIAL["label.csv"], dtype=str,
                      keep_default_na=False)
    ids = labels["ID"].str.strip()
    quadrants = "Q" + labels["4Q"].str.strip()
    check_taxonomy(quadrants, QUADRANTS, source, "4Q")
    mismatch = ids.str[:2] != quadrants
    if mismatch.any():
        clip = ids[mismatch].iloc[0]
        raise DatasetError(f"{source}: clip {clip!r} is labelled {quadrants[mismatch].iloc[0]} "
                           "but its name says otherwise")
    table = pd.DataFrame({
        "track_id": ids,
        # <Qn>_<youtube id>_<clip index>; YouTube ids may contain '_' themselves.
        "song_id": ids.str[3:].str.rsplit("_", n=1).str[0],
        "clip_index": ids.str.rsplit("_", n=1).str[1].astype(int),
        "quadrant": quadrants,
        "annotator": labels["annotator"] if "annotator" in labels.columns else None,
    })
    table["valence"], table["arousal"] = binary_valence_arousal(table["quadrant"])
    table["midi_path"] = [str(dist / "midis" / f"{clip}.mid") for clip in ids]
    return table


def _split_folder(root: Path, split_dir) -> Path:
    folder = user_folder(split_dir, "split_dir") or first_existing(root / f for f in SPLIT_FOLDERS)
    if folder is None:
        raise DatasetError(
            f"EMOPIA: no split files: looked for {', '.join(str(root / f) for f in SPLIT_FOLDERS)}. "
            "Run mer_lib.data.emopia.download(), pass split_dir=..., or load with split=None.")
    return folder


def _clip_split(table: pd.DataFrame, folder: Path) -> list:
    """Official clip-level split; each listed label must agree with ``label.csv``."""
    quadrant = dict(zip(table["track_id"], table["quadrant"]))
    lists = {}
    for split, name in CLIP_SPLIT_FILES.items():
        listed = read_csv(folder / name, required=("fname", "label"), official=OFFICIAL[name], dtype=str)
        check_taxonomy(listed["label"], QUADRANTS, folder / name, "label")
        for clip, label in zip(listed["fname"], listed["label"]):
            if clip in quadrant and quadrant[clip] != label:
                raise DatasetError(f"{folder / name}: {clip!r} labelled {label}, label.csv says {quadrant[clip]}")
        lists[split] = listed["fname"]
    return split_from_lists(table["track_id"], lists, folder)


def _song_split(table: pd.DataFrame, folder: Path) -> list:
    """Song-level split: each clip takes the split of its song."""
    songs = {split: read_csv(folder / name, required=("songID",), official=OFFICIAL[name], dtype=str)["songID"]
             for split, name in SONG_SPLIT_FILES.items()}
    song_ids = sorted(set(table["song_id"]))
    song_split = dict(zip(song_ids, split_from_lists(song_ids, songs, folder)))
    return [song_split[s] for s in table["song_id"]]


def _extra_checks(dataset: MERDataset, deep: bool) -> pd.DataFrame:
    """MIDI files in ``midis/`` that ``label.csv`` does not list."""
    midis = Path(dataset.table["midi_path"].iloc[0]).parent if len(dataset.table) else dataset.root
    return unlisted_files(midis, MIDI_EXTENSIONS, dataset.table["midi_path"], "MIDI file")


@register("emopia", folder=FOLDER, description="EMOPIA 1.0: 1,078 pop piano MIDI clips, 4 quadrants")
def load(data_home, split: str | None = "clip", split_dir=None, audio_dir=None) -> MERDataset:
    """Load EMOPIA.

    Args:
        data_home: Folder of the real datasets (holds ``emopia/``).
        split: ``"clip"`` (official clip-level split), ``"song"`` (song-level) or None.
        split_dir: Folder of the split CSVs, if not one of the usual places.
        audio_dir: Folder of audio named ``<clip ID>.<ext>`` (rendered or your own); by
            default ``emopia/audio/`` or ``emopia/rendered/`` when present.

    Raises:
        DatasetError: Missing, header-only or truncated files, missing columns, a quadrant outside
            Q1..Q4, an unknown split.
    """
    if split not in ("clip", "song", None):
        raise DatasetError(f"EMOPIA: split must be 'clip', 'song' or None, got {split!r}")
    root = Path(data_home) / FOLDER
    dist = _distribution(root)
    table = _clips(dist)
    if split is None:
        table.insert(1, "split", None)
    else:
        folder = _split_folder(root, split_dir)
        assign = _clip_split if split == "clip" else _song_split
        table.insert(1, "split", assign(table, folder))
    audio = user_folder(audio_dir, "audio_dir") or first_existing(root / f for f in AUDIO_FOLDERS)
    if audio is not None:
        table["audio_path"] = attach_files(table["track_id"], audio, AUDIO_EXTENSIONS)
    return MERDataset(name="emopia", table=table, root=root, bibtex=BIBTEX, license_text=LICENSE,
                      notes=NOTES, extra_checks=_extra_checks)


def download(data_home=None) -> Path:
    """Download EMOPIA 1.0 from Zenodo and the classification split from EMOPIA_cls.

    The zip is checked against the MD5 that Zenodo publishes, the split files against the
    SHA-256 recorded here for the pinned commit.

    Returns:
        The dataset folder (``<data_home>/emopia``).
    """
    root = dataset_root(data_home, FOLDER)
    url, md5 = zenodo_file(ZENODO_RECORD_URL, ZIP_NAME)
    archive = fetch(url, root / ZIP_NAME, md5=md5)
    extract(archive, root)
    archive.unlink()
    fetch_all(SPLIT_BASE_URL, SPLIT_SHA256, root / "split_cls")
    return root
