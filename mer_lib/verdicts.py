"""Verdicts: a paper's claims read off this run's numbers, never written by hand.

Every paper notebook ends with a table of its paper's claims, each marked :data:`HOLDS`,
:data:`FAILS` or :data:`UNTESTABLE`, with the numbers behind the mark. A verdict is built
from numbers (:func:`compare` for "A beats B" on paired seeds, :func:`threshold` for "X is
at least t") or, where the data cannot test a claim, :func:`untestable` with the reason::

    table = verdicts.table([
        verdicts.compare("lyrics beat audio", scores_lyrics, scores_audio, "test acc"),
        verdicts.untestable("the minute of audio matters", "every clip lasts 30 s"),
    ])

A comparison *holds* when the mean paired difference is above zero by more than its noise:
the one-sided 95 % lower bound of the mean over seeds (Student's t) is above 0. A claim that
one thing *matches* another gives the margin by which it may fall short: the bound must then
be above ``-margin``. With a single seed there is no spread to read, and the evidence says so.

Notebook: the last section ("Verdict") of every paper notebook.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

HOLDS, FAILS, UNTESTABLE = "holds", "does not hold here", "not testable here"
#: One-sided confidence of the lower bound a comparison must clear.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Verdict:
    """One claim, its mark (:data:`HOLDS`, :data:`FAILS` or :data:`UNTESTABLE`) and the numbers."""

    claim: str
    verdict: str
    evidence: str

    @property
    def holds(self) -> bool:
        """Whether the claim holds on this run's numbers."""
        return self.verdict == HOLDS


def untestable(claim: str, reason: str) -> Verdict:
    """A claim this run's data cannot test, with the reason."""
    return Verdict(claim, UNTESTABLE, reason)


def lower_bound(differences) -> float:
    """One-sided :data:`CONFIDENCE` lower bound of the mean of ``differences`` (Student's t);
    NaN for fewer than two values."""
    values = np.asarray(differences, dtype=float)
    if len(values) < 2:
        return math.nan
    spread = values.std(ddof=1) / math.sqrt(len(values))
    return float(values.mean() - stats.t.ppf(CONFIDENCE, len(values) - 1) * spread)


def compare(claim: str, better: pd.Series, worse: pd.Series, metric: str, digits: int = 3,
            margin: float = 0.0) -> Verdict:
    """"``better`` beats ``worse``" (with a ``margin``: "matches or beats it within ``margin``"),
    tested on their per-seed scores paired by index (seed).

    Holds when the mean of ``better - worse`` over the common seeds is above ``-margin`` and its
    one-sided 95 % lower bound too (:func:`lower_bound`); with one seed, when the difference
    is above ``-margin`` (the evidence says no spread was measured).

    Args:
        claim: The claim in words ("lyrics beat audio").
        better, worse: Scores indexed by seed (higher is better).
        metric: What the scores are, for the evidence ("test accuracy").
        digits: Decimals of the evidence.
        margin: How much lower ``better`` may score and still hold (absolute, on the metric's
            scale); the evidence then ends with the bound it needs (and, with one seed, the
            difference). 0: ``better`` must score higher.
    """
    difference = (better - worse).dropna()
    if difference.empty:
        return untestable(claim, f"no seed has both scores ({metric})")
    mean, bound, n = float(difference.mean()), lower_bound(difference), len(difference)
    wins = int((difference > 0).sum())
    if n == 1:
        evidence = f"{metric}: {float(better.mean()):.{digits}f} vs {float(worse.mean()):.{digits}f} (one seed: no spread)"
        if margin:
            evidence += f", difference {mean:+.{digits}f}"
        holds = mean > -margin
    else:
        evidence = (f"{metric}: {float(better[difference.index].mean()):.{digits}f} vs "
                    f"{float(worse[difference.index].mean()):.{digits}f}, difference {mean:+.{digits}f} "
                    f"± {float(difference.std(ddof=1)):.{digits}f} over {n} seeds (95 % lower bound "
                    f"{bound:+.{digits}f}), ahead in {wins}/{n}")
        holds = mean > -margin and bound > -margin
    if margin:
        evidence += f"; needs > {-margin:+.{digits}f}"
    return Verdict(claim, HOLDS if holds else FAILS, evidence)


def threshold(claim: str, value: float, at_least: float, what: str, digits: int = 3) -> Verdict:
    """"``what`` is at least ``at_least``": holds when ``value >= at_least`` (NaN: untestable)."""
    if value is None or math.isnan(value):
        return untestable(claim, f"{what} was not measured")
    mark = HOLDS if value >= at_least else FAILS
    return Verdict(claim, mark, f"{what} = {value:.{digits}f} (needs ≥ {at_least:.{digits}f})")


def table(verdicts: Iterable[Verdict]) -> pd.DataFrame:
    """The verdict table: one line per claim (index ``claim``), columns ``verdict`` and ``evidence``."""
    frame = pd.DataFrame([asdict(v) for v in verdicts], columns=["claim", "verdict", "evidence"])
    if frame["claim"].duplicated().any():
        raise ValueError(f"a claim appears twice: {frame['claim'][frame['claim'].duplicated()].tolist()}")
    return frame.set_index("claim")


def interval(claim: str, difference: float, low: float, high: float, what: str, digits: int = 3) -> Verdict:
    """"A beats B" read on an interval of their difference: holds when the whole 95 % interval
    lies above 0 (it says nothing of a row that merely does not lose)."""
    if any(math.isnan(v) for v in (difference, low, high)):
        return untestable(claim, f"{what} was not measured")
    return Verdict(claim, HOLDS if low > 0 else FAILS,
                   f"{what} {difference:+.{digits}f} (95 % interval {low:+.{digits}f} to {high:+.{digits}f})")
