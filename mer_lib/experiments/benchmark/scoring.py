"""From finished cells to what a reader trusts: mean ± std per (row, task), ranks and a
critical difference, paired bootstrap comparisons with references chosen on validation, the
sentences that read them and the verdicts.

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from mer_lib import metrics, verdicts
from mer_lib.experiments.benchmark import METHODS, ROWS
from mer_lib.experiments.benchmark.base import SIMPLE
from mer_lib.experiments.benchmark.tasks import Task
from mer_lib.grid import Cell

METRICS = ("accuracy", "f1_macro")


def result_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Scores in the layout of :meth:`mer_lib.reporting.Run.write_results`: one line per
    (row, seed), one column per ``<task>_<metric>`` (``mirex_mm_cluster_accuracy``), and the
    cells' wall times (``<task>_seconds``, timings)."""
    long = scores.melt(id_vars=["row", "task", "seed"], value_vars=[*METRICS, "seconds"], var_name="metric")
    long["column"] = (long["task"].str.replace(r"[^a-z0-9]+", "_", regex=True) + "_" + long["metric"])
    wide = long.pivot_table(index=["row", "seed"], columns="column", values="value", sort=False)
    return wide.reset_index().rename_axis(columns=None)



def scores_table(results: Mapping[Cell, dict]) -> pd.DataFrame:
    """One line per cell: ``row``, ``task``, ``seed``, validation accuracy, the test metrics and
    the cell's wall time on its worker (``seconds``)."""
    return pd.DataFrame([{"row": c.row, "task": c.task, "seed": c.seed,
                          "validation_accuracy": r["validation_accuracy"], **{m: r[m] for m in METRICS},
                          "seconds": r["seconds"]}
                         for c, r in results.items()])


def summary(scores: pd.DataFrame, status: pd.DataFrame, metric: str = "accuracy", digits: int = 3) -> pd.DataFrame:
    """(row × task) ``"mean ± std"`` over seeds; a cell that did not run keeps its reason."""
    text = _mean_std(scores.groupby(["row", "task"])[metric], digits)
    out = status.copy()
    for (row, task), value in text.items():
        out.loc[row, task] = value
    return out


def _mean_std(grouped, digits: int) -> pd.Series:
    """``"mean ± std"`` of each group (a group of one has no spread: ± 0)."""
    return (grouped.mean().map(lambda v: f"{v:.{digits}f}") + " ± "
            + grouped.std(ddof=1).fillna(0.0).map(lambda v: f"{v:.{digits}f}"))


def means(scores: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """(row × task) mean of ``metric`` over seeds (NaN where a row did not run)."""
    return scores.pivot_table(index="row", columns="task", values=metric, aggfunc="mean", sort=False)


def ranks(scores: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Rank of every row's mean per task (1 = best, ties share the mean rank) and, for rows that
    ran on every task, the mean rank over tasks."""
    table = means(scores, metric).rank(ascending=False, method="average")
    table["mean rank"] = table.mean(axis=1).where(table.notna().all(axis=1))
    return table.sort_values("mean rank", na_position="last")


def _validation_means(scores: pd.DataFrame, task: str) -> pd.Series:
    return scores[scores["task"] == task].groupby("row", sort=False)["validation_accuracy"].mean()


def best_on_validation(scores: pd.DataFrame, task: str, candidates: Sequence[str]) -> str | None:
    """The candidate row with the best mean validation accuracy on ``task`` (the first listed on
    ties), among those that ran there; None when none did."""
    validation = _validation_means(scores, task)
    ran = [name for name in candidates if name in validation.index]
    return max(ran, key=lambda name: (validation[name], -ran.index(name))) if ran else None


def reference_row(row: str, task: str, scores: pd.DataFrame) -> str:
    """The simple baseline a row is read against: the best on validation among those that
    need only the row's modalities (the majority class needs none), other than the row."""
    needs = set(ROWS[row].modalities)
    return best_on_validation(scores, task, [name for name, method in METHODS.items() if method.source == SIMPLE
                                             and name != row and set(method.row.modalities) <= needs])


def _modalities(row: str) -> frozenset:
    return frozenset(ROWS[row].modalities)


def comparison_pairs(scores: pd.DataFrame, task: str) -> list[tuple[str, str, str]]:
    """``(question, row, reference)`` pairs a task is asked, every reference chosen on validation:

    * ``baseline``: each row against :func:`reference_row`;
    * ``fusion``: each row on several modalities against the best row on a strict subset of them;
    * ``modality``: the best lyrics-only row against the best audio-only row.
    """
    ran = list(dict.fromkeys(scores.loc[scores["task"] == task, "row"]))
    pairs = [("baseline", row, reference_row(row, task, scores)) for row in ran if row != "majority"]
    for row in ran:
        if len(_modalities(row)) > 1:
            fewer = best_on_validation(scores, task, [r for r in ran if _modalities(r) and _modalities(r) < _modalities(row)])
            if fewer is not None:
                pairs.append(("fusion", row, fewer))
    lyrics, audio = (best_on_validation(scores, task, [r for r in ran if _modalities(r) == {m}]) for m in ("lyrics", "audio"))
    if lyrics and audio:
        pairs.append(("modality", lyrics, audio))
    return pairs


def comparisons(results: Mapping[Cell, dict], tasks: Sequence[Task], n_boot: int = 2000,
                metric: str = "accuracy") -> pd.DataFrame:
    """Every :func:`comparison_pairs` pair of every task: the difference of seed-mean test
    ``metric`` with a paired bootstrap 95 % interval over test clips (:func:`metrics.paired_bootstrap_over_seeds`)."""
    scores = scores_table(results)
    scorer = {"accuracy": metrics.accuracy, "f1_macro": metrics.f1_macro}[metric]
    records = []
    for task in tasks:
        predictions = {}
        for cell, result in results.items():
            if cell.task == task.name:
                predictions.setdefault(cell.row, []).append(result["test_predictions"])
        for question, row, reference in comparison_pairs(scores, task.name):
            difference, low, high = metrics.paired_bootstrap_over_seeds(
                task.labels("test"), predictions[row], predictions[reference], scorer, n_boot=n_boot)
            records.append({"question": question, "row": row, "task": task.name, "reference": reference,
                            "difference": difference, "low": low, "high": high})
    return pd.DataFrame(records, columns=["question", "row", "task", "reference", "difference", "low", "high"])


def best_per_modalities(scores: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Per task and modality combination, the row with the best mean validation accuracy, with
    its validation accuracy and its test accuracy (mean ± std over seeds): chosen on
    validation, as every reference of :func:`comparison_pairs` is, so the test column is not
    the maximum of many test scores."""
    grouped = scores.groupby(["task", "row"])
    table = pd.DataFrame({"validation": grouped["validation_accuracy"].mean().round(digits),
                          "test": _mean_std(grouped["accuracy"], digits)}).reset_index()
    table["modalities"] = table["row"].map(lambda name: " + ".join(ROWS[name].modalities) or "none")
    best = table.loc[table.groupby(["task", "modalities"])["validation"].idxmax()]
    return best.set_index(["task", "modalities"])[["row", "validation", "test"]]


#: How a comparison of each kind reads as a claim.
CLAIMS = {"baseline": "{row} beats its simple baseline {reference} on {task}",
          "fusion": "{row} beats {reference}, the best row on fewer of its modalities, on {task}",
          "modality": "lyrics beat audio on {task} (best rows on validation: {row} vs {reference})"}


def claims(compared: pd.DataFrame, digits: int = 3) -> list[verdicts.Verdict]:
    """One verdict per line of :func:`comparisons` (:data:`CLAIMS`): it holds when the paired
    95 % interval of the difference lies above 0."""
    return [verdicts.interval(CLAIMS[line.question].format(row=line.row, reference=line.reference, task=line.task),
                              line.difference, line.low, line.high, "test accuracy difference", digits)
            for line in compared.itertuples()]


def readings(scores: pd.DataFrame, compared: pd.DataFrame, top: int = 3, digits: int = 3) -> list[str]:
    """The sentences that read the results, from the numbers: per task its ``top`` rows (mean ±
    std of test accuracy over seeds), the network rows that do not beat their simple baseline,
    the fusions that beat the best row on fewer of their modalities, lyrics against audio, and
    over several tasks how often a network row beats its baseline and a fusion its parts."""
    out = []
    networks = compared[(compared["question"] == "baseline") & compared["row"].map(lambda r: METHODS[r].source != SIMPLE)]
    grouped = scores.groupby(["task", "row"])["accuracy"]
    mean, std = grouped.mean(), grouped.std(ddof=1).fillna(0.0)
    for task in dict.fromkeys(scores["task"]):
        best = mean[task].sort_values(ascending=False).head(top)
        listed = ", ".join(f"{row} {value:.{digits}f} ± {std[task][row]:.{digits}f}" for row, value in best.items())
        out.append(f"{task}: the best rows are {listed}.")
        lines = networks[networks["task"] == task]
        failing = lines[lines["low"] <= 0]
        if len(lines):
            out.append(f"{task}: {len(failing)} of {len(lines)} network rows do not beat their simple baseline "
                       f"(95 % interval reaching 0 or below)" + (f": {', '.join(failing['row'])}." if len(failing) else "."))
        fusions = compared[(compared["question"] == "fusion") & (compared["task"] == task)]
        winning = fusions[fusions["low"] > 0]
        if len(fusions):
            out.append(f"{task}: {len(winning)} of {len(fusions)} fusions beat the best row on fewer of their "
                       "modalities" + (": " + "; ".join(f"{line.row} over {line.reference} by {_difference(line, digits)}"
                                                       for line in winning.itertuples()) if len(winning) else "") + ".")
        for line in compared[(compared["question"] == "modality") & (compared["task"] == task)].itertuples():
            outcome = ("lyrics are better" if line.low > 0 else "audio is better" if line.high < 0
                       else "this test set does not tell them apart")
            out.append(f"{task}: lyrics against audio (the best row of each on validation, {line.row} against "
                       f"{line.reference}): {_difference(line, digits)}, {outcome}.")
    if compared["task"].nunique() > 1:
        every_fusion = compared[compared["question"] == "fusion"]
        out.append(f"Over the {compared['task'].nunique()} tasks: {int((networks['low'] > 0).sum())} of {len(networks)} "
                   f"(network row, task) pairs beat their simple baseline, and {int((every_fusion['low'] > 0).sum())} of "
                   f"{len(every_fusion)} fusions beat the best row on fewer of their modalities.")
    return out


def _difference(line, digits: int) -> str:
    return f"{line.difference:+.{digits}f} (95 % interval {line.low:+.{digits}f} to {line.high:+.{digits}f})"


def critical_difference(ranking: pd.DataFrame, alpha: float = 0.05) -> tuple[pd.Series, float, int]:
    """Mean ranks of the rows that ran on every task, and the Nemenyi critical difference: two
    rows whose mean ranks differ by less are not told apart over these tasks (Demšar, JMLR 2006).

    Returns:
        ``(mean rank per row, best first; critical difference; number of tasks)``.
    """
    complete = ranking.drop(columns="mean rank").dropna()
    if complete.empty:
        raise ValueError("no row ran on every task: a critical difference needs common rows")
    k, n = complete.shape
    # Re-rank among the common rows only: the ranks of the Friedman/Nemenyi test.
    ranks = complete.rank(ascending=True, method="average").mean(axis=1).sort_values()
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2) if k > 1 else 0.0
    return ranks, float(q * np.sqrt(k * (k + 1) / (6 * n))), n
