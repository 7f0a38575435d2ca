"""librosa's numba cache, checked: warm it up once, safely, and recover from a corrupt one.

librosa JIT-compiles numba kernels and caches them on disk (``NUMBA_CACHE_DIR``, which
:mod:`mer_lib` sets to ``<cache dir>/numba``). Several fresh processes compiling into a cold
cache at once can corrupt it, and a corrupt cache segfaults every later process that loads
it. :func:`prepare_numba`, called by :func:`~mer_lib.features.extract` and
:func:`~mer_lib.features.compute` before audio clips are computed, prevents the first and
repairs the second. Notebook: every notebook that extracts audio features.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import warnings
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile as sf

from mer_lib.features import audio, augment
from mer_lib.features.registry import available, get


def warm_up() -> None:
    """Run, in this process, every numba-compiled librosa path the built-in audio extractors take.

    librosa compiles some numba kernels on first call (``__overlap_add`` and
    ``__window_ss_fill``, in the inverse STFT of pitch shifting) and others when their modules
    are imported (the ``vectorize``/``guvectorize`` kernels of ``librosa.util``,
    ``librosa.core.audio`` and ``librosa.core.pitch``: local maxima for ``chroma_stft``'s
    tuning estimate, ``abs2``, phasors...), caching both on disk. Which signatures get compiled
    depends on the dtype, layout and writability of the arrays, so this runs the real code
    paths rather than a list of kernels: every built-in audio extractor (presets included)
    through the real front end on a decoded, resampled test file (float32, read-only, as clips
    are), with and without the pitch-shift and downsampling augmentation, then the plain
    feature functions on float64 samples for callers that pass those. After it, worker
    processes only read the cache (``tests/test_features_numba_cache.py`` checks that the
    extractors compile nothing more).

    Extractors registered outside this module are not run: their numba paths, if any, are
    compiled where they are first called. See :func:`prepare_numba` for the checked version
    that :func:`~mer_lib.features.extract` uses.
    """
    with tempfile.TemporaryDirectory(prefix="mer-warm-up-") as folder:
        # 44.1 kHz, like most files: decoding resamples, and decoded samples are read-only.
        path = Path(folder) / "tone.wav"
        sf.write(path, np.tile(audio._TEST_TONE, 2), 2 * audio.DEFAULT_SR)
        try:
            for name in available("audio"):
                entry = get(name)
                if entry.function.__module__ != audio.__name__:
                    continue
                front, feature = entry.split_params(entry.params)
                for augmentation in ({}, {"pitch_shift": 1.0, "downsample_sr": 8000}):
                    entry.function(entry.front_end.function(str(path), **{**front, **augmentation}),
                                   **feature)
        finally:
            audio.clear_decode_cache()
    y = audio._TEST_TONE.astype(np.float64)
    audio.log_mel(y)
    audio.mfcc(y)
    audio.chroma(y)
    audio.audio_statistics(y)
    augment.augment(y, audio.DEFAULT_SR, 1.0, 8000)


#: What the check subprocess runs after importing ``mer_lib.features``.
PROBE_BODY = "from mer_lib.features.numba_cache import warm_up\nwarm_up()\n"
#: Printed by the check subprocess once ``mer_lib`` is imported: a failure before it is not
#: the numba cache's.
PROBE_STARTED = "mer-numba-check: started"
#: Seconds the check subprocess may take (a cold compile takes well under a minute).
PROBE_TIMEOUT = 600
#: Written into the numba cache folder after a successful check: a digest of the cache's
#: files (names, sizes, mtimes) and of the interpreter and packages, so a later process
#: skips the subprocess while nothing in the cache changed.
VERIFIED_STAMP = "mer-verified.txt"
_LOCK_FILE = "mer-warm-up.lock"
_NUMBA_FILES = ("*.nbi", "*.nbc")
_NUMBA_READY = False


def numba_cache_dir() -> tuple[Path, bool]:
    """(folder holding librosa's numba cache, whether ``NUMBA_CACHE_DIR`` names it).

    :mod:`mer_lib` sets ``NUMBA_CACHE_DIR`` to ``<cache dir>/numba``; where it is empty, numba
    caches in ``__pycache__`` folders beside librosa's sources.
    """
    value = os.environ.get("NUMBA_CACHE_DIR", "").strip()
    if value:
        return Path(value), True
    spec = importlib.util.find_spec("librosa")
    return Path(next(iter(spec.submodule_search_locations))), False


def _numba_files(folder: Path) -> list[Path]:
    return sorted(p for pattern in _NUMBA_FILES for p in folder.rglob(pattern)) if folder.is_dir() else []


def _cache_digest(folder: Path) -> str:
    """Digest of the numba cache's files and of what decides their validity."""
    entries = []
    for path in _numba_files(folder):
        try:
            stat = path.stat()
        except OSError:
            continue
        entries.append(f"{path.relative_to(folder)}\t{stat.st_size}\t{stat.st_mtime_ns}")
    versions = [f"{p}=={metadata.version(p)}" for p in ("numba", "llvmlite", "librosa", "numpy")]
    text = "\n".join([sys.executable, sys.version, *versions, *entries])
    return hashlib.sha256(text.encode()).hexdigest()


def clear_numba_cache(folder: Path | None = None) -> None:
    """Delete numba's cache files (``*.nbi`` index, ``*.nbc`` data) under ``folder`` (default:
    :func:`numba_cache_dir`), the folders they leave empty, and the verified stamp; nothing else."""
    folder = numba_cache_dir()[0] if folder is None else Path(folder)
    for path in _numba_files(folder) + [folder / VERIFIED_STAMP]:
        path.unlink(missing_ok=True)
    if folder.is_dir():
        for sub in sorted((d for d in folder.rglob("*") if d.is_dir()), key=lambda d: len(d.parts),
                          reverse=True):
            try:
                sub.rmdir()  # only when empty
            except OSError:
                pass


class _Probe(NamedTuple):
    ok: bool
    started: bool  # mer_lib was imported: a failure is librosa's/numba's
    why: str


def _probe(folder: Path, configured: bool) -> _Probe:
    """Run the warm-up in a fresh interpreter on the numba cache in ``folder``."""
    env = dict(os.environ)
    if configured:
        env["NUMBA_CACHE_DIR"] = str(folder)
    root = str(Path(__file__).resolve().parents[2])  # the folder holding the mer_lib package
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    code = f"import mer_lib.features\nprint({PROBE_STARTED!r}, flush=True)\n{PROBE_BODY}"
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return _Probe(False, True, f"it did not finish in {PROBE_TIMEOUT} s")
    except OSError as err:
        return _Probe(False, False, f"it could not start: {err}")
    started = PROBE_STARTED in (done.stdout or "")
    if done.returncode == 0:
        return _Probe(True, started, "")
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        return _Probe(False, True, f"it was killed by {name}")
    lines = (done.stderr or "").strip().splitlines()
    return _Probe(False, started, f"it failed with exit status {done.returncode}: "
                                  f"{lines[-1] if lines else 'no message'}")


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on ``path`` (POSIX), so concurrent processes warm up one at a time."""
    try:
        import fcntl  # POSIX only: imported here so the module still loads on Windows

        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")
    except (ImportError, OSError):  # no fcntl (Windows) or a read-only folder: no lock
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _check_numba_cache(folder: Path, configured: bool) -> None:
    """Warm up in a subprocess; on a crash, clear the cache (warning) and try once more."""
    stamp = folder / VERIFIED_STAMP
    if configured:
        try:
            if stamp.read_text().strip() == _cache_digest(folder):
                return  # checked before, and nothing changed since
        except OSError:
            pass
    result = _probe(folder, configured)
    if not result.ok and not result.started:
        warnings.warn(f"could not check librosa's numba cache in {folder} in a subprocess "
                      f"({result.why}); warming it up in this process", RuntimeWarning, stacklevel=4)
        return
    if not result.ok:
        warnings.warn(f"librosa's numba cache in {folder} is corrupt: warming it up in a subprocess, "
                      f"{result.why}. Deleting numba's cache files in {folder} and compiling again.",
                      RuntimeWarning, stacklevel=4)
        clear_numba_cache(folder)
        retry = _probe(folder, configured)
        if not retry.ok:
            raise RuntimeError(f"librosa's numba code fails even from an empty numba cache in {folder}: "
                               f"warming it up in a subprocess, {retry.why}. Check the numba, llvmlite "
                               f"and librosa installation.")
    if configured:
        try:
            stamp.write_text(_cache_digest(folder) + "\n")
        except OSError:
            pass


def prepare_numba() -> None:
    """Make librosa's numba cache safe to use here and in worker processes (once per process).

    Two failures are guarded against. numba writes a cached kernel's index (``*.nbi``) and
    machine code (``*.nbc``, two sets for a ``guvectorize`` kernel) as separate files, so
    several fresh processes compiling the same kernels into a cold cache at once can leave an
    index pointing at the wrong code (numba issues #4807 and #10128); librosa compiles its
    ``guvectorize`` kernels when its modules are imported, so every new joblib worker does.
    And a cache corrupted that way crashes every later process that loads it, serial runs
    included, with a segfault that no ``try`` can catch. So, holding a file lock in the cache
    folder (concurrent processes take turns):

    1. :func:`warm_up` runs in a short subprocess (``sys.executable -c``). From a cold cache
       it compiles everything the built-in extractors use, in one process (no race); from a
       warm one it loads every entry they use, which is the only reliable corruption test.
       A success is stamped in the cache folder (a digest of its files' names, sizes and
       mtimes, the interpreter and numba/llvmlite/librosa/numpy versions): later processes
       skip the subprocess while that digest holds.
    2. If the subprocess dies by a signal, times out, or fails after importing ``mer_lib``,
       numba's files in the cache folder (``*.nbi``, ``*.nbc``; nothing else) are deleted
       with a warning naming the folder, and it runs once more; a second failure raises
       :class:`RuntimeError` instead of crashing this process. A subprocess that cannot
       even import ``mer_lib`` says nothing about the cache: that is a warning only.
    3. :func:`warm_up` then runs in this process, loading what the subprocess compiled, so
       worker processes started afterwards only read the cache.

    Why not one cache folder per worker or per version: per-worker folders would recompile
    (about half a minute) in every worker of every run; and numba already keys its files on
    the Python version, numba's version and librosa's source stamps, so version-keyed
    folders would not prevent the concurrent-write corruption. Costs: a cold cache compiles
    once (as before, now in the subprocess); a warm, stamped one costs a directory listing
    plus the in-process warm-up. :func:`~mer_lib.features.extract` and
    :func:`~mer_lib.features.compute` call this only when audio clips must be computed.

    Raises:
        RuntimeError: librosa's numba code also fails from an empty cache.
    """
    global _NUMBA_READY
    if _NUMBA_READY:
        return
    folder, configured = numba_cache_dir()
    lock = (folder if configured else Path(tempfile.gettempdir())) / _LOCK_FILE
    with _locked(lock):
        _check_numba_cache(folder, configured)
        warm_up()
    _NUMBA_READY = True
