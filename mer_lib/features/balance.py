"""Quadrant balancing of the training split: duplicate or remove clips to a fixed count per quadrant.

Only training rows change; validation and test rows are returned untouched, so a balanced
table never leaks a clip across splits. A duplicate keeps every column of its original and
gets a new ``track_id`` (``<original>#dup<k>``), with ``source_track_id`` naming the original
and ``duplicate`` its copy number (0 for originals), so the caller can augment duplicates
(e.g. :func:`mer_lib.features.wordnet.replace_synonyms` on their lyrics, seeded by ``duplicate``).

Reference: mmer_analysis project, "Data Augmentation" (duplicate under-represented quadrants and
remove random clips of over-represented ones until each has 3000).
Notebook: the ``mmer_analysis`` notebook.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mer_lib.data.base import QUADRANTS


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
