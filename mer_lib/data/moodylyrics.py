"""``moodylyrics`` and ``moodylyrics4q``: MoodyLyrics (2,595 songs) and MoodyLyrics4Q (2,000).

Layout read (under ``<data_home>/moodylyrics/``; both files are latin-1)::

    MoodyLyrics.csv       Index, Artist, Song, Emotion     (2,595 songs: happy 819, sad 604,
                                                            relaxed 597, angry 575)
    MoodyLyrics4Q.csv     Index, Artist, Title, Mood       (2,000 songs, 500 per mood)
    audio/<Index>.<ext>, lyrics/<Index>.txt   (optional) your own audio and lyrics

Labels: ``mood`` (``happy``/``angry``/``sad``/``relaxed``, lower-cased) and its Russell
quadrant ``quadrant``: happy → Q1, angry → Q2, sad → Q3, relaxed → Q4. Any other mood raises
DatasetError naming the file and the value. ``track_id`` is the file's ``Index`` (``ML1`` ...;
the two files number their songs independently).

Split: none is distributed. The loader draws the one zhao2022 describes: stratified by
quadrant, 70/10/20 (train/validation/test), seeded (``seed=0`` by default, numpy PCG64, so the
same seed gives the same split on every machine). No lyrics are distributed (copyright).

Checks: a file that starts like the distributed one must have its row count (:data:`OFFICIAL`:
2,595 and 2,000) and end with a line break; a header-only file or a cut last line raises
DatasetError naming the file.

Notebook: ``00_primer``
"""

from __future__ import annotations

from pathlib import Path

from mer_lib.data import register
from mer_lib.data.base import MERDataset
from mer_lib.data.download import manual_download
from mer_lib.data.tables import (OfficialFile, add_user_files, check_taxonomy, first_existing, read_csv,
                                 stratified_split)

FOLDER = "moodylyrics"
MOOD_QUADRANT = {"happy": "Q1", "angry": "Q2", "sad": "Q3", "relaxed": "Q4"}
SPLIT_FRACTIONS = (0.7, 0.1, 0.2)
#: file, and its (artist, title, mood) columns
FILES = {
    "moodylyrics": ("MoodyLyrics.csv", ("Artist", "Song", "Emotion")),
    "moodylyrics4q": ("MoodyLyrics4Q.csv", ("Artist", "Title", "Mood")),
}
#: Row counts of the distributed files (measured) and the fingerprint of their first record: a
#: file that starts so must have exactly these rows.
OFFICIAL = {
    "MoodyLyrics.csv": OfficialFile(rows=2595, first="773edc8243b0e490"),
    "MoodyLyrics4Q.csv": OfficialFile(rows=2000, first="8120f184fed13a4e"),
}

BIBTEX = """@inproceedings{cano2017moodylyrics,
  author    = {{\\c{C}}ano, Erion and Morisio, Maurizio},
  title     = {{MoodyLyrics}: A Sentiment Annotated Lyrics Dataset},
  booktitle = {Proc. International Conference on Intelligent Systems, Metaheuristics \\& Swarm Intelligence (ISMSI)},
  pages     = {118--124},
  year      = {2017},
  doi       = {10.1145/3059336.3059340}
}"""
LICENSE = "Research use (Çano & Morisio 2017); lyrics are not distributed (copyright)."
NOTES = ("mood happy/angry/sad/relaxed -> quadrant Q1/Q2/Q3/Q4; split: seeded stratified 70/10/20 "
         "drawn by the loader (as zhao2022), seed={seed}")


def _load(name: str, data_home, seed: int, audio_dir, lyrics_dir) -> MERDataset:
    root = Path(data_home) / FOLDER
    file_name, (artist, title, mood) = FILES[name]
    source = root / file_name
    frame = read_csv(source, required=("Index", artist, title, mood), official=OFFICIAL[file_name],
                     encoding="latin-1", dtype=str, keep_default_na=False)
    moods = frame[mood].str.strip().str.lower()
    check_taxonomy(moods, MOOD_QUADRANT, source, mood)
    table = frame[["Index"]].rename(columns={"Index": "track_id"})
    table["track_id"] = table["track_id"].str.strip()
    table["quadrant"] = moods.map(MOOD_QUADRANT)
    table.insert(1, "split", stratified_split(table["quadrant"], SPLIT_FRACTIONS, seed))
    table["mood"] = moods
    table["title"] = frame[title].str.strip()
    table["artist"] = frame[artist].str.strip()
    table = add_user_files(table, table["track_id"], audio_dir or first_existing([root / "audio"]),
                           lyrics_dir or first_existing([root / "lyrics"]))
    return MERDataset(name=name, table=table, root=root, bibtex=BIBTEX, license_text=LICENSE,
                      notes=NOTES.format(seed=seed))


@register("moodylyrics", folder=FOLDER, description="MoodyLyrics: 2,595 songs, title/artist, 4 moods")
def load(data_home, seed: int = 0, audio_dir=None, lyrics_dir=None) -> MERDataset:
    """Load MoodyLyrics (2,595 songs).

    Args:
        data_home: Folder of the real datasets (holds ``moodylyrics/``).
        seed: Seed of the stratified 70/10/20 split.
        audio_dir: Your audio, ``<Index>.<ext>``; default ``moodylyrics/audio`` if present.
        lyrics_dir: Your lyrics, ``<Index>.txt``; default ``moodylyrics/lyrics`` if present.
    """
    return _load("moodylyrics", data_home, seed, audio_dir, lyrics_dir)


@register("moodylyrics4q", folder=FOLDER, description="MoodyLyrics4Q: 2,000 songs, 500 per quadrant")
def load_4q(data_home, seed: int = 0, audio_dir=None, lyrics_dir=None) -> MERDataset:
    """Load MoodyLyrics4Q (2,000 songs, balanced); arguments as :func:`load`."""
    return _load("moodylyrics4q", data_home, seed, audio_dir, lyrics_dir)


def download(data_home=None) -> None:
    """MoodyLyrics has no stable public download: raises DatasetError with the steps."""
    manual_download("MoodyLyrics", (
        "Request MoodyLyrics / MoodyLyrics4Q from the authors (Erion Çano, see the ISMSI 2017 paper) and "
        "put MoodyLyrics.csv and MoodyLyrics4Q.csv (latin-1, as distributed) in <data_home>/moodylyrics/."))
