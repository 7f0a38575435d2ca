"""Where things live: project root, real-data home, cache, reports, notebooks.

Every path the library uses is derived here, so a user can relocate the data or the cache
with one environment variable:

* ``MER_DATA_HOME``: folder holding the real datasets (default ``<project>/data``).
* ``MER_CACHE_DIR``: on-disk cache for generated corpora and features
  (default ``<project>/.cache``).
* ``MER_REPORTS_DIR``: where runs write their reports (default ``<project>/reports``).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = NOTEBOOKS_DIR / "params"


def _env_path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable, "").strip()
    return Path(value).expanduser().resolve() if value else default


#: The environment variables that hold folders; a child process (a notebook kernel runs in
#: ``notebooks/``) must see them as absolute paths, or a relative value points elsewhere.
PATH_VARIABLES = ("MER_DATA_HOME", "MER_CACHE_DIR", "MER_REPORTS_DIR")


def absolutize_environment() -> None:
    """Rewrite relative ``MER_*`` folder variables as absolute, relative to the current folder."""
    for variable in PATH_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            os.environ[variable] = str(Path(value).expanduser().resolve())


def data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Folder that holds the real datasets.

    Args:
        data_home: Explicit folder; ``None`` or ``""`` means ``$MER_DATA_HOME``, else
            ``<project>/data``.

    Returns:
        The resolved folder (it may not exist; loaders say so with a clear error).
    """
    if data_home not in (None, ""):
        return Path(data_home).expanduser().resolve()
    return _env_path("MER_DATA_HOME", PROJECT_ROOT / "data")


def cache_dir() -> Path:
    """Folder of the on-disk cache (generated corpora, features); created on demand."""
    path = _env_path("MER_CACHE_DIR", PROJECT_ROOT / ".cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def reports_dir() -> Path:
    """Folder where every run writes ``<notebook>/<profile>/``."""
    return _env_path("MER_REPORTS_DIR", PROJECT_ROOT / "reports")


def nltk_data_dir() -> Path:
    """The project's NLTK data folder, ``<project>/.cache/nltk_data`` (WordNet lives there).

    Fixed to the project (not ``$MER_CACHE_DIR``): a run with a temporary feature cache,
    such as the tests or the benchmark, still finds the installed WordNet.
    """
    return PROJECT_ROOT / ".cache" / "nltk_data"
