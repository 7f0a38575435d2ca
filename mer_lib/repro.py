"""Reproducibility: seeding, device selection and a record of the software a run used."""

from __future__ import annotations

import os
import platform
import random
import subprocess
from importlib import metadata

import numpy as np

from mer_lib.paths import PROJECT_ROOT

#: Packages whose versions every ``results.json`` records.
RECORDED_PACKAGES = (
    "torch", "numpy", "pandas", "scikit-learn", "librosa", "pretty_midi",
    "transformers", "gensim", "nltk", "papermill",
)


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
    import torch

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
    import torch

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
    """Installed versions of ``packages`` (``"absent"`` for one that is not installed)."""
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def git_commit() -> str:
    """Commit hash of the project checkout (with ``+dirty`` for local changes), or ``unknown``."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
            text=True, timeout=10, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
            capture_output=True, text=True, timeout=10,
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_info() -> dict:
    """Versions, git commit and host of the current process, for ``results.json``."""
    info = {
        "versions": package_versions(),
        "git_commit": git_commit(),
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import torch

        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        info["gpu"] = None
    return info
