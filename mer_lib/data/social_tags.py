"""``social_tags``: the social-tag valence/arousal dataset of the mmer_analysis project (9,654 songs).

Layout read (under ``<data_home>/social-tags/``)::

    annotations.json   {deezer id: {"valence": v, "arousal": a,
                                    "emotion_tags": [[tag, count], ...]}}
    data_info.json     {deezer id: {"msd_id", "song_meanings_id", "artist_name", "song_title"}}
    audio/<deezer id>.<ext>, lyrics/<deezer id>.txt   (optional) your own audio and lyrics

Label scales: ``valence``/``arousal`` in the files are on [0, 1] (0.5 neutral); the table
rescales them to [-1, 1] (``2x - 1``) like every V/A column of the study and keeps the given
values in ``valence_raw``/``arousal_raw``. ``emotion_tags`` is ``{tag: count}`` (how many
listeners' social tags map to that emotion); ``tags`` lists those emotions, most counted first.
Tags come from a 27-emotion vocabulary (:data:`EMOTION_TAGS`); another raises DatasetError.

Split: none is distributed (the project only says train/validation/test). The loader draws a
seeded split stratified by the V/A quadrant, 70/15/15 (``seed=0``, numpy PCG64).
Lyrics and listener comments are not available.

Checks: a JSON file whose first entry is the distributed one's must have its 9,654 entries
(:data:`OFFICIAL`); an empty object, or an empty or NaN (``null``) valence/arousal, raises
DatasetError naming the file (and the songs).

Notebook: ``00_primer``
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mer_lib.data import register
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.data.download import manual_download
from mer_lib.data.tables import (OfficialFile, add_user_files, check_taxonomy, first_existing, quadrant_of,
                                 read_json, stratified_split, va_columns)

FOLDER = "social-tags"
SCALE = (0.0, 1.0)
SPLIT_FRACTIONS = (0.7, 0.15, 0.15)
EMOTION_TAGS = (
    "aggressiveness", "amusement", "anger", "annoyance", "anxiety", "bittersweet", "boredom", "calmness",
    "cheerfulness", "comfort", "confidence", "contemplation", "depression", "desperation", "dreamy", "erotic",
    "excitement", "fear", "grief", "happiness", "insecurity", "loneliness", "nostalgia", "optimism",
    "pessimism", "romanticism", "sadness",
)
#: Entry counts of the distributed files (measured) and the fingerprint of their first key.
OFFICIAL = {
    "annotations.json": OfficialFile(rows=9654, first="94646450b4486812"),
    "data_info.json": OfficialFile(rows=9654, first="94646450b4486812"),
}
INFO_FIELDS = {"msd_id": "msd_track_id", "song_meanings_id": "song_meanings_id",
               "song_title": "title", "artist_name": "artist"}

BIBTEX = """@misc{mmer_analysis_social_tags,
  title  = {Analysis of multimodal Music Emotion Recognition: a social-tag valence/arousal dataset},
  note   = {Songs of the Deezer Mood Detection Dataset / Million Song Dataset annotated from listeners' social tags},
  year   = {2021}
}"""
LICENSE = "Research use only; lyrics and comments are not redistributed (copyright)."
NOTES = ("valence/arousal: given [0, 1] rescaled to [-1, 1] (2x-1), valence_raw/arousal_raw as given; "
         "emotion_tags {{tag: count}}; tags: emotions by count; split: seeded quadrant-stratified 70/15/15, "
         "seed={seed}")


def _annotations(source: Path) -> pd.DataFrame:
    records = read_json(source, OFFICIAL.get(source.name))
    if not isinstance(records, dict):
        raise DatasetError(f"{source}: expected an object {{deezer id: annotation}}")
    rows = []
    for song, record in records.items():
        if not isinstance(record, dict) or not {"valence", "arousal", "emotion_tags"} <= set(record):
            raise DatasetError(f"{source}: song {song!r} lacks valence, arousal or emotion_tags")
        counts = {str(tag): int(count) for tag, count in record["emotion_tags"]}
        check_taxonomy(counts, EMOTION_TAGS, source, "emotion tag")
        rows.append((str(song), record["valence"], record["arousal"], counts,
                     sorted(counts, key=lambda t: (-counts[t], t))))
    return pd.DataFrame(rows, columns=["track_id", "valence", "arousal", "emotion_tags", "tags"])


def _info(source: Path, track_ids: pd.Series) -> pd.DataFrame:
    info = read_json(source, OFFICIAL.get(source.name))
    missing = [t for t in track_ids if t not in info]
    if missing:
        raise DatasetError(f"{source}: no entry for annotated song {missing[0]!r}")
    rows = [{column: info[t].get(field) for field, column in INFO_FIELDS.items()} for t in track_ids]
    return pd.DataFrame(rows, index=track_ids.index)


@register("social_tags", folder=FOLDER, description="social-tag V/A dataset: 9,654 songs, emotion-tag counts")
def load(data_home, seed: int = 0, audio_dir=None, lyrics_dir=None) -> MERDataset:
    """Load the social-tag V/A dataset.

    Args:
        data_home: Folder of the real datasets (holds ``social-tags/``).
        seed: Seed of the quadrant-stratified 70/15/15 split.
        audio_dir: Your audio, ``<deezer id>.<ext>``; default ``social-tags/audio`` if present.
        lyrics_dir: Your lyrics, ``<deezer id>.txt``; default ``social-tags/lyrics`` if present.

    Raises:
        DatasetError: Missing/malformed/empty/incomplete files, V/A outside [0, 1] or missing,
            an unknown emotion tag.
    """
    root = Path(data_home) / FOLDER
    source = root / "annotations.json"
    annotations = _annotations(source)
    scaled = va_columns(annotations, source, SCALE, mean="{}", std=None, rows=annotations["track_id"])
    table = pd.concat([annotations[["track_id"]], scaled, _info(root / "data_info.json", annotations["track_id"]),
                       annotations[["emotion_tags", "tags"]]], axis=1)
    table.insert(1, "split", stratified_split(quadrant_of(table["valence"], table["arousal"]),
                                              SPLIT_FRACTIONS, seed))
    table = add_user_files(table, table["track_id"], audio_dir or first_existing([root / "audio"]),
                           lyrics_dir or first_existing([root / "lyrics"]))
    return MERDataset(name="social_tags", table=table, root=root, bibtex=BIBTEX, license_text=LICENSE,
                      notes=NOTES.format(seed=seed))


def download(data_home=None) -> None:
    """The social-tag dataset is not publicly hosted: raises DatasetError with the steps."""
    manual_download("The social-tag V/A dataset", (
        "Obtain annotations.json and data_info.json from the mmer_analysis project's authors and put them "
        "in <data_home>/social-tags/."))
