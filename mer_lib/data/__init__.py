"""Datasets: one module per dataset, one registry, one contract (:class:`MERDataset`).

Usage::

    from mer_lib import data
    ds = data.load("synthetic")            # the embedded default, generated and cached
    ds = data.load("emopia")               # real data from $MER_DATA_HOME
    data.available()                       # registered names
    data.describe(ds)                      # summary table

A dataset module defines a loader ``load(data_home, **options) -> MERDataset`` and registers
it with :func:`register`; adding a dataset is one new module plus one import line below.
"""

from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from mer_lib.data.base import MERDataset, DatasetError, SPLITS  # noqa: F401
from mer_lib.paths import data_home as resolve_data_home


@dataclass(frozen=True)
class DatasetInfo:
    """A registered dataset: its loader and where its files live under ``data_home``."""

    name: str
    loader: Callable[..., MERDataset]
    folder: str | None          # sub-folder of data_home; None: generated; USER_FOLDER: path= at load
    description: str


_REGISTRY: dict[str, DatasetInfo] = {}

#: ``folder`` of a dataset read from a folder the user names at load time
#: (``load("folder", path=...)``) rather than from a sub-folder of ``data_home``.
USER_FOLDER = "<user folder>"


def register(name: str, folder: str | None, description: str):
    """Decorator that registers ``loader(data_home, **options)`` under ``name``."""
    def wrap(loader):
        if name in _REGISTRY:
            raise ValueError(f"dataset {name!r} registered twice")
        _REGISTRY[name] = DatasetInfo(name, loader, folder, description)
        return loader
    return wrap


def available() -> list[str]:
    """Names of every registered dataset."""
    return sorted(_REGISTRY)


def real_names() -> list[str]:
    """Names of the registered real (not generated) datasets."""
    return sorted(n for n, info in _REGISTRY.items() if info.folder not in (None, USER_FOLDER))


def info(name: str) -> DatasetInfo:
    """Registry entry of ``name``; clear error for an unknown name."""
    if name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), _REGISTRY, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DatasetError(f"Unknown dataset {name!r}.{hint} Available: {', '.join(available())}")
    return _REGISTRY[name]


def is_available(name: str, data_home=None) -> bool:
    """Whether ``name`` can be loaded without further options (generated datasets always can;
    a :data:`USER_FOLDER` dataset never can: it needs ``path=``)."""
    entry = info(name)
    if entry.folder == USER_FOLDER:
        return False
    return entry.folder is None or (resolve_data_home(data_home) / entry.folder).is_dir()


def load(name: str, /, data_home=None, **options) -> MERDataset:
    """Load a dataset by name.

    Args:
        name: A registered name (see :func:`available`); positional, so that a loader option
            may itself be called ``name`` (``load("folder", path=..., name="mine")``).
        data_home: Folder of the real datasets; default ``$MER_DATA_HOME`` or ``data/``.
        **options: Loader options (e.g. ``n_clips`` for ``synthetic``).

    Raises:
        DatasetError: Unknown name, unknown option, missing data folder, or a dataset of 0 clips.
    """
    entry = info(name)
    accepted = inspect.signature(entry.loader).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    for option in options:
        if option not in accepted and not takes_any:
            names = [p for p in accepted if p != "data_home"]
            close = difflib.get_close_matches(option, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise DatasetError(
                f"dataset {name!r} has no option {option!r}.{hint} Its options: {', '.join(names) or 'none'}"
            )
    home = resolve_data_home(data_home)
    if entry.folder not in (None, USER_FOLDER) and not (home / entry.folder).is_dir():
        raise DatasetError(
            f"dataset {name!r} not found: expected the folder {home / entry.folder}. "
            "Set MER_DATA_HOME (or DATA_HOME) to the folder that holds it; see the README."
        )
    dataset = entry.loader(data_home=home, **options)
    if len(dataset) == 0:
        raise DatasetError(f"dataset {name!r} has no clips (read from {dataset.root}): check its label files")
    return dataset


def describe(dataset: MERDataset) -> pd.DataFrame:
    """One-row summary: clips, split sizes, modalities, targets, label distribution."""
    table = dataset.table
    row = {
        "dataset": dataset.name,
        "clips": len(table),
        **{f"n_{s}": int((table["split"] == s).sum()) for s in SPLITS},
        "n_unsplit": int(table["split"].isna().sum()),
        "modalities": ", ".join(dataset.modalities),
        "targets": ", ".join(dataset.targets),
    }
    for label in ("quadrant", "cluster"):
        if label in table.columns and table[label].notna().any():
            counts = table[label].value_counts().sort_index()
            row["labels"] = ", ".join(f"{k}: {v}" for k, v in counts.items())
            break
    return pd.DataFrame([row]).set_index("dataset")


# Dataset modules register themselves on import.
from mer_lib.data import synthetic  # noqa: E402,F401
from mer_lib.data import (  # noqa: E402,F401
    deam, deezer_msdd, emopia, folder, mediaeval2020, mirex_mm, moodylyrics, mtg_jamendo, pmemo,
    social_tags,
)
