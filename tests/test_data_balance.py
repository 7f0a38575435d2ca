"""Quadrant balancing touches the training split only and leaks no clip across splits."""

from __future__ import annotations

import pandas as pd
import pytest

from mer_lib.data.balance import balance_classes, balance_quadrants

TRAIN_COUNTS = {"Q1": 10, "Q2": 2, "Q3": 5, "Q4": 7}


def table():
    rows = []
    for quadrant, n in TRAIN_COUNTS.items():
        rows += [{"track_id": f"tr_{quadrant}_{i}", "split": "train", "quadrant": quadrant,
                  "lyrics": f"song {quadrant} {i}"} for i in range(n)]
    for split in ("validation", "test"):
        rows += [{"track_id": f"{split[:3]}_{q}_{i}", "split": split, "quadrant": q, "lyrics": "x"}
                 for q in TRAIN_COUNTS for i in range(2)]
    return pd.DataFrame(rows)


def test_each_training_quadrant_gets_exactly_the_target():
    balanced = balance_quadrants(table(), per_quadrant=6, seed=0)
    train = balanced[balanced["split"] == "train"]
    assert train["quadrant"].value_counts().to_dict() == {q: 6 for q in TRAIN_COUNTS}
    assert balanced["track_id"].is_unique


def test_validation_and_test_are_untouched_and_share_no_clip_with_training():
    original = table()
    balanced = balance_quadrants(original, per_quadrant=6, seed=0)
    for split in ("validation", "test"):
        before = original[original["split"] == split].reset_index(drop=True)
        after = balanced[balanced["split"] == split][list(original.columns)].reset_index(drop=True)
        pd.testing.assert_frame_equal(before, after)
    train_sources = set(balanced.loc[balanced["split"] == "train", "source_track_id"])
    held_out = set(balanced.loc[balanced["split"] != "train", "track_id"])
    assert not train_sources & held_out
    assert train_sources <= set(original.loc[original["split"] == "train", "track_id"])


def test_duplicates_use_every_original_and_are_marked():
    balanced = balance_quadrants(table(), per_quadrant=6, seed=0)
    q2 = balanced[(balanced["split"] == "train") & (balanced["quadrant"] == "Q2")]
    assert q2["source_track_id"].value_counts().to_dict() == {"tr_Q2_0": 3, "tr_Q2_1": 3}
    copies = q2[q2["duplicate"] > 0]
    assert all(t == f"{s}#dup{k}" for t, s, k in zip(copies["track_id"], copies["source_track_id"], copies["duplicate"]))
    assert (copies["lyrics"].str.startswith("song Q2")).all()  # columns come along


def test_removal_keeps_distinct_originals_and_is_seeded():
    a = balance_quadrants(table(), per_quadrant=3, seed=1)
    b = balance_quadrants(table(), per_quadrant=3, seed=1)
    pd.testing.assert_frame_equal(a, b)
    q1 = a[(a["split"] == "train") & (a["quadrant"] == "Q1")]
    assert q1["track_id"].is_unique and (q1["duplicate"] == 0).all()


def test_bad_requests_are_clear_errors():
    with pytest.raises(ValueError, match="per_quadrant"):
        balance_quadrants(table(), per_quadrant=0)
    no_q4 = table()[lambda t: ~((t["split"] == "train") & (t["quadrant"] == "Q4"))]
    with pytest.raises(ValueError, match="Q4"):
        balance_quadrants(no_q4, per_quadrant=4)
    with pytest.raises(ValueError, match="no 'mood' column"):
        balance_quadrants(table(), per_quadrant=4, label="mood")


def test_balance_classes_downsamples_the_majority_only():
    table = pd.DataFrame({"track_id": [str(i) for i in range(30)],
                          "polarity": ["positive"] * 20 + ["negative"] * 10})
    balanced = balance_classes(table, seed=1)
    assert balanced.polarity.value_counts().to_dict() == {"positive": 10, "negative": 10}
    assert set(table.track_id[20:]) <= set(balanced.track_id)       # the minority class is kept whole
    assert balanced.track_id.tolist() == balance_classes(table, seed=1).track_id.tolist()
    assert balanced.track_id.tolist() != balance_classes(table, seed=2).track_id.tolist()
    with pytest.raises(ValueError, match="need two classes"):
        balance_classes(table[table.polarity == "positive"])
