"""On-disk feature cache: one ``.npy`` file per (dataset, clip, extractor, parameters, code).

Layout under ``cache_dir() / "features"`` (what ``make clean-cache`` deletes)::

    <dataset>/<extractor>/<code digest>-<params hash>/params.json     the parameters, for people
    <dataset>/<extractor>/<code digest>-<params hash>/<clip>-<source hash>.npy

The *source hash* fingerprints what the clip's feature was computed from (a file's path,
size and modification time, or a text's content), so an edited file or a regenerated corpus
is a miss rather than a stale hit. Changing any parameter, the extractor's code (or any
``mer_lib`` module it imports) or a numeric package's version changes the folder
(:attr:`~mer_lib.features.registry.Extractor.code_digest`), so results of other parameters or
older code are never returned.

Writes are atomic (a temporary file in the same folder, then ``os.replace``): an interrupted
run leaves no partial file, and two processes computing the same key both write a complete
file, the last rename winning. A cache file that cannot be read (truncated, overwritten by
something else) is **recomputed with a warning naming the file**: the cache only holds
derived data, so recomputing is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from mer_lib.fileio import atomic_write, atomic_write_text
from mer_lib.paths import cache_dir


_ROOT_OVERRIDE: list[Path] = []


def feature_cache_root(root: str | os.PathLike | None = None) -> Path:
    """The feature cache folder: ``root``, else the one set by :func:`using_root`, else
    ``cache_dir() / "features"``."""
    if root is not None:
        return Path(root)
    return _ROOT_OVERRIDE[-1] if _ROOT_OVERRIDE else cache_dir() / "features"


@contextmanager
def using_root(root: str | os.PathLike | None):
    """Within the block, :func:`feature_cache_root` defaults to ``root`` (None: no change).

    Worker processes outlive one extraction, so a parent's cache root is passed to each
    job explicitly rather than through the environment they started with.
    """
    if root is None:
        yield
        return
    _ROOT_OVERRIDE.append(Path(root))
    try:
        yield
    finally:
        _ROOT_OVERRIDE.pop()


def stable_hash(value: Any, length: int = 12) -> str:
    """Short SHA-1 of a JSON rendering of ``value`` (sorted keys; tuples as lists)."""
    text = json.dumps(value, sort_keys=True, default=repr)
    return hashlib.sha1(text.encode()).hexdigest()[:length]


def source_fingerprint(value: Any, is_file: bool) -> str:
    """Identity of a clip's source: a file's path, size and mtime (``is_file``), else the
    value's content (a text)."""
    if is_file and isinstance(value, (str, os.PathLike)):
        path = Path(value)
        try:
            stat = path.stat()
        except OSError:  # a missing file: the extractor reports it, the key is just the path
            return stable_hash([str(path)], 10)
        return stable_hash([str(path.resolve()), stat.st_size, stat.st_mtime_ns], 10)
    return stable_hash(value, 10)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", str(text))[:120] or "_"


class FeatureCache:
    """The on-disk cache of one feature root (see the module docstring).

    Args:
        root: Cache folder; default ``cache_dir() / "features"``.
    """

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = feature_cache_root(root)

    def folder(self, dataset: str, extractor: str, params: Mapping[str, Any], code_digest: str) -> Path:
        """Folder of one (dataset, extractor, parameter set, code digest); records params.json."""
        folder = (self.root / _safe_name(dataset) / _safe_name(extractor)
                  / f"{_safe_name(code_digest)}-{stable_hash(dict(params))}")
        record = folder / "params.json"
        if not record.is_file():
            atomic_write_text(record, json.dumps(
                {"extractor": extractor, "code_digest": code_digest, "params": dict(params)},
                indent=1, sort_keys=True, default=repr))
        return folder

    def path(self, folder: Path, clip_id: str, fingerprint: str) -> Path:
        """File of one clip in ``folder``."""
        return folder / f"{_safe_name(clip_id)}-{fingerprint}.npy"

    def load(self, path: Path) -> np.ndarray | None:
        """The cached array, or None on a miss or (with a warning) an unreadable file."""
        if not path.is_file():
            return None
        try:
            return np.load(path, allow_pickle=False)
        except Exception as err:  # numpy raises ValueError/OSError/EOFError for bad files
            warnings.warn(f"corrupt feature cache file {path} ({type(err).__name__}: {err}); "
                          "it will be recomputed", RuntimeWarning, stacklevel=2)
            return None

    def save(self, path: Path, array: np.ndarray) -> Path:
        """Write ``array`` atomically to ``path``."""
        return atomic_write(path, lambda tmp: np.save(tmp, np.asarray(array), allow_pickle=False))
