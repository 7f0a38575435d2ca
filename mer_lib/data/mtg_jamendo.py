"""``mtg_jamendo_moodtheme``: the mood/theme subset of MTG-Jamendo (18,486 tracks, 56 tags).

Layout read (under ``<data_home>/mtg-jamendo/``, as in the official repository)::

    data/autotagging_moodtheme.tsv      TRACK_ID ARTIST_ID ALBUM_ID PATH DURATION TAGS...
                                        (tab-separated; one tag a field, "mood/theme---<tag>")
    data/tags/moodtheme.txt             the 59 mood/theme tags of the subset
    data/tags/moodtheme_split.txt       the 56 tags kept in the splits (MediaEval's tags)
    data/splits/split-N/autotagging_moodtheme-{train,validation,test}.tsv
    data/download/autotagging_moodtheme_{audio-low,melspecs}_sha256_{tars,tracks}.txt
    audio-low/ or audio/ (optional)     the official audio tarballs, unpacked: NN/<id>.low.mp3
                                        (audio-low) or NN/<id>.mp3 (audio), and their .tar files
    melspecs/ (optional)                the official mel-spectrogram tarballs: NN/<id>.npy

Labels: ``tags`` is a list of tag names without the ``mood/theme---`` prefix (``"happy"``),
restricted to the 56 tags of the split (3 rare tags are dropped there, as MediaEval did);
``all_tags`` keeps every tag of the TSV. A tag outside ``moodtheme.txt`` raises DatasetError.

Split: official ``split-N`` (``split_index``, default 0: 9,949/3,802/4,231 tracks, the
MediaEval 2019–2021 split); the 504 tracks the split leaves out get ``split=None``.

Checksums: with the tarballs present, ``validate(deep=True)`` compares them (and unpacked files,
when the per-track list is there) with the official SHA-256 lists in ``data/download/``, and
reports audio much shorter than the ``DURATION`` of its track.

Checks at load: a TSV or tag list that starts like the official one must have its official row
count (:data:`OFFICIAL`: 18,486 tracks; split-0 9,949/3,802/4,231; 59 and 56 tags) and end with
a line break; a header-only TSV or a cut last line raises DatasetError naming the file.

Notebook: ``00_primer``
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from mer_lib.data import register
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.data.checks import sha256, short_audio
from mer_lib.data.download import dataset_root, fetch_all
from mer_lib.data.tables import (OfficialFile, check_complete, check_taxonomy, first_existing, problems, read_lines,
                                 require_file, user_folder)

FOLDER = "mtg-jamendo"
SUBSET = "autotagging_moodtheme"
PREFIX = "mood/theme---"
SPLIT_NAMES = ("train", "validation", "test")
AUDIO_FOLDERS = ("audio-low", "audio")
MELSPEC_FOLDER = "melspecs"
#: Media column -> (file endings tried in order, official download types whose checksums apply).
MEDIA = {"audio_path": ((".low.mp3", ".mp3"), ("audio-low", "audio")),
         "melspec_path": ((".npy",), ("melspecs",))}
COLUMNS = ["TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH", "DURATION", "TAGS"]

#: Row counts of the official metadata files (measured on the repository's files) and the
#: fingerprint of their first record, by file name (split files: ``split-N/<name>``).
OFFICIAL = {
    "autotagging_moodtheme.tsv": OfficialFile(rows=18486, first="2f77c653270253fb"),
    "split-0/autotagging_moodtheme-train.tsv": OfficialFile(rows=9949, first="2f77c653270253fb"),
    "split-0/autotagging_moodtheme-validation.tsv": OfficialFile(rows=3802, first="00834a510e146861"),
    "split-0/autotagging_moodtheme-test.tsv": OfficialFile(rows=4231, first="aecc57bbcac3255b"),
    "moodtheme.txt": OfficialFile(rows=59, first="5d59094e9b1c75de"),
    "moodtheme_split.txt": OfficialFile(rows=56, first="5d59094e9b1c75de"),
}

#: The metadata files ``download()`` fetches from the official repository, with their SHA-256.
REPOSITORY_URL = "https://raw.githubusercontent.com/MTG/mtg-jamendo-dataset/master"
METADATA_SHA256 = {
    "data/autotagging_moodtheme.tsv": "c920e97252586f3e570fa89c4708adcd45a1924dc0e3d3460ac65788257865a8",
    "data/tags/moodtheme.txt": "8597c12db9a386d83ae617334ab8ac5c1de525efc5b14fc59654bb243a0f9cb0",
    "data/tags/moodtheme_split.txt": "68797d2f5164d78aafb641a6575f6ba68723293a715a91a8166a7b8ec19af169",
    "data/splits/split-0/autotagging_moodtheme-train.tsv":
        "e5e9e798364b34bd241b773e5011809b24429edf471f27cf21dd8181077ba2d4",
    "data/splits/split-0/autotagging_moodtheme-validation.tsv":
        "ecaa279367153476884d84d686479e566234cef1814bd6892a8755ba0a550dbf",
    "data/splits/split-0/autotagging_moodtheme-test.tsv":
        "4341b5586bb3e5a80a882ce9ef33cb8b1bdaa7df856246ecc5de188dfe1cf394",
    "data/download/autotagging_moodtheme_audio-low_sha256_tars.txt":
        "4d88ed2e461bd58de90b50632075d110ef8fab72fc8e83c90c2ffc21f0c12cb1",
    "data/download/autotagging_moodtheme_melspecs_sha256_tars.txt":
        "4a3700f3e077880e9e30c2053b486271292b454967d2ef6d12e3e70869fd7042",
}

BIBTEX = """@inproceedings{bogdanov2019mtg,
  author    = {Bogdanov, Dmitry and Won, Minz and Tovstogan, Philip and Porter, Alastair and Serra, Xavier},
  title     = {The {MTG-Jamendo} Dataset for Automatic Music Tagging},
  booktitle = {Machine Learning for Music Discovery Workshop, International Conference on Machine Learning (ICML 2019)},
  address   = {Long Beach, CA, United States},
  year      = {2019},
  url       = {http://hdl.handle.net/10230/42015}
}"""
LICENSE = ("Metadata: CC BY-NC-SA 4.0. Audio: Creative Commons licenses per track (see the official "
           "audio_licenses.txt). Code of the official repository: Apache 2.0.")
NOTES = ("tags: list of mood/theme tag names (prefix stripped) restricted to the 56 tags of the split; "
         "all_tags: every tag of the TSV; split: official split-N (tracks outside it: None)")


def data_folder(data_home) -> Path:
    """``<data_home>/mtg-jamendo/data``."""
    return Path(data_home) / FOLDER / "data"


def official_file(path: Path) -> OfficialFile | None:
    """What :data:`OFFICIAL` knows of ``path`` (a split file by ``split-N/<name>``), if anything."""
    path = Path(path)
    return OFFICIAL.get(f"{path.parent.name}/{path.name}") or (
        None if path.parent.name.startswith("split-") else OFFICIAL.get(path.name))


def split_tags(data_home) -> list[str]:
    """The 56 tags of the splits, in the official order of ``moodtheme_split.txt`` (prefix stripped)."""
    path = data_folder(data_home) / "tags" / "moodtheme_split.txt"
    return [_strip(t, path) for t in read_lines(path, official_file(path))]


def _strip(tag: str, source: Path) -> str:
    if not tag.startswith(PREFIX):
        raise DatasetError(f"{source}: tag {tag!r} is not a {PREFIX!r} tag")
    return tag[len(PREFIX):]


def read_tsv(path: Path) -> pd.DataFrame:
    """An MTG-Jamendo TSV (variable number of tag fields) as a frame with a ``tags`` list column."""
    raw = require_file(path).read_bytes()
    lines = raw.decode("utf-8").splitlines()
    if not lines or lines[0].split("\t")[:6] != COLUMNS:
        raise DatasetError(f"{path}: expected the header {COLUMNS}")
    records = sum(1 for line in lines[1:] if line.strip())
    if not records:
        raise DatasetError(f"{path}: no rows, only a header (a dataset of 0 clips is an error)")
    check_complete(path, raw, records, official_file(path), sep="\t", min_fields=len(COLUMNS))
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) < 5:
            raise DatasetError(f"{path}: line {number} has {len(fields)} fields, expected at least 5")
        rows.append((*fields[:5], [_strip(t, path) for t in fields[5:] if t]))
    frame = pd.DataFrame(rows, columns=["track_id", "artist_id", "album_id", "path", "duration", "all_tags"])
    try:
        frame["duration"] = frame["duration"].astype(float)
    except ValueError as err:
        raise DatasetError(f"{path}: DURATION is not a number ({err})") from err
    return frame


def split_files(data_home, split_index: int = 0) -> dict[str, Path]:
    """``{split: TSV}`` of the official split ``split-<split_index>``."""
    folder = data_folder(data_home) / "splits" / f"split-{int(split_index)}"
    return {s: folder / f"{SUBSET}-{s}.tsv" for s in SPLIT_NAMES}


def _splits(table: pd.DataFrame, data_home, split_index: int, kept: set[str]) -> list:
    """Split of each track; a split's tags must be among the kept ones."""
    assigned: dict[str, str] = {}
    for split, path in split_files(data_home, split_index).items():
        listed = read_tsv(path)
        check_taxonomy((t for tags in listed["all_tags"] for t in tags), kept, path, "tag")
        assigned.update((t, split) for t in listed["track_id"])
    unknown = set(assigned) - set(table["track_id"])
    if unknown:
        raise DatasetError(f"split-{split_index} lists tracks not in {SUBSET}.tsv, e.g. {sorted(unknown)[0]}")
    return [assigned.get(t) for t in table["track_id"]]


def _media_paths(relative: pd.Series, folder: Path, endings: tuple[str, ...]) -> list:
    """Absolute ``folder/NN/<id><ending>`` of each track (first ending found), None where none exists."""
    def first(path: str):
        candidates = (folder / (path[: -len(".mp3")] + ending) for ending in endings)
        return next((str(c) for c in candidates if c.is_file()), None)

    return [first(p) for p in relative]


def _checksum_list(path: Path) -> dict[str, str]:
    """``{file name: sha256}`` of an official ``*_sha256_*.txt`` list (``<digest> <name>`` lines)."""
    if not path.is_file():
        return {}
    return {name: digest for digest, name in (line.split(maxsplit=1) for line in read_lines(path))}


def _mismatches(folder: Path, listed: dict[str, str], names) -> list[tuple]:
    """Findings for the files ``folder/<name>`` present whose SHA-256 differs from ``listed``."""
    return [(None, str(folder / name), "sha256 mismatch with the official list") for name in names
            if name in listed and (folder / name).is_file() and sha256(folder / name) != listed[name]]


def _extra_checks(dataset: MERDataset, deep: bool, folders: dict[str, Path]) -> pd.DataFrame:
    """With ``deep``: tarballs present (and unpacked files) against the official SHA-256 lists, and
    audio much shorter than its track's ``DURATION``."""
    if not deep:
        return problems([])
    lists = data_folder(dataset.root.parent) / "download"
    findings = []
    for column, folder in folders.items():
        for kind in MEDIA[column][1]:
            findings += _official_checksums(dataset.table[column], folder, lists, kind)
    if "audio_path" in folders:
        short = short_audio(dataset.table, dataset.table["duration"], "the metadata's DURATION is")
        return pd.concat([problems(findings), short], ignore_index=True) if len(short) else problems(findings)
    return problems(findings)


def _official_checksums(paths: pd.Series, folder: Path, lists: Path, kind: str) -> list[tuple]:
    """Findings for ``kind``'s tarballs in ``folder`` and the unpacked ``paths`` (when listed)."""
    tars = _checksum_list(lists / f"{SUBSET}_{kind}_sha256_tars.txt")
    tracks = _checksum_list(lists / f"{SUBSET}_{kind}_sha256_tracks.txt")
    files = [str(Path(p).relative_to(folder)) for p in paths if isinstance(p, str)]
    return _mismatches(folder, tars, tars) + _mismatches(folder, tracks, files)


@register("mtg_jamendo_moodtheme", folder=FOLDER,
          description="MTG-Jamendo mood/theme subset: 18,486 tracks, 56 MediaEval tags")
def load(data_home, split_index: int = 0, audio_dir=None, melspec_dir=None) -> MERDataset:
    """Load the MTG-Jamendo mood/theme subset.

    Args:
        data_home: Folder of the real datasets (holds ``mtg-jamendo/``).
        split_index: Official split (0–4; 0 is MediaEval's).
        audio_dir: Unpacked official audio (``NN/<id>.low.mp3`` or ``NN/<id>.mp3``); default
            ``mtg-jamendo/audio-low`` or ``mtg-jamendo/audio`` if present.
        melspec_dir: Unpacked official mel-spectrograms (``NN/<id>.npy``); default
            ``mtg-jamendo/melspecs`` if present.

    Raises:
        DatasetError: Missing, header-only or truncated files, a malformed TSV, a tag outside the taxonomy.
    """
    root = Path(data_home) / FOLDER
    data = data_folder(data_home)
    source = data / f"{SUBSET}.tsv"
    table = read_tsv(source)
    tag_file = data / "tags" / "moodtheme.txt"
    taxonomy = {_strip(t, tag_file) for t in read_lines(tag_file, official_file(tag_file))}
    check_taxonomy((t for tags in table["all_tags"] for t in tags), taxonomy, source, "tag")
    kept = split_tags(data_home)
    check_taxonomy(kept, taxonomy, data / "tags" / "moodtheme_split.txt", "tag")
    kept_set = set(kept)
    table["tags"] = [[t for t in tags if t in kept_set] for tags in table["all_tags"]]
    table.insert(1, "split", _splits(table, data_home, split_index, kept_set))
    folders = {
        "audio_path": user_folder(audio_dir, "audio_dir") or first_existing(root / f for f in AUDIO_FOLDERS),
        "melspec_path": user_folder(melspec_dir, "melspec_dir") or first_existing([root / MELSPEC_FOLDER]),
    }
    folders = {column: folder for column, folder in folders.items() if folder is not None}
    for column, folder in folders.items():
        table[column] = _media_paths(table["path"], folder, MEDIA[column][0])
    return MERDataset(name="mtg_jamendo_moodtheme", table=table, root=root, bibtex=BIBTEX,
                      license_text=LICENSE, notes=NOTES, extra_checks=partial(_extra_checks, folders=folders))


def download(data_home=None) -> Path:
    """Download the mood/theme metadata from the official repository (checksums verified).

    The audio and mel-spectrograms (46–152 GB) are not fetched: use the official
    ``scripts/download/download.py --dataset autotagging_moodtheme --type audio-low --unpack``
    into ``<data_home>/mtg-jamendo/audio-low``.

    Returns:
        The dataset folder (``<data_home>/mtg-jamendo``).
    """
    root = dataset_root(data_home, FOLDER)
    fetch_all(REPOSITORY_URL, METADATA_SHA256, root)
    return root
