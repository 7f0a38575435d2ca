"""Reports: one folder per run with figures, tables and ``results.json``.

A notebook calls :func:`start_run` once, then ``run.save_figure``, ``run.save_table`` and
finally ``run.write_results``. The layout (``../shared/GUIDE.md``)::

    reports/<notebook>/<profile>/
        figures/*.png
        tables/*.csv, tables/*.md
        results.json
        notebook.ipynb          (written by the runner)

``results.json`` schema (read by the reports index and by outside checks)::

    {"notebook", "profile", "dataset", "seeds": [...],
     "metrics": {"<row>.<metric>": mean over seeds},
     "metrics_std": {"<row>.<metric>": std over seeds},
     "timings": {"<row>.<metric>": mean seconds, "wall_s": the run's wall time},
     "paper": {"<row>.<metric>": the paper's value},
     "params", "versions", "git_commit", "host", "cpu", "gpu",
     "inputs_digest", "numerics"}              (added by the runner: see mer_lib.runner)

``metrics`` is exactly the reproducible part of a run (``make verify`` compares it); times
(a metric or table column named ``*_s``, ``seconds`` or ``*_seconds``, see :func:`is_timing`)
go to ``timings``, which nothing compares.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from mer_lib.fileio import atomic_write_text
from mer_lib.papers import comparable
from mer_lib.paths import reports_dir
from mer_lib.repro import resolve_device, run_info, seed_everything

_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_TIMING = re.compile(r"(^|_)(s|seconds)$")
FIGURE_DPI = 100


def is_timing(name: str) -> bool:
    """Whether a metric or table column holds seconds (``train_s``, ``seconds``,
    ``train_seconds``, ``train_s mean``): such values differ between runs and machines."""
    return bool(_TIMING.search(str(name).split(".")[-1].split(" ")[0]))


def _check_name(kind: str, name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{kind} name {name!r} must be lower_snake_case (letters, digits, _)")
    return name


@dataclass
class Run:
    """A notebook run and the folder its report goes to. Create it with :func:`start_run`."""

    notebook: str
    profile: str
    dataset: str
    out_dir: Path
    params: dict = field(default_factory=dict)
    started: float = field(default_factory=time.time)

    @property
    def figures_dir(self) -> Path:
        return self.out_dir / "figures"

    @property
    def tables_dir(self) -> Path:
        return self.out_dir / "tables"

    def save_figure(self, fig, name: str, dpi: int = FIGURE_DPI) -> Path:
        """Save ``fig`` as ``figures/<name>.png`` (modest dpi keeps reports small)."""
        path = self.figures_dir / f"{_check_name('figure', name)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
        return path

    def save_table(self, table: pd.DataFrame, name: str, float_format: str = "%.4f") -> Path:
        """Save ``table`` as ``tables/<name>.csv`` and ``tables/<name>.md``."""
        stem = self.tables_dir / _check_name("table", name)
        stem.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(stem.with_suffix(".csv"), table.to_csv(float_format=float_format))
        atomic_write_text(stem.with_suffix(".md"), table.to_markdown(floatfmt=float_format[1:]) + "\n")
        return stem.with_suffix(".csv")

    def write_results(self, scores: pd.DataFrame, paper: dict | None = None, seeds=None) -> dict:
        """Aggregate per-seed scores and write ``results.json``.

        Args:
            scores: One line per (row, seed): columns ``row``, ``seed`` and one column per
                metric (lower_snake names, e.g. ``q4_acc``). NaN means "not applicable".
            paper: The paper's values, ``{"<row>.<metric>": value}``.
            seeds: Seeds used (default: the distinct values of ``scores.seed``).

        Returns:
            The dict written to ``results.json``.
        """
        summary, summary_std = summarize_scores(scores)
        metrics = {k: v for k, v in summary.items() if not is_timing(k)}
        metrics_std = {k: v for k, v in summary_std.items() if not is_timing(k)}
        timings = {k: v for k, v in summary.items() if is_timing(k)}
        paper = {k: float(v) for k, v in (paper or {}).items()}
        for key in paper:
            row, _, metric = key.partition(".")
            _check_name("row", row)
            _check_name("metric", metric)
        if seeds is None:
            seeds = sorted(int(s) for s in pd.unique(scores["seed"]))
        info = run_info()
        results = {
            "notebook": self.notebook,
            "profile": self.profile,
            "dataset": self.dataset,
            "seeds": [int(s) for s in seeds],
            "metrics": metrics,
            "metrics_std": metrics_std,
            "timings": {**timings, "wall_s": round(time.time() - self.started, 2)},
            "paper": paper,
            "params": _jsonable(self.params),
            "versions": info["versions"],
            "git_commit": info["git_commit"],
            "host": info["host"],
            "cpu": info["cpu"],
            "gpu": info["gpu"],
        }
        atomic_write_text(self.out_dir / "results.json", json.dumps(results, indent=2) + "\n")
        return results


def start_run(notebook: str, profile: str, dataset: str, params: dict | None = None,
              out_dir: str | os.PathLike | None = None) -> Run:
    """Begin a run: create its report folder and start the wall clock.

    Args:
        notebook: Notebook name, e.g. ``"00_primer"``.
        profile: Profile name, e.g. ``"demo"``.
        dataset: Name of the dataset the run uses.
        params: The run's parameters (see :func:`mer_lib.params.notebook_params`).
        out_dir: Report folder; ``None`` or ``""`` means ``reports/<notebook>/<profile>``
            (the runner passes a temporary folder it swaps in on success).

    Returns:
        Run
    """
    folder = Path(out_dir) if out_dir else reports_dir() / notebook / profile
    folder.mkdir(parents=True, exist_ok=True)
    return Run(notebook=notebook, profile=profile, dataset=dataset, out_dir=folder,
               params=dict(params or {}))


#: Screen resolution of the figures shown in a notebook (files are written at :data:`FIGURE_DPI`).
NOTEBOOK_DPI = 80


def start_notebook(notebook: str, params: dict) -> tuple[Run, torch.device]:
    """What every notebook does first: seed, pick the device, set the threads, open the report.

    Seeds with the first of ``SEEDS`` (or ``SEED``), resolves ``DEVICE`` (default ``"auto"``),
    sets ``TORCH_THREADS`` when it is given and non-zero, and starts the run of ``PROFILE`` on
    ``DATASET`` in ``OUT_DIR`` (:func:`start_run`).

    Args:
        notebook: The notebook's name, e.g. ``"01_jeon2017_end_to_end_polarity"``.
        params: The run's parameters (:func:`mer_lib.params.notebook_params`).

    Returns:
        ``(run, device)``.
    """
    seed_everything(params["SEEDS"][0] if params.get("SEEDS") else params.get("SEED", 0))
    device = resolve_device(params.get("DEVICE", "auto"))
    if params.get("TORCH_THREADS"):
        torch.set_num_threads(int(params["TORCH_THREADS"]))
    plt.rcParams["figure.dpi"] = NOTEBOOK_DPI
    run = start_run(notebook, params["PROFILE"], params["DATASET"], params=params, out_dir=params.get("OUT_DIR"))
    return run, device


def summarize_scores(scores: pd.DataFrame) -> tuple[dict, dict]:
    """Mean and standard deviation over seeds of every (row, metric).

    The std is the sample std (ddof=1) over seeds; 0.0 for a single seed.

    Returns:
        ``(metrics, metrics_std)``, each ``{"<row>.<metric>": float}``.
    """
    for column in ("row", "seed"):
        if column not in scores.columns:
            raise ValueError(f"scores needs a {column!r} column, has {list(scores.columns)}")
    metrics, metrics_std = {}, {}
    metric_columns = [c for c in scores.columns if c not in ("row", "seed")]
    for metric in metric_columns:
        _check_name("metric", metric)
    for row, group in scores.groupby("row", sort=False):
        _check_name("row", str(row))
        for metric in metric_columns:
            values = pd.to_numeric(group[metric], errors="coerce").dropna().to_numpy(float)
            if len(values) == 0:
                continue
            key = f"{row}.{metric}"
            metrics[key] = float(values.mean())
            metrics_std[key] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return metrics, metrics_std


def paper_vs_ours(results: dict, digits: int = 3) -> pd.DataFrame:
    """The "Paper vs. this study" table: every metric the paper reports next to ours.

    Args:
        results: A ``results.json`` dict (as returned by :meth:`Run.write_results`).
        digits: Rounding of the displayed numbers.

    Returns:
        DataFrame indexed by (row, metric) with columns ``paper``, ``ours``, ``std`` and
        ``delta`` (ours − paper); metrics we did not measure show NaN, and so does every
        ``delta`` of a run on other data than the paper's (:func:`mer_lib.papers.comparable`):
        a difference between numbers measured on two datasets measures nothing.
    """
    same_data = comparable(results.get("notebook", ""), results.get("dataset", ""))
    keys = list(results.get("paper", {}))
    keys += [k for k in results.get("metrics", {}) if k not in keys and not results["paper"]]
    records = []
    for key in keys:
        row, _, metric = key.partition(".")
        paper = results.get("paper", {}).get(key, math.nan)
        ours = results.get("metrics", {}).get(key, math.nan)
        records.append({
            "row": row, "metric": metric, "paper": paper, "ours": ours,
            "std": results.get("metrics_std", {}).get(key, math.nan), "delta": ours - paper if same_data else math.nan,
        })
    table = pd.DataFrame.from_records(records, columns=["row", "metric", "paper", "ours", "std", "delta"])
    return table.set_index(["row", "metric"]).round(digits)


def mean_std(scores: pd.DataFrame, metrics, by: str = "row", digits: int = 3) -> pd.DataFrame:
    """``"mean ± std"`` strings per ``by`` group (first-seen order) for each metric column.

    The std is the sample std (ddof=1) over seeds, 0 for a single seed (as :func:`summarize_scores`).
    """
    grouped = scores.groupby(by, sort=False)[list(metrics)]
    mean, std = grouped.mean(), grouped.std(ddof=1).fillna(0.0)
    return mean.map(lambda v: f"{v:.{digits}f}") + " ± " + std.map(lambda v: f"{v:.{digits}f}")


def per_seed(scores: pd.DataFrame, row: str, metric: str, by: str = "row", seed: str = "seed") -> pd.Series:
    """``row``'s ``metric`` as a Series indexed by seed, from a long table of one line per (row, seed)
    (``by`` and ``seed`` name its columns): one side of a comparison paired by seed."""
    return scores[scores[by] == row].set_index(seed)[metric]


def paired_differences(scores: pd.DataFrame, reference: str, metric: str, rows=None, by: str = "row",
                       seed: str = "seed", label: str | None = None) -> pd.DataFrame:
    """Per row: ``reference``'s ``metric`` minus the row's, paired by seed (same split and data).

    Args:
        scores: One line per (row, seed).
        reference: The row the others are compared with.
        metric: The metric column.
        rows: The rows to compare (default every other row, in first-seen order).
        label: Name of the mean column (default ``"<reference> minus row (<metric>)"``).

    Returns:
        Indexed by row: the mean difference, ``std over seeds`` (NaN for one seed) and
        ``seeds where <reference> is better`` (``"k/n"``); empty without the reference.
    """
    rows = [r for r in (rows if rows is not None else scores[by].unique()) if r != reference]
    if reference not in set(scores[by]) or not rows:
        return pd.DataFrame()
    reference_scores = per_seed(scores, reference, metric, by, seed)
    out = []
    for row in rows:
        diff = reference_scores - per_seed(scores, row, metric, by, seed)
        out.append({by: row, label or f"{reference} minus row ({metric})": diff.mean(),
                    "std over seeds": diff.std(ddof=1) if len(diff) > 1 else np.nan,
                    f"seeds where {reference} is better": f"{int((diff > 0).sum())}/{len(diff)}"})
    return pd.DataFrame(out).set_index(by)


def training_run(row: str, seed, trained, metric: str | None = None) -> dict:
    """One line of a "training runs" table from a :class:`mer_lib.train.Trained`: epochs run,
    the restored epoch, (with ``metric``) its validation metric under that name, the wall time."""
    line = {"row": row, "seed": seed, "epochs_run": trained.epochs_run, "best_epoch": trained.best_epoch}
    if metric:
        line[metric] = trained.best_val_metric
    return {**line, "seconds": round(trained.seconds, 1)}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)
