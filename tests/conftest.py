"""Shared pytest set-up: real-data tests skip cleanly without the data, and the synthetic
corpus used by unit tests is generated once per session into a temporary cache."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")


def real_data_home() -> Path | None:
    """``$MER_DATA_HOME`` when it is set and exists, else None."""
    value = os.environ.get("MER_DATA_HOME", "").strip()
    return Path(value) if value and Path(value).is_dir() else None


def pytest_collection_modifyitems(config, items):
    if real_data_home() is not None:
        return
    skip = pytest.mark.skip(reason="real data absent: set MER_DATA_HOME to run @pytest.mark.real tests")
    for item in items:
        if "real" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def one_torch_thread():
    """Run a test with one PyTorch CPU thread (see ``mer_lib.train.torch_threads``)."""
    from mer_lib.train import torch_threads

    with torch_threads(1):
        yield


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    """A 16-clip synthetic corpus (4–5 s clips) in a session-wide temporary cache."""
    from mer_lib import data

    cache = tmp_path_factory.mktemp("cache")
    old = os.environ.get("MER_CACHE_DIR")
    os.environ["MER_CACHE_DIR"] = str(cache)
    try:
        yield data.load("synthetic", n_clips=16, seed=3, min_seconds=4.0, max_seconds=5.0, progress=False)
    finally:
        if old is None:
            os.environ.pop("MER_CACHE_DIR", None)
        else:
            os.environ["MER_CACHE_DIR"] = old
