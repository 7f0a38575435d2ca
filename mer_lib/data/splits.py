"""A dataset's table cut into the arrays a comparison trains on: splits, targets, usable clips.

A comparison's arrays are laid out per split (``{split: ...}`` over :data:`SPLITS`); targets
follow the layout of :class:`mer_lib.losses.MultiTaskLoss` (regression columns, then a
class index). :func:`usable_clips` keeps the clips that have everything a comparison reads;
:func:`fresh_split` draws a new balanced, stratified split per seed (for datasets with no
official split, or papers that average random splits), artist-disjoint when the table has artists.

Notebook: ``01_jeon2017_end_to_end_polarity``, ``03_zhao2023_multifaceted_piano``,
``04_zhao2022_hierarchical_attention``, ``05_mmer_analysis_unimodal_fusion``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from mer_lib.data.balance import balance_classes
from mer_lib.data.base import SPLITS
from mer_lib.data.tables import artist_groups, group_stratified_split, stratified_split

#: Table columns a feature extractor can read a modality from (any one suffices: audio
#: features can be computed from a MIDI rendering).
FEATURE_SOURCES = {"audio": ("audio_path", "midi_path"), "lyrics": ("lyrics", "lyrics_path"),
                   "context": ("title", "artist"), "comments": ("comments",), "midi": ("midi_path",)}


def readable_modalities(modalities: Sequence[str]) -> tuple[str, ...]:
    """The modalities the rows can read from a dataset that has ``modalities``: audio too where it has MIDI.

    A clip without an audio file is heard through its MIDI rendered with a SoundFont (the audio
    fallback of :data:`mer_lib.features.pipeline.SOURCE_READERS`, cached; :data:`FEATURE_SOURCES`):
    that is how EMOPIA, whose recordings are not redistributed, feeds the acoustic rows.
    """
    return tuple(dict.fromkeys([*modalities, *(["audio"] if "midi" in modalities else [])]))


def split_ids(table: pd.DataFrame) -> dict[str, list[str]]:
    """``{split: [track_id, ...]}`` in table order."""
    return {s: table.loc[table["split"] == s, "track_id"].astype(str).tolist() for s in SPLITS}


def stack_split(features: Mapping[str, np.ndarray], ids: Mapping[str, Sequence[str]]) -> dict[str, np.ndarray]:
    """``{split: array (clips, ...)}`` of equally shaped per-clip features."""
    return {s: np.stack([features[t] for t in tids]) for s, tids in ids.items()}


def target_arrays(table: pd.DataFrame, regression_targets: Sequence[str], class_target: str = "",
                  classes: Sequence | None = None) -> dict[str, np.ndarray]:
    """``{split: (clips, k)}`` float32 targets in the layout of :class:`mer_lib.losses.MultiTaskLoss`:
    the regression columns, then (with ``class_target``) the class index in ``classes``."""
    out = {}
    for split in SPLITS:
        part = table[table["split"] == split]
        columns = [part[t].astype(float).to_numpy() for t in regression_targets]
        if class_target:
            index = {c: i for i, c in enumerate(classes)}
            columns.append(part[class_target].map(index).to_numpy(dtype=float))
        out[split] = np.stack(columns, axis=1).astype(np.float32)
    return out


def usable_clips(table: pd.DataFrame, modalities: Sequence[str], targets: Sequence[str]):
    """The clips that have every modality and target a comparison needs, and a count per split.

    A clip lacking one is left out of the whole comparison (every model sees the same clips);
    a modality counts as present when any of its :data:`FEATURE_SOURCES` columns is non-empty.

    Returns:
        ``(kept rows, counts)``; ``counts`` is indexed by split with the columns ``clips``,
        ``kept`` and ``without_<modality or target>`` (clips lacking it).
    """
    lacking = {}
    for modality in modalities:
        columns = [c for c in FEATURE_SOURCES[modality] if c in table.columns]
        present = table[columns].apply(lambda col: col.notna() & col.astype(str).str.strip().ne("")).any(axis=1)
        lacking[f"without_{modality}"] = ~present
    for target in targets:
        lacking[f"without_{target}"] = table[target].isna()
    lacking = pd.DataFrame(lacking, index=table.index)
    keep = ~lacking.any(axis=1)
    counts = pd.concat([table["split"].rename("split"), lacking, keep.rename("kept")], axis=1)
    counts = counts.groupby("split").sum().reindex(list(SPLITS)).fillna(0).astype(int)
    counts.insert(0, "clips", table["split"].value_counts().reindex(list(SPLITS)).fillna(0).astype(int))
    return table[keep], counts


def fresh_split(table: pd.DataFrame, label: str, seed: int, fractions: Sequence[float] = (0.7, 0.1, 0.2),
                balance: bool = True) -> pd.DataFrame:
    """One run's data: the clips class-balanced on ``label`` (optional), then a new split.

    Balancing comes first, on the whole table (:func:`mer_lib.data.balance.balance_classes`),
    then the split is drawn stratified on ``label``; both use ``seed``. When the table has an
    ``artist`` column the split is artist-disjoint (:func:`mer_lib.data.tables.group_stratified_split`
    over :func:`mer_lib.data.tables.artist_groups`): a model is never tested on an artist it was
    trained on. The table's own ``split`` column, if any, is replaced.
    """
    table = balance_classes(table, label, seed) if balance else table
    if "artist" in table.columns and table["artist"].notna().any():
        split = group_stratified_split(table[label], artist_groups(table["artist"]), tuple(fractions), seed)
    else:
        split = stratified_split(table[label], tuple(fractions), seed)
    return table.assign(split=split)
