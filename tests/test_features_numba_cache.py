"""librosa's numba cache: the warm-up covers the extractors, a corrupt cache is recovered, and
parallel extraction from a cold cache works (``mer_lib.features.numba_cache.prepare_numba``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mer_lib import features
from mer_lib.features import numba_cache
from mer_lib.repro import PINNED_NUMERICS

ROOT = Path(__file__).resolve().parents[1]
SR = 22050


def tone(freq: float, seconds: float, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """A not-yet-prepared process on an empty numba cache folder in ``tmp_path``, with the
    in-process warm-up recorded instead of run (this process's numba keeps its own cache)."""
    folder = tmp_path / "numba"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(folder))
    monkeypatch.setattr(numba_cache, "_NUMBA_READY", False)
    calls = []
    monkeypatch.setattr(numba_cache, "warm_up", lambda: calls.append("warm_up"))
    return folder, calls


def garbage_cache(folder: Path) -> list[Path]:
    """numba-looking index and data files holding garbage, plus an unrelated file."""
    sub = folder / "util_0123456789abcdef"
    sub.mkdir(parents=True)
    files = [sub / "utils._localmax-1035.py311.nbi", sub / "utils._localmax-1035.py311.1.nbc"]
    for path in files:
        path.write_bytes(b"\x00garbage\xff" * 16)
    (folder / "notes.txt").write_text("not numba's")
    return files


def test_a_crashing_warm_up_clears_the_cache_with_a_warning_and_retries(fresh, tmp_path, monkeypatch):
    folder, calls = fresh
    files = garbage_cache(folder)
    flag = tmp_path / "crashed-once"
    # The first check segfaults (as a corrupt cache does); the retry, on a cleared cache, passes.
    monkeypatch.setattr(numba_cache, "PROBE_BODY", textwrap.dedent(f"""
        import os, signal
        if not os.path.exists({str(flag)!r}):
            open({str(flag)!r}, "w").close()
            os.kill(os.getpid(), signal.SIGSEGV)
    """))
    with pytest.warns(RuntimeWarning, match=rf"numba cache in {folder}.*SIGSEGV") as record:
        numba_cache.prepare_numba()
    assert len(record) == 1 and "Deleting numba's cache files" in str(record[0].message)
    assert not any(path.exists() for path in files)
    assert (folder / "notes.txt").exists()  # only numba's files are deleted
    assert (folder / numba_cache.VERIFIED_STAMP).exists()
    assert calls == ["warm_up"]  # then warmed up in this process
    numba_cache.prepare_numba()  # once per process
    assert calls == ["warm_up"]


def test_garbage_numba_files_are_detected_and_recompiled(fresh, tmp_path, monkeypatch):
    folder, _ = fresh
    module = tmp_path / "kernels"
    module.mkdir()
    (module / "tiny_kernel.py").write_text(
        "import numba\n\n@numba.njit(cache=True)\ndef twice(x):\n    return 2 * x\n")
    monkeypatch.setattr(numba_cache, "PROBE_BODY", f"import sys\nsys.path.insert(0, {str(module)!r})\n"
                                             "import tiny_kernel\nassert tiny_kernel.twice(2.0) == 4.0\n")
    assert numba_cache._probe(folder, True).ok  # compiles and caches the kernel
    cached = sorted(folder.rglob("*.nb[ic]"))
    assert {p.suffix for p in cached} == {".nbi", ".nbc"}
    for path in cached:
        path.write_bytes(b"garbage")  # numba cannot load these

    with pytest.warns(RuntimeWarning, match=rf"numba cache in {folder} is corrupt"):
        numba_cache.prepare_numba()
    assert numba_cache._probe(folder, True).ok
    assert all(p.read_bytes() != b"garbage" for p in folder.rglob("*.nb[ic]"))


def test_a_checked_cache_is_not_checked_again_until_it_changes(fresh, monkeypatch):
    folder, calls = fresh
    garbage_cache(folder)
    probes = []
    monkeypatch.setattr(numba_cache, "_probe", lambda *a: probes.append(1) or numba_cache._Probe(True, True, ""))
    numba_cache.prepare_numba()
    monkeypatch.setattr(numba_cache, "_NUMBA_READY", False)  # as a new process would
    numba_cache.prepare_numba()
    assert len(probes) == 1 and calls == ["warm_up", "warm_up"]
    index = next(folder.rglob("*.nbi"))
    os.utime(index, ns=(index.stat().st_atime_ns, index.stat().st_mtime_ns + 10**9))  # rewritten
    monkeypatch.setattr(numba_cache, "_NUMBA_READY", False)
    numba_cache.prepare_numba()
    assert len(probes) == 2


def test_a_check_that_cannot_start_keeps_the_cache(fresh, monkeypatch):
    folder, calls = fresh
    files = garbage_cache(folder)
    monkeypatch.setattr(numba_cache, "_probe", lambda *a: numba_cache._Probe(False, False, "no mer_lib"))
    with pytest.warns(RuntimeWarning, match="could not check"):
        numba_cache.prepare_numba()
    assert all(path.exists() for path in files) and calls == ["warm_up"]


def test_a_warm_up_crashing_from_an_empty_cache_raises_instead_of_crashing(fresh, monkeypatch):
    folder, calls = fresh
    garbage_cache(folder)
    monkeypatch.setattr(numba_cache, "PROBE_BODY", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    with pytest.warns(RuntimeWarning, match="corrupt"):
        with pytest.raises(RuntimeError, match="empty numba cache"):
            numba_cache.prepare_numba()
    assert calls == [] and not numba_cache._NUMBA_READY


def dispatcher_signatures() -> dict[str, list[str]]:
    """Compiled signatures of every numba-jitted function in librosa's loaded modules."""
    from numba.core.registry import CPUDispatcher

    return {f"{name}.{attr}": sorted(map(str, obj.signatures))
            for name, module in list(sys.modules.items()) if name.startswith("librosa") and module
            for attr, obj in list(vars(module).items()) if isinstance(obj, CPUDispatcher)}


def librosa_modules() -> set[str]:
    """Loaded librosa modules: importing one compiles (or loads) its eager numba kernels."""
    return {name for name in sys.modules if name.startswith("librosa")}


def test_warm_up_covers_every_numba_path_of_the_audio_extractors(tmp_path):
    numba_cache.warm_up()
    before, modules = dispatcher_signatures(), librosa_modules()
    paths = {"stereo44k": (np.stack([tone(440, 2.0, 44100), tone(660, 2.0, 44100)], axis=1), 44100),
             "mono22k": (tone(330, 1.5), SR), "mono16k": (tone(550, 1.0, 16000), 16000)}
    for name, (samples, rate) in paths.items():
        sf.write(tmp_path / f"{name}.wav", samples, rate)
    table = {"track_id": list(paths), "split": ["train"] * len(paths),
             "audio_path": [str(tmp_path / f"{name}.wav") for name in paths]}
    names = features.available("audio")
    features.extract(table, names, n_jobs=1, cache=False, progress=False)
    features.extract(table, names, n_jobs=1, cache=False, progress=False, pitch_shift=-1.5,
                     downsample_sr=11025)
    features.compute("log_mel", (tone(440, 1.0).astype(np.float64), SR), pitch_shift=2.0)
    after = dispatcher_signatures()
    new = {k: sorted(set(v) - set(before.get(k, []))) for k, v in after.items()}
    assert not {k: v for k, v in new.items() if v}, "numba code the warm-up does not compile"
    assert librosa_modules() <= modules, "librosa modules (eager numba kernels) the warm-up does not import"


PARALLEL_SCRIPT = """
import json, sys, time
import numpy as np
from mer_lib import features
from mer_lib.features import pipeline

folder = sys.argv[1]
pipeline.MIN_PARALLEL_CLIPS = 2  # a handful of clips take the parallel path
paths = [f"{folder}/clip{i}.wav" for i in range(4)]
table = {"track_id": [f"c{i}" for i in range(4)], "split": ["train"] * 4, "audio_path": paths}
names = ["chroma", "mfcc", "log_mel", "audio_stats"]
start = time.perf_counter()
parallel = features.extract(table, names, n_jobs=2, cache=False, progress=False)
shifted = features.extract(table, "log_mel", n_jobs=2, cache=False, progress=False, pitch_shift=1.0)
seconds = time.perf_counter() - start
# This process has two BLAS threads, joblib's workers one: extract computes on one thread in
# both, or the mel filterbank product rounds the last float32 bit differently.
serial = features.extract(table, names, n_jobs=1, cache=False, progress=False)
serial_shifted = features.extract(table, "log_mel", n_jobs=1, cache=False, progress=False,
                                  pitch_shift=1.0)
for name in names:
    for tid in table["track_id"]:
        np.testing.assert_array_equal(parallel[name][tid], serial[name][tid])
for tid in table["track_id"]:
    np.testing.assert_array_equal(shifted[tid], serial_shifted[tid])
print(json.dumps({"parallel_seconds": seconds}))
"""


def test_parallel_extraction_from_an_empty_numba_cache_matches_serial(tmp_path):
    for i, freq in enumerate([220, 330, 440, 550]):
        sf.write(tmp_path / f"clip{i}.wav", tone(freq, 1.5), SR)
    numba_dir = tmp_path / "numba"
    env = {**{k: v for k, v in os.environ.items() if k not in PINNED_NUMERICS},
           "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2",
           "NUMBA_CACHE_DIR": str(numba_dir), "MER_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run([sys.executable, "-c", PARALLEL_SCRIPT, str(tmp_path)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["parallel_seconds"] > 0
    assert (numba_dir / numba_cache.VERIFIED_STAMP).exists()  # checked in a subprocess, then used
    assert any(numba_dir.rglob("*.nbc"))
