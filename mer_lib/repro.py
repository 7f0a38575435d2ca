"""Reproducibility: seeding, device selection and a record of the software a run used."""

from __future__ import annotations

import os
import platform
import random
import subprocess

import numpy as np
import torch

from mer_lib import provenance
from mer_lib.paths import PROJECT_ROOT

#: Packages whose versions every ``results.json`` records: those that compute numbers, and
#: the notebook executor.
RECORDED_PACKAGES = provenance.COMPUTE_PACKAGES + ("papermill",)


#: Environment that pins a run's numerics, so its numbers do not depend on the machine's core
#: count or vector instruction set (x86 with AVX2 or newer): one thread per BLAS/OpenMP pool
#: (a notebook uses one core; ``make reports`` runs two at once), and the AVX2 code paths of
#: every library that picks its kernels by the CPU, even on AVX-512 machines: PyTorch's own
#: kernels, oneDNN's (PyTorch's CPU convolutions and recurrent layers), MKL's (its conditional
#: numerical reproducibility), OpenBLAS's (Haswell) and NumPy's (its AVX-512 groups off).
#: Measured without the oneDNN cap: a Jeon 2017 audio CNN trained on an Intel Xeon with
#: AVX-512 and on an AMD EPYC with AVX2 ended at test accuracies .291 and .390. Under the cap
#: oneDNN has no bfloat16 kernels, so bfloat16 autocast is off on every CPU
#: (:func:`mer_lib.models.blocks_sequence.native_bfloat16`). Set for every notebook kernel by
#: the runner; a value already in the environment wins, and results.json records what was used.
PINNED_NUMERICS = {
    "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
    "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "AVX2",
    "OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}


def pin_numerics(environ=None) -> dict[str, str]:
    """Set :data:`PINNED_NUMERICS` in ``environ`` (default ``os.environ``) where unset, for
    processes started afterwards (they read these when their libraries load).

    Returns:
        The values in effect.
    """
    environ = os.environ if environ is None else environ
    for name, value in PINNED_NUMERICS.items():
        environ.setdefault(name, value)
    return {name: environ[name] for name in PINNED_NUMERICS}


def seed_everything(seed: int) -> int:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) so a run can be repeated.

    Args:
        seed: A non-negative integer.

    Returns:
        The seed, for logging.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"SEED must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return seed


def resolve_device(device: str = "auto"):
    """Turn the ``DEVICE`` parameter into a ``torch.device``.

    Args:
        device: ``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda"`` or
            ``"cuda:N"``.

    Returns:
        torch.device

    Raises:
        ValueError: For an unknown name, or a CUDA device on a machine without one.
    """
    name = str(device).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"DEVICE={device!r} was requested but no CUDA GPU is available on this "
                "machine; use DEVICE='auto' or 'cpu'."
            )
        return torch.device(name)
    raise ValueError(f"Unknown DEVICE={device!r}; expected 'auto', 'cpu', 'cuda' or 'cuda:N'.")


def package_versions(packages=RECORDED_PACKAGES) -> dict[str, str]:
    """Python's version and those of ``packages`` (``"absent"`` for one not installed)."""
    return {"python": platform.python_version(), **provenance.package_versions(packages)}


def git_commit() -> str:
    """Commit hash of the project checkout, or ``unknown``.

    ``+dirty`` is appended when files outside ``reports/`` differ from the commit (tracked
    changes or new files git does not ignore): then the numbers belong to no commit. Reports
    themselves do not count, so a report regenerated from a commit stays clean.
    """
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
            text=True, timeout=10, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=normal", "--", ".",
             ":(exclude)reports"], cwd=PROJECT_ROOT,
            capture_output=True, text=True, timeout=10,
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def cpu_model() -> str:
    """The processor's model name (Linux), else what ``platform`` knows."""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_info() -> dict:
    """Versions, git commit and host of the current process, for ``results.json``."""
    info = {
        "versions": package_versions(),
        "git_commit": git_commit(),
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu": cpu_model(),
    }
    try:
        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        info["gpu"] = None
    return info
