"""Running extractors: on one clip (:func:`compute`) or over a dataset, cached and in parallel
(:func:`extract`).

Over a dataset, cached results are read in this process; the misses are computed in
parallel over clips (joblib, one job per clip running every requested extractor on it, so a
clip's audio is decoded once per front-end setting) with a tqdm progress bar, and written to
the cache by the worker that computed them. Model-based extractors (BERT) run batched in
this process instead, since one model per worker would cost more than it saves. Before audio
clips are computed, librosa's numba cache is checked and warmed up once per process (in a
subprocess, clearing a corrupt cache: :func:`mer_lib.features.numba_cache.prepare_numba`), so
workers only read it.

Notebook: ``00_primer`` and every paper notebook.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from mer_lib.features.numba_cache import prepare_numba
from mer_lib.features.cache import FeatureCache, feature_cache_root, source_fingerprint, using_root
from mer_lib.features.registry import Extractor, FeatureError, get
from mer_lib.features.text import check_clip_text

#: Parameters that change how, not what, is computed: left out of cache keys.
RUNTIME_PARAMS = ("device", "batch_size")
#: Below this many clips to compute, parallel workers cost more than they save.
MIN_PARALLEL_CLIPS = 8
TEXT_BATCH = 64
#: Sources that are files (fingerprinted by path, size and mtime; texts by content).
FILE_SOURCES = ("audio", "midi")


def _present(row: Mapping, column: str) -> bool:
    value = row.get(column)
    if value is None:
        return False
    if isinstance(value, float) and np.isnan(value):
        return False
    return not (isinstance(value, str) and not value.strip())


def _clip_name(row: Mapping) -> str:
    return str(row.get("track_id", "the given clip"))


def _first_column(row: Mapping, columns: Sequence[str], source: str):
    for column in columns:
        if _present(row, column):
            return row[column]
    raise FeatureError(f"clip {_clip_name(row)} has no {source} (none of the columns {list(columns)})")


def _lyrics(row: Mapping):
    if _present(row, "lyrics"):
        return row["lyrics"]
    path = Path(_first_column(row, ["lyrics_path"], "lyrics"))
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise FeatureError(f"clip {_clip_name(row)}: cannot read lyrics file {path}: {err}") from err


def _context(row: Mapping) -> str:
    parts = [str(row[c]) for c in ("title", "artist") if _present(row, c)]
    if not parts:
        raise FeatureError(f"clip {_clip_name(row)} has no title or artist")
    return " - ".join(parts)


#: How each source is read from a dataset row. Audio falls back to the MIDI file, which the
#: audio front end renders (cached): EMOPIA and the synthetic corpus get audio that way.
SOURCE_READERS: dict[str, Callable[[Mapping], Any]] = {
    "audio": lambda row: _first_column(row, ["audio_path", "midi_path"], "audio or MIDI file"),
    "midi": lambda row: _first_column(row, ["midi_path"], "MIDI file"),
    "lyrics": _lyrics,
    "context": _context,
    "comments": lambda row: _first_column(row, ["comments"], "comments"),
}


def read_source(source: str, row: Mapping) -> Any:
    """What a table row holds for ``source`` (a path, or a checked text).

    Raises:
        FeatureError: The row lacks it, its lyrics file is unreadable, or its text is empty.
    """
    return check_clip_text(source, SOURCE_READERS[source](dict(row)), _clip_name(row))


def source_of(entry: Extractor, clip) -> Any:
    """What ``entry`` reads from ``clip``: a table row (dict or Series) is looked up by the
    extractor's source; anything else (path, text, ``(samples, rate)``, PrettyMIDI) is used as is."""
    if isinstance(clip, (pd.Series, Mapping)):
        return read_source(entry.source, clip)
    return clip


def _run(entry: Extractor, value, params: Mapping[str, Any]) -> np.ndarray:
    front, feature = entry.split_params(params)
    return np.asarray(entry.function(entry.front_end.function(value, **front), **feature))


def compute(name: str, clip, **overrides) -> np.ndarray:
    """Run one extractor on one clip (no cache).

    Args:
        name: A registered extractor (see :func:`~mer_lib.features.available`).
        clip: A dataset row, or the source itself: an audio/MIDI path, a ``(samples, rate)``
            pair, a ``PrettyMIDI`` or a text.
        **overrides: Parameters to change (unknown names raise).

    Raises:
        FeatureError: Unknown extractor or parameter, or a clip lacking the source.
        FileNotFoundError, ValueError: A missing or unreadable file, an empty text...
    """
    entry = get(name)
    value, params = source_of(entry, clip), entry.resolve(overrides)
    if entry.source == "audio":
        prepare_numba()
    return _run(entry, value, params)


def _key_params(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in RUNTIME_PARAMS}


def _compute_clip(tasks: list[tuple], cache_root) -> list[tuple]:
    """Worker job: every (name, params, value, cache path) of one clip → (name, array | error).

    The maths libraries run on one thread, as in joblib's workers: a feature must not depend
    on whether it was computed in a worker or in this process (a BLAS reduction split over
    two threads rounds differently in the last bit).
    """
    out, signals = [], {}
    cache = FeatureCache(cache_root)
    with using_root(cache_root), threadpool_limits(limits=1):
        for name, params, value, path in tasks:
            entry = get(name)
            front, feature = entry.split_params(params)
            try:
                key = (entry.front_end.source, repr(sorted(front.items())))
                if key not in signals:  # the clip's audio is decoded once per front-end setting
                    signals[key] = entry.front_end.function(value, **front)
                array = np.asarray(entry.function(signals[key], **feature))
            except Exception as err:  # reported per clip by the parent, with its id
                out.append((name, f"{type(err).__name__}: {err}"))
                continue
            if path is not None:
                cache.save(Path(path), array)
            out.append((name, array))
    return out


def _batched(entry: Extractor, params, values: list, paths: list, cache: FeatureCache | None,
             progress: bool) -> list:
    front, feature = entry.split_params(params)
    results = []
    bar = tqdm(total=len(values), desc=entry.name, disable=not progress)
    for start in range(0, len(values), TEXT_BATCH):
        chunk = values[start:start + TEXT_BATCH]
        inputs = []
        for value in chunk:
            try:
                inputs.append(entry.front_end.function(value, **front))
            except Exception as err:
                inputs.append(err)
        good = [x for x in inputs if not isinstance(x, Exception)]
        arrays = iter(entry.batch(good, **feature) if good else [])
        for offset, item in enumerate(inputs):
            result = item if isinstance(item, Exception) else np.asarray(next(arrays))
            if cache is not None and not isinstance(result, Exception):
                cache.save(paths[start + offset], result)
            results.append(result if not isinstance(result, Exception) else f"{type(result).__name__}: {result}")
        bar.update(len(chunk))
    bar.close()
    return results


def extract(dataset, names: str | Sequence[str], *, split: str | Sequence[str] | None = None,
            n_jobs: int = -1, cache: bool = True, cache_root=None, progress: bool = True,
            on_error: str = "raise", dataset_name: str | None = None, **overrides):
    """Run extractors over every clip of a dataset, cached on disk, in parallel.

    Args:
        dataset: A :class:`~mer_lib.data.MERDataset` or a table with ``track_id`` (and
            ``split`` for augmentation checks).
        names: One extractor name, or several (computed in one pass over the clips).
        split: Only clips of this split (or these splits).
        n_jobs: joblib workers for the per-clip extractors (-1: all cores).
        cache: Read and write the on-disk cache.
        cache_root: Cache folder; default ``cache_dir() / "features"``.
        progress: Show progress bars.
        on_error: ``"raise"`` (default): after the pass (the other clips' results are cached),
            raise naming the failing clips and why; ``"skip"``: warn and leave them out.
        dataset_name: Cache namespace for a plain table (default: the dataset's name).
        **overrides: Parameters applied to every named extractor.

    Returns:
        ``{track_id: array}`` for one name; ``{name: {track_id: array}}`` for several.

    Raises:
        FeatureError: Unknown extractor/parameter; augmentation requested on clips outside
            the training split; a failing clip (with ``on_error="raise"``).
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    single = isinstance(names, str)
    entries = [get(n) for n in ([names] if single else names)]
    params = {e.name: e.resolve(overrides) for e in entries}
    table = dataset.table if hasattr(dataset, "table") else pd.DataFrame(dataset)
    namespace = dataset_name or getattr(dataset, "name", None) or "table"
    if split is not None:
        table = table[table["split"].isin([split] if isinstance(split, str) else list(split))]
    _refuse_augmenting_non_training(entries, params, table)

    store = FeatureCache(cache_root) if cache else None
    results: dict[str, dict[str, np.ndarray]] = {e.name: {} for e in entries}
    pending: dict[str, list[tuple]] = {}      # track_id → per-clip tasks for workers
    batched: dict[str, list[tuple]] = {}      # name → (track_id, value, path) for batch extractors
    errors: list[str] = []
    folders = {e.name: store.folder(namespace, e.name, _key_params(params[e.name]), e.code_digest)
               for e in entries} if store else {}
    for row in table.to_dict("records"):
        tid = str(row["track_id"])
        for entry in entries:
            try:
                value = source_of(entry, row)
            except FeatureError as err:
                errors.append(f"{entry.name}: {err}")
                continue
            path = (store.path(folders[entry.name], tid, source_fingerprint(value, entry.source in FILE_SOURCES))
                    if store else None)
            hit = store.load(path) if store else None
            if hit is not None:
                results[entry.name][tid] = hit
            elif entry.batch is not None:
                batched.setdefault(entry.name, []).append((tid, value, path))
            else:
                pending.setdefault(tid, []).append((entry.name, params[entry.name], value, path))

    for name, items in batched.items():
        arrays = _batched(get(name), params[name], [v for _, v, _ in items], [p for _, _, p in items],
                          store, progress)
        for (tid, _, _), array in zip(items, arrays):
            _collect(results, errors, name, tid, array)
    # Resolved here: long-lived workers may hold an older $MER_CACHE_DIR (rendered audio goes there too).
    root = feature_cache_root(cache_root)
    for tid, outputs in _run_pending(pending, n_jobs, root, progress):
        for name, array in outputs:
            _collect(results, errors, name, tid, array)

    if errors:
        if on_error == "raise":
            shown = "; ".join(errors[:3]) + ("; ..." if len(errors) > 3 else "")
            raise FeatureError(f"feature extraction failed on {len(errors)} clip(s): {shown}")
        for message in errors:
            warnings.warn(f"skipped: {message}", RuntimeWarning, stacklevel=2)
    order = [str(t) for t in table["track_id"]]
    ordered = {name: {t: found[t] for t in order if t in found} for name, found in results.items()}
    return ordered[entries[0].name] if single else ordered


def _refuse_augmenting_non_training(entries, params, table: pd.DataFrame) -> None:
    """Augmentation is for training data only (after the split)."""
    for entry in entries:
        changed = entry.augmenting(params[entry.name])
        if not changed:
            continue
        splits = set(table["split"].dropna()) if "split" in table.columns else set()
        others = splits - {"train"}
        if others or "split" not in table.columns or table["split"].isna().any():
            raise FeatureError(
                f"{entry.name}: augmentation parameters {changed} apply to training data only, "
                f"but the clips include splits {sorted(others) or ['<none>']}; pass split='train'"
            )


def _collect(results, errors, name, tid, array) -> None:
    if isinstance(array, str):
        errors.append(f"{name} on clip {tid}: {array}")
    else:
        results[name][tid] = array


def _run_pending(pending: dict, n_jobs: int, cache_root, progress: bool):
    """(track_id, outputs) for every pending clip, in parallel when worth it."""
    if not pending:
        return []
    workers = effective_n_jobs(n_jobs)
    items = list(pending.items())
    if any(get(name).source == "audio" for tasks in pending.values() for name, *_ in tasks):
        prepare_numba()  # before any worker starts: workers then only read librosa's numba cache
    if workers > 1 and len(items) >= MIN_PARALLEL_CLIPS:
        jobs = (delayed(_compute_clip)(tasks, cache_root) for _, tasks in items)
        outputs = Parallel(n_jobs=workers, return_as="generator")(jobs)
    else:
        outputs = (_compute_clip(tasks, cache_root) for _, tasks in items)
    outputs = tqdm(outputs, total=len(items), desc="features", disable=not progress)
    return [(tid, out) for (tid, _), out in zip(items, outputs)]
