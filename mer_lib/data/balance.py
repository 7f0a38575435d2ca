"""Class balancing of a table: quadrants of the training split to a fixed count, or classes downsampled.

:func:`balance_quadrants` duplicates or removes training clips to a fixed count per quadrant.

Only training rows change; validation and test rows are returned untouched, so a balanced
table never leaks a clip across splits. A duplicate keeps every column of its original and
gets a new ``track_id`` (``<original>#dup<k>``), with ``source_track_id`` naming the original
and ``duplicate`` its copy number (0 for originals), so the caller can augment duplicates
(e.g. :func:`mer_lib.features.wordnet.replace_synonyms` on their lyrics, seeded by ``duplicate``).

Reference: mmer_analysis project, "Data Augmentation" (duplicate under-represented quadrants and
remove random clips of over-represented ones until each has 3000).
Notebook: ``05_mmer_analysis_unimodal_fusion`` (:func:`balance_quadrants`),
``01_jeon2017_end_to_end_polarity`` (:func:`balance_classes`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mer_lib.metrics import QUADRANTS


def balance_quadrants(table, per_quadrant: int, seed: int = 0, split: str = "train",
                      label: str = "quadrant") -> pd.DataFrame:
    """Resample the ``split`` rows of ``table`` to exactly ``per_quadrant`` clips per quadrant.

    Quadrants with more clips lose randomly chosen ones; quadrants with fewer keep all and add
    duplicates drawn at random (every original is used as evenly as possible: each round of
    duplicates cycles through a fresh permutation).

    Args:
        table: A dataset table (or a :class:`~mer_lib.data.MERDataset`).
        per_quadrant: Clips per quadrant after balancing (3000 in mmer_analysis).
        seed: Seed of the removals and duplications.
        split: The split to balance; other rows are kept as they are.
        label: Column with the quadrant labels.

    Returns:
        A new table: the balanced ``split`` rows first, then the other rows unchanged.

    Raises:
        ValueError: If ``per_quadrant < 1``, the label column is missing, or a quadrant has
            no clip in ``split`` (it cannot be balanced by duplication).
    """
    table = table.table if hasattr(table, "table") else table
    if per_quadrant < 1:
        raise ValueError(f"per_quadrant must be at least 1, got {per_quadrant}")
    if label not in table.columns:
        raise ValueError(f"cannot balance: the table has no {label!r} column")
    rng = np.random.default_rng(seed)
    chosen = table[table["split"] == split]
    others = table[table["split"] != split]
    pieces = []
    for quadrant in QUADRANTS:
        rows = chosen[chosen[label] == quadrant]
        if rows.empty:
            raise ValueError(f"cannot balance: no {split!r} clip in quadrant {quadrant}")
        pieces.append(_resample(rows, per_quadrant, rng))
    balanced = pd.concat(pieces, ignore_index=True)
    others = others.assign(source_track_id=others["track_id"], duplicate=0)
    return pd.concat([balanced, others], ignore_index=True)


def _resample(rows: pd.DataFrame, size: int, rng: np.random.Generator) -> pd.DataFrame:
    n = len(rows)
    if n >= size:
        picked = rows.iloc[np.sort(rng.choice(n, size=size, replace=False))]
        return picked.assign(source_track_id=picked["track_id"], duplicate=0)
    rounds = [np.arange(n)] + [rng.permutation(n) for _ in range(-(-(size - n) // n))]
    order = np.concatenate(rounds)[:size]
    copy = np.concatenate([np.full(n, k) for k in range(len(rounds))])[:size]
    out = rows.iloc[order].assign(source_track_id=rows["track_id"].to_numpy()[order], duplicate=copy)
    out["track_id"] = [t if k == 0 else f"{t}#dup{k}" for t, k in zip(out["source_track_id"], copy)]
    return out


def balance_classes(table: pd.DataFrame, column: str = "polarity", seed: int = 0) -> pd.DataFrame:
    """Randomly downsample every class to the smallest class's size (seeded; table order kept).

    Raises:
        ValueError: The column is missing or holds fewer than two classes.
    """
    if column not in table.columns:
        raise ValueError(f"cannot balance: the table has no {column!r} column")
    sizes = table[column].value_counts()
    if len(sizes) < 2:
        raise ValueError(f"cannot balance {column!r}: need two classes, got {sizes.to_dict()}")
    rng = np.random.default_rng(seed)
    keep = []
    for label in sorted(sizes.index):
        rows = np.flatnonzero(table[column].to_numpy() == label)
        keep.extend(rng.choice(rows, size=sizes.min(), replace=False))
    return table.iloc[np.sort(keep)]
