"""Splits and targets of a comparison: ids per split, target layouts, usable clips, fresh splits."""

import numpy as np
import pandas as pd
import pytest

from mer_lib.data import splits


def table():
    return pd.DataFrame({
        "track_id": [f"t{i}" for i in range(8)],
        "split": ["train", "train", "train", "train", "validation", "validation", "test", "test"],
        "valence": [0.1, -0.2, 0.3, None, 0.5, -0.5, 0.2, -0.1],
        "quadrant": ["Q1", "Q2", "Q3", "Q4", "Q1", "Q2", "Q3", "Q4"],
        "lyrics": ["a", "", "b", "c", "d", None, "e", "f"],
        "audio_path": ["x.wav"] * 8,
    })


def test_split_ids_and_targets_follow_table_order():
    t = table().dropna(subset=["valence"])
    ids = splits.split_ids(t)
    assert ids["train"] == ["t0", "t1", "t2"] and ids["test"] == ["t6", "t7"]
    y = splits.target_arrays(t, ["valence"], "quadrant", ["Q1", "Q2", "Q3", "Q4"])
    assert y["train"].dtype == np.float32 and y["train"].shape == (3, 2)
    np.testing.assert_allclose(y["validation"], [[0.5, 0.0], [-0.5, 1.0]])
    stacked = splits.stack_split({tid: np.full(2, i) for i, tid in enumerate(t["track_id"])}, ids)
    assert stacked["test"].shape == (2, 2)


def test_usable_clips_drop_clips_lacking_a_modality_or_target_and_count_why():
    kept, counts = splits.usable_clips(table(), ["audio", "lyrics"], ["valence"])
    assert list(kept["track_id"]) == ["t0", "t2", "t4", "t6", "t7"]
    assert counts.loc["train", "without_lyrics"] == 1 and counts.loc["train", "without_valence"] == 1
    assert counts.loc["validation", "kept"] == 1 and counts["clips"].sum() == 8


def test_fresh_split_is_balanced_stratified_and_seeded():
    t = pd.DataFrame({"track_id": [f"c{i}" for i in range(30)],
                      "polarity": ["positive"] * 20 + ["negative"] * 10})
    a, b = splits.fresh_split(t, "polarity", seed=0), splits.fresh_split(t, "polarity", seed=0)
    assert a["polarity"].value_counts().to_dict() == {"positive": 10, "negative": 10}
    pd.testing.assert_frame_equal(a, b)
    assert set(a["split"]) == {"train", "validation", "test"}
    assert not splits.fresh_split(t, "polarity", seed=1)["track_id"].equals(a["track_id"])
    with pytest.raises(ValueError, match="two classes"):
        splits.fresh_split(t[t.polarity == "positive"], "polarity", seed=0)


def test_a_fresh_split_of_a_larger_table_has_equal_classes_in_every_split():
    table = pd.DataFrame({"track_id": [str(i) for i in range(300)],
                          "polarity": ["positive"] * 180 + ["negative"] * 120})
    one = splits.fresh_split(table, "polarity", seed=0)
    assert len(one) == 240
    counts = one.groupby(["split", "polarity"]).size().unstack()
    assert (counts["positive"] == counts["negative"]).all()
    assert counts.loc["train"].sum() == 168 and counts.loc["test"].sum() == 48
    assert not one.split.equals(splits.fresh_split(table, "polarity", seed=1).split)


def test_a_fresh_split_keeps_every_artist_in_one_split_and_stays_near_the_fractions():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"track_id": [str(i) for i in range(300)],
                          "polarity": rng.choice(["positive", "negative"], 300),
                          "artist": [f"Artist {i % 70}" if i % 3 else f"artist {i % 70} " for i in range(300)]})
    one = splits.fresh_split(table, "polarity", seed=3)
    artists = one["artist"].str.strip().str.casefold()
    assert (one.groupby(artists)["split"].nunique() == 1).all()
    shares = one["split"].value_counts(normalize=True)
    assert abs(shares["train"] - 0.7) < 0.05 and abs(shares["test"] - 0.2) < 0.05
    assert not one.split.equals(splits.fresh_split(table, "polarity", seed=4).split)
