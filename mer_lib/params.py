"""Notebook profiles: ``notebooks/params/<notebook>/<profile>.yaml``.

A profile changes a notebook's data and budgets, never its method. Its keys are the
notebook's parameters (the names in the cell tagged ``parameters``); a key the notebook
does not declare is an error, not a silently ignored typo.

Every notebook uses one vocabulary of parameter names (:data:`GLOSSARY`); a name an older
profile used for one of them (:data:`RENAMED`) is refused with its new name, and a synthetic-corpus
size parameter that became a loader option (:data:`MOVED_TO_DATASET_OPTIONS`) with the option.
Every notebook reaches its dataset the same way, ``data.load(DATASET, data_home=DATA_HOME or None,
**DATASET_OPTIONS)``, so ``--set DATASET=folder --set 'DATASET_OPTIONS={path: /my/songs}'`` works
for each of them.
"""

from __future__ import annotations

import ast
import difflib
import re
from pathlib import Path

import yaml

from mer_lib.paths import NOTEBOOKS_DIR, PARAMS_DIR

#: Profiles that run on the embedded synthetic corpus; every other profile is a real-data one.
SYNTHETIC_PROFILES = ("smoke", "demo")


#: The parameter names shared by the notebooks, one name per meaning.
GLOSSARY = {
    "PROFILE": "the profile's name (set by the runner)",
    "DATASET": "registered dataset name (mer_lib.data.available())",
    "DATA_HOME": "folder holding the real datasets (default $MER_DATA_HOME)",
    "DATASET_OPTIONS": "options of the dataset's loader, data.load(DATASET, **DATASET_OPTIONS) "
                       "(e.g. {n_clips: 400} for synthetic, {path: /my/songs} for folder)",
    "DATASETS": "the datasets of a grid over several, name → its DATASET_OPTIONS",
    "LABELS": "per dataset, the labels a grid classifies (default: the first of quadrant, cluster, polarity it has)",
    "POLARITY_MAP": "MIREX cluster → 'positive'/'negative' (a dataset without its own polarity column)",
    "CORPUS_SEED": "seed that draws a subsample of a dataset's clips",
    "SEED": "the seed of a notebook that runs once",
    "SEEDS": "seeds of the repeated runs (weights, batch order, augmentation, fresh splits)",
    "MODELS": "the result rows to run, by name (a paper's experiment ROWS)",
    "MAX_EPOCHS": "upper bound on training epochs (early stopping ends most runs sooner)",
    "PATIENCE": "epochs without a better validation score before training stops",
    "SELECT_ON": "what picks the restored epoch: 'loss' (lowest validation loss) or 'metric' (best validation score)",
    "BATCH_SIZE": "clips per gradient step",
    "LEARNING_RATE": "optimizer step size",
    "WEIGHT_DECAY": "L2 penalty of the optimizer",
    "DROPOUT": "dropout rate",
    "MAX_WORDS": "words per lyric the models read (longer lyrics are truncated)",
    "WORD_DIM": "word-vector size",
    "DEVICE": "'auto', 'cpu', 'cuda' or 'mps'",
    "NEEDS_ACCELERATOR": "the profile is sized for a GPU: `make real` skips it on a machine without one",
    "TORCH_THREADS": "PyTorch CPU threads (1 avoids oversubscription on a shared machine; 0 leaves it)",
    "WORKERS": "Dask worker processes of a grid (0: one cell after another in the kernel; null: one per core)",
    "SCHEDULER": "address of a running Dask scheduler for a grid (empty: a local cluster)",
    "N_JOBS": "feature-extraction worker processes (-1: one per core)",
    "PROGRESS": "show progress bars",
    "N_BOOTSTRAP": "bootstrap resamples of a confidence interval",
    "OUT_DIR": "report folder (set by the runner)",
}
#: Old parameter name → its name in :data:`GLOSSARY`.
RENAMED = {"EPOCHS": "MAX_EPOCHS", "THREADS": "TORCH_THREADS", "WORD_VECTOR_SIZE": "WORD_DIM",
           "EXPERIMENTS": "MODELS"}
#: Old parameter name → the ``DATASET_OPTIONS`` key that replaced it (one way into every loader).
MOVED_TO_DATASET_OPTIONS = {"N_CLIPS": "n_clips", "MIN_SECONDS": "min_seconds", "MAX_SECONDS": "max_seconds"}


class ProfileError(ValueError):
    """An unknown notebook, profile or parameter."""


def _suggest(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def notebook_names(notebooks_dir: Path = NOTEBOOKS_DIR) -> list[str]:
    """Names (file stems) of the study's notebooks, in course order."""
    return sorted(p.stem for p in Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))


def notebook_path(notebook: str, notebooks_dir: Path = NOTEBOOKS_DIR) -> Path:
    """Path of a notebook from its name (``"00_primer"``); clear error when unknown."""
    names = notebook_names(notebooks_dir)
    if notebook not in names:
        raise ProfileError(
            f"Unknown notebook {notebook!r}.{_suggest(notebook, names)} Available: {', '.join(names)}"
        )
    return Path(notebooks_dir) / f"{notebook}.ipynb"


def profile_names(notebook: str, params_dir: Path = PARAMS_DIR) -> list[str]:
    """Profiles defined for ``notebook`` (YAML files in its params folder)."""
    return sorted(p.stem for p in (Path(params_dir) / notebook).glob("*.yaml"))


def load_profile(notebook: str, profile: str, params_dir: Path = PARAMS_DIR) -> dict:
    """Read a profile's parameters.

    Args:
        notebook: Notebook name, e.g. ``"00_primer"``.
        profile: Profile name, e.g. ``"demo"``.
        params_dir: Folder holding ``<notebook>/<profile>.yaml``.

    Returns:
        dict of parameter name to value (``PROFILE`` included).

    Raises:
        ProfileError: When the profile does not exist or its file is not a mapping.
    """
    path = Path(params_dir) / notebook / f"{profile}.yaml"
    if not path.is_file():
        names = profile_names(notebook, params_dir)
        raise ProfileError(
            f"Unknown profile {profile!r} for notebook {notebook!r}.{_suggest(profile, names)} "
            f"Available: {', '.join(names) or 'none'} (files in {path.parent})"
        )
    values = yaml.safe_load(path.read_text()) or {}
    if not isinstance(values, dict):
        raise ProfileError(f"{path} must hold a mapping of PARAMETER: value, got {type(values).__name__}")
    values["PROFILE"] = profile
    return values


def check_parameters(values: dict, declared, source: str) -> None:
    """Refuse parameters the notebook does not declare.

    Args:
        values: Parameters to inject.
        declared: Names declared in the notebook's ``parameters`` cell.
        source: Where ``values`` came from, for the message.

    Raises:
        ProfileError: Naming the first unknown parameter.
    """
    declared = list(declared)
    for name in values:
        if name in RENAMED and name not in declared:
            raise ProfileError(f"Parameter {name!r} in {source} was renamed {RENAMED[name]!r} "
                               f"(one name per meaning across notebooks: mer_lib.params.GLOSSARY)")
        if name in MOVED_TO_DATASET_OPTIONS and name not in declared:
            key = MOVED_TO_DATASET_OPTIONS[name]
            raise ProfileError(f"Parameter {name!r} in {source} is now the loader option {key!r}: "
                               f"set DATASET_OPTIONS: {{{key}: {values[name]!r}}} instead")
        if name not in declared:
            raise ProfileError(
                f"Unknown parameter {name!r} in {source}.{_suggest(name, declared)} "
                f"The notebook declares: {', '.join(declared)}"
            )


def notebook_params(namespace: dict) -> dict:
    """The run's parameters from a notebook's namespace: its upper-case literal names.

    Called first thing after the ``parameters`` cell, so it sees exactly the parameters
    (papermill-injected values included) and nothing imported later.
    """
    literal = (str, int, float, bool, list, tuple, dict, type(None))
    return {
        k: v for k, v in namespace.items()
        if k.isupper() and not k.startswith("_") and isinstance(v, literal)
    }


#: Counts and budgets that cannot be negative (``N_JOBS`` may be, joblib's -1 = all cores).
_NON_NEGATIVE = re.compile(r"^(SEED|MAX_\w+|N_(?!JOBS$)\w+|\w*EPOCHS|\w*PATIENCE|\w*_SEED|BATCH_SIZE|\w*THREADS)$")


def _kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return type(value).__name__


def _accepts(default, value) -> bool:
    """Whether ``value`` may replace a parameter whose notebook default is ``default``."""
    if default is None or value is None:
        return True
    want, got = _kind(default), _kind(value)
    if want == "float":
        return got in ("int", "float")
    if want in ("list", "tuple"):
        return got in ("list", "tuple", "str")  # a str names a choice, e.g. REAL_DATASETS: all
    return want == got


def check_values(values: dict, declared: dict) -> None:
    """Refuse values of the wrong type or out of range, naming the parameter and the value.

    Args:
        values: Parameters to inject.
        declared: ``papermill.inspect_notebook``'s description of the parameters cell (its
            ``default`` is the literal's source text).

    Raises:
        ProfileError: ``SEEDS=abc``, ``MAX_TRACKS=-3``, ``EPOCHS=ten``...
    """
    for name, value in values.items():
        if name not in declared:
            continue
        try:
            default = ast.literal_eval(declared[name]["default"])
        except (ValueError, SyntaxError):
            default = None
        if name == "SEEDS":
            ok = (isinstance(value, (list, tuple)) and len(value) > 0
                  and all(_kind(s) == "int" and s >= 0 for s in value))
            if not ok:
                raise ProfileError(f"SEEDS must be a non-empty list of non-negative integers, got {value!r}")
            continue
        if not _accepts(default, value):
            raise ProfileError(
                f"{name} must be {_kind(default)} like its default {default!r}, "
                f"got {_kind(value)} {value!r}"
            )
        if _NON_NEGATIVE.match(name) and _kind(value) in ("int", "float") and value < 0:
            raise ProfileError(f"{name} cannot be negative, got {value!r}")
