"""``mirex_mm``: a multimodal (audio + lyrics + MIDI) mood dataset in the MIREX 5-cluster taxonomy.

903 clips (Panda et al., CMMR 2013). Layout read (under ``<data_home>/mirex-mm/``)::

    metadata.csv        song_id (001..903), cluster (1-5), mood (adjective), title, artist,
                        album, year, has_lyrics (0/1), has_midi (0/1)
    audio/NNN.opus      903 clips of 30 s (mono, 32 kbps Opus; soundfile/librosa read them)
    lyrics/NNN.txt      764 lyrics (copyrighted: never print or commit them)
    midi/NNN.mid        196 MIDI files
    split/{train,validation,test}.txt   (optional) a fixed split, one song_id a line

Labels: ``cluster`` is an int 1–5 (MIREX mood clusters); ``mood`` the adjective as given.
The clusters and their adjectives (:data:`CLUSTER_MOODS`): 1 passionate, rousing, confident,
boisterous, rowdy; 2 rollicking, cheerful, fun, sweet, amiable/good-natured; 3 literate,
poignant, wistful, bittersweet, autumnal, brooding; 4 humorous, silly, campy, quirky, whimsical,
witty, wry; 5 aggressive, fiery, tense/anxious, intense, volatile, visceral. A cluster outside
1–5, or an adjective not of its cluster, raises DatasetError naming the file and the value.

Modalities: ``audio_path`` for every clip; ``lyrics_path`` where ``has_lyrics`` (text is read
lazily: use the path); ``midi_path`` where ``has_midi``. ``validate()`` also reports files in
``lyrics/`` or ``midi/`` that the metadata does not flag.

Split: ``split/`` lists when present; otherwise one drawn by the loader itself, 70/10/20 with
numpy's PCG64 from ``seed`` (default 0) over the clips in ``song_id`` order: deterministic, the
same on every machine for the same seed. By default it is **artist-disjoint** (``split_by="artist"``:
663 artists for 903 songs, some with up to 8; no artist has songs in two splits, so a model cannot
score by recognising an artist it trained on), stratified by cluster as far as the artists allow
(:func:`mer_lib.data.tables.group_stratified_split`; artists compared case-insensitively, a song
without an artist is its own group). ``split_by="song"`` draws the earlier split, stratified by
cluster song by song.

Checks: a ``metadata.csv`` that starts like the distributed one must have its 903 rows
(:data:`OFFICIAL`) and end with a line break; a header-only file or a cut last line raises
DatasetError naming the file. ``validate(deep=True)`` also reports audio much shorter than the
dataset's 30-s clips (:data:`CLIP_SECONDS`; the distributed clips last 26.7–30.0 s).

Notebook: ``00_primer``
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from mer_lib.data import register
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.data.download import manual_download
from mer_lib.data.checks import short_audio
from mer_lib.data.tables import (LYRICS_EXTENSIONS, MIDI_EXTENSIONS, OfficialFile, artist_groups, check_taxonomy,
                                 group_stratified_split, read_csv, read_split_folder, stratified_split,
                                 unlisted_files)

FOLDER = "mirex-mm"
SPLIT_FRACTIONS = (0.7, 0.1, 0.2)
#: How the loader's own split groups the songs (``split_by``).
SPLIT_BY = ("artist", "song")
COLUMNS = ("song_id", "cluster", "mood", "title", "artist", "has_lyrics", "has_midi")
CLUSTER_MOODS = {
    1: ("passionate", "rousing", "confident", "boisterous", "rowdy"),
    2: ("rollicking", "cheerful", "fun", "sweet", "amiable-good natured"),
    3: ("literate", "poignant", "wistful", "bittersweet", "autumnal", "brooding"),
    4: ("humorous", "silly", "campy", "quirky", "whimsical", "witty", "wry"),
    5: ("aggressive", "fiery", "tense-anxious", "intense", "volatile", "visceral"),
}
#: Row count of the distributed ``metadata.csv`` (measured) and the fingerprint of its first record.
OFFICIAL = {"metadata.csv": OfficialFile(rows=903, first="e01cf6c52d5513b9")}
#: Nominal length of the audio clips; ``validate(deep=True)`` reports clips under 80 % of it.
CLIP_SECONDS = 30.0
#: Spellings found in the distributed metadata.
MOOD_ALIASES = {"agressive": "aggressive", "amiable": "amiable-good natured"}

BIBTEX = """@inproceedings{panda2013multimodal,
  author    = {Panda, Renato and Malheiro, Ricardo and Rocha, Bruno and Oliveira, Ant{\\'o}nio and Paiva, Rui Pedro},
  title     = {Multi-Modal Music Emotion Recognition: A New Dataset, Methodology and Comparative Analysis},
  booktitle = {Proc. 10th International Symposium on Computer Music Multidisciplinary Research (CMMR)},
  year      = {2013}
}"""
LICENSE = ("Copyrighted audio and lyrics, research use only: never commit any of it, never print "
           "lyrics in a report.")
NOTES = ("cluster: MIREX mood cluster 1-5; mood: the adjective as given; lyrics via lyrics_path (lazy); "
         "split: {split}")


def canonical_mood(mood: str) -> str:
    """Lower-case adjective with ``-`` unspaced and known misspellings fixed (``Tense - Anxious``)."""
    text = re.sub(r"\s*-\s*", "-", str(mood).strip().lower())
    return MOOD_ALIASES.get(text, text)


def _check_moods(meta: pd.DataFrame, source: Path) -> None:
    for cluster, mood in zip(meta["cluster"], meta["mood"]):
        if canonical_mood(mood) not in CLUSTER_MOODS[cluster]:
            raise DatasetError(f"{source}: mood {mood!r} is not an adjective of cluster {cluster} "
                               f"{list(CLUSTER_MOODS[cluster])}")


def _metadata(root: Path) -> pd.DataFrame:
    source = root / "metadata.csv"
    meta = read_csv(source, required=COLUMNS, official=OFFICIAL["metadata.csv"], dtype=str,
                    keep_default_na=False, na_values=[""])
    meta["song_id"] = meta["song_id"].str.strip()
    check_taxonomy(meta["cluster"], [str(c) for c in CLUSTER_MOODS], source, "cluster")
    meta["cluster"] = meta["cluster"].astype(int)
    _check_moods(meta, source)
    for flag in ("has_lyrics", "has_midi"):
        check_taxonomy(meta[flag], ("0", "1"), source, flag)
        meta[flag] = meta[flag] == "1"
    if "year" in meta.columns:
        meta["year"] = pd.to_numeric(meta["year"], errors="coerce").astype("Int64")
    return meta


def _paths(root: Path, folder: str, ext: str, song_ids: pd.Series, present: pd.Series | None = None) -> list:
    present = [True] * len(song_ids) if present is None else present
    return [str(root / folder / f"{s}{ext}") if has else None for s, has in zip(song_ids, present)]


def _extra_checks(dataset: MERDataset, deep: bool) -> pd.DataFrame:
    """Lyrics/MIDI files present but not flagged in ``metadata.csv``; with ``deep``, audio much
    shorter than the dataset's clips (a truncated Opus file has no header length to compare with)."""
    found = [unlisted_files(dataset.root / "lyrics", LYRICS_EXTENSIONS, dataset.table["lyrics_path"], "lyrics file"),
             unlisted_files(dataset.root / "midi", MIDI_EXTENSIONS, dataset.table["midi_path"], "MIDI file")]
    if deep:
        found.append(short_audio(dataset.table, CLIP_SECONDS, "the dataset's clips last"))
    return pd.concat(found, ignore_index=True)


def drawn_split(meta: pd.DataFrame, seed: int, split_by: str):
    """The loader's own 70/10/20 split (see the module docstring)."""
    if split_by not in SPLIT_BY:
        raise DatasetError(f"mirex_mm: split_by={split_by!r}: use one of {SPLIT_BY}")
    if split_by == "song":
        return stratified_split(meta["cluster"], SPLIT_FRACTIONS, seed)
    return group_stratified_split(meta["cluster"], artist_groups(meta["artist"]), SPLIT_FRACTIONS, seed)


@register("mirex_mm", folder=FOLDER, description="MIREX-like multimodal: 903 clips, audio+lyrics+MIDI, 5 clusters")
def load(data_home, seed: int = 0, split_by: str = "artist") -> MERDataset:
    """Load the multimodal MIREX-cluster dataset (no audio/MIDI/lyrics is opened here).

    Args:
        data_home: Folder of the real datasets (holds ``mirex-mm/``).
        seed: Seed of the loader's own split (ignored when ``split/`` exists).
        split_by: ``"artist"`` (no artist in two splits) or ``"song"`` (ignored when ``split/`` exists).

    Raises:
        DatasetError: Missing, header-only or truncated file, missing column, a cluster outside 1–5,
            a mood outside its cluster, an unknown ``split_by``.
    """
    root = Path(data_home) / FOLDER
    meta = _metadata(root)
    ids = meta["song_id"]
    table = pd.DataFrame({"track_id": ids})
    listed = read_split_folder(root / "split", ids)
    table["split"] = listed if listed is not None else drawn_split(meta, seed, split_by)
    table["audio_path"] = _paths(root, "audio", ".opus", ids)
    table["lyrics_path"] = _paths(root, "lyrics", ".txt", ids, meta["has_lyrics"])
    table["midi_path"] = _paths(root, "midi", ".mid", ids, meta["has_midi"])
    for column in ("cluster", "mood", "title", "artist", "album", "year"):
        if column in meta.columns:
            table[column] = meta[column]
    split = ("split/ lists" if listed is not None
             else f"seeded cluster-stratified 70/10/20 by {split_by}, seed={seed}")
    return MERDataset(name="mirex_mm", table=table, root=root, bibtex=BIBTEX, license_text=LICENSE,
                      notes=NOTES.format(split=split), extra_checks=_extra_checks)


def download(data_home=None) -> None:
    """The dataset's audio and lyrics are copyrighted: raises DatasetError with the steps."""
    manual_download("mirex_mm", (
        "Obtain the dataset from its authors (Panda et al., CMMR 2013; MIREX-like multimodal mood dataset) "
        "and lay it out as <data_home>/mirex-mm/{metadata.csv,audio/NNN.opus,lyrics/NNN.txt,midi/NNN.mid}."))
