"""Verdicts: a claim is marked from the numbers, with the numbers in the evidence."""

import math

import pandas as pd
import pytest

from mer_lib import verdicts


def test_a_consistent_paired_gain_holds_and_a_noisy_one_does_not():
    better = pd.Series([0.70, 0.72, 0.71], index=[0, 1, 2])
    consistent = verdicts.compare("A beats B", better, better - 0.05, "test acc")
    noisy = verdicts.compare("A beats B", better, better + pd.Series([-0.10, 0.08, -0.01], index=[0, 1, 2]),
                             "test acc")
    assert consistent.verdict == verdicts.HOLDS and consistent.holds
    assert "+0.050" in consistent.evidence and "3/3" in consistent.evidence
    assert noisy.verdict == verdicts.FAILS and not noisy.holds


def test_the_lower_bound_is_students_t_and_needs_two_values():
    # mean 1, std 1, n 4: 1 - t(0.95, 3) * 1 / 2 = 1 - 2.3534 / 2
    assert verdicts.lower_bound([0.0, 1.0, 1.0, 2.0]) == pytest.approx(1 - 2.353363 * (2 / 3) ** 0.5 / 2, abs=1e-5)
    assert math.isnan(verdicts.lower_bound([0.3]))


def test_one_seed_is_marked_by_sign_and_says_there_is_no_spread():
    one = verdicts.compare("A beats B", pd.Series([0.6], index=[0]), pd.Series([0.5], index=[0]), "acc")
    assert one.holds and "no spread" in one.evidence


def test_seeds_are_paired_by_index_and_a_missing_pair_is_untestable():
    untested = verdicts.compare("A beats B", pd.Series([0.6], index=[0]), pd.Series([0.5], index=[1]), "acc")
    assert untested.verdict == verdicts.UNTESTABLE


def test_threshold_and_table():
    table = verdicts.table([verdicts.threshold("R² above 0.5", 0.62, 0.5, "R²"),
                            verdicts.threshold("F1 above 0.5", 0.41, 0.5, "F1"),
                            verdicts.untestable("the minute matters", "clips last 30 s")])
    assert table["verdict"].tolist() == [verdicts.HOLDS, verdicts.FAILS, verdicts.UNTESTABLE]
    assert table.index.name == "claim" and list(table.columns) == ["verdict", "evidence"]
    with pytest.raises(ValueError, match="twice"):
        verdicts.table([verdicts.untestable("x", "a"), verdicts.untestable("x", "b")])


def test_a_margin_lets_a_slightly_lower_score_match_beyond_the_noise():
    worse = pd.Series([0.35, 0.36, 0.34], index=[0, 1, 2])
    better = worse + pd.Series([-0.004, -0.005, -0.006], index=[0, 1, 2])
    within = verdicts.compare("SA matches", better, worse, "PR-AUC", margin=0.01)
    assert within.holds and within.evidence.endswith("; needs > -0.010")
    assert not verdicts.compare("SA matches", better, worse, "PR-AUC").holds
    assert not verdicts.compare("SA matches", worse - 0.05, worse, "PR-AUC", margin=0.01).holds


def test_without_a_margin_the_evidence_names_no_needed_bound():
    worse = pd.Series([0.35, 0.36, 0.34], index=[0, 1, 2])
    plain = verdicts.compare("A beats B", worse + 0.01, worse, "acc")
    assert plain.evidence.endswith("ahead in 3/3") and "needs" not in plain.evidence


def test_one_seed_within_the_margin_matches_and_shows_its_difference():
    one = verdicts.compare("SA matches", pd.Series([0.30], index=[0]), pd.Series([0.305], index=[0]), "PR-AUC",
                           margin=0.01)
    assert one.holds and "no spread" in one.evidence
    assert "difference -0.005; needs > -0.010" in one.evidence
    assert not verdicts.compare("SA matches", pd.Series([0.30], index=[0]), pd.Series([0.305], index=[0]),
                                "PR-AUC").holds


def test_an_interval_claim_holds_only_when_the_whole_interval_lies_above_zero():
    assert verdicts.interval("a beats b", 0.05, 0.01, 0.09, "acc difference").holds
    assert not verdicts.interval("a beats b", 0.05, -0.01, 0.09, "acc difference").holds
    assert verdicts.interval("a beats b", float("nan"), 0.0, 0.0, "acc difference").verdict == verdicts.UNTESTABLE
