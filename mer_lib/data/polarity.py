"""Polarity labels of a dataset's table: its own ``polarity`` column, or its mood clusters
read through a cluster → polarity map (MIREX-like data; the paper's ``POLARITY_MAP``).

Notebooks: ``01_jeon2017_end_to_end_polarity``, ``06_benchmark_common_data``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd

from mer_lib.data.tables import CLUSTERS, POLARITIES


def check_polarity_map(polarity_map: Mapping, clusters: Sequence[int] = CLUSTERS) -> dict[int, str]:
    """A cluster → polarity map with int keys, checked.

    Raises:
        ValueError: A key that is not one of ``clusters``, or a value other than
            ``"positive"``/``"negative"`` (naming it).
    """
    checked = {}
    for key, value in dict(polarity_map).items():
        try:
            cluster = int(key)
        except (TypeError, ValueError):
            cluster = None
        if cluster not in clusters:
            raise ValueError(f"POLARITY_MAP: unknown cluster {key!r}; the dataset's clusters are {list(clusters)}")
        if value not in POLARITIES:
            raise ValueError(f"POLARITY_MAP: cluster {key!r} maps to {value!r}; use one of {sorted(POLARITIES)}")
        checked[cluster] = value
    if len(set(checked.values())) < 2:
        raise ValueError(f"POLARITY_MAP must give both polarities, got {checked}")
    return checked


def polarity_labels(table: pd.DataFrame, polarity_map: Mapping | None = None) -> pd.Series:
    """Polarity per clip: ``"positive"``, ``"negative"`` or NaN (no label: left out).

    With a non-empty ``polarity_map`` it is read from the ``cluster`` column (clusters absent
    from the map get NaN: the stricter variants drop them, as the paper drops ambiguous
    tracks); otherwise the table's own ``polarity`` column is used.

    Raises:
        ValueError: A bad map (see :func:`check_polarity_map`), or a table with neither a
            ``polarity`` column nor (with a map) a ``cluster`` column.
    """
    if polarity_map:
        if "cluster" not in table.columns:
            raise ValueError("POLARITY_MAP needs a 'cluster' column, which this dataset lacks; "
                             "use POLARITY_MAP: {} to read its 'polarity' column")
        clusters = sorted(int(c) for c in table["cluster"].dropna().unique())
        mapping = check_polarity_map(polarity_map, clusters)
        return table["cluster"].map(lambda c: mapping.get(int(c)) if pd.notna(c) else None).rename("polarity")
    if "polarity" not in table.columns or table["polarity"].isna().all():
        raise ValueError("the dataset has no 'polarity' column: give POLARITY_MAP (cluster → polarity)")
    bad = set(table["polarity"].dropna()) - set(POLARITIES)
    if bad:
        raise ValueError(f"unknown polarity values {sorted(bad)}; expected {sorted(POLARITIES)}")
    return table["polarity"].copy()
