"""Tests of the social-tags loader (mer_lib/data/social_tags.py)."""

from __future__ import annotations

import pytest

import data_fixtures as fx
from mer_lib import data


def test_social_tags_scales_and_tags(tmp_path):
    fx.make_social_tags(tmp_path)
    ds = data.load("social_tags", data_home=tmp_path)
    table = ds.table.set_index("track_id")
    assert table.loc["11", "valence"] == pytest.approx(0.8) and table.loc["11", "valence_raw"] == 0.9
    assert table.loc["11", "tags"] == ["excitement", "happiness"]
    assert table.loc["13", "emotion_tags"] == {"sadness": 4, "grief": 4}
    assert table.loc["12", ["title", "artist", "msd_track_id"]].tolist() == ["Title 12", "Artist 12", "TR12"]
    assert set(ds.targets) == {"valence", "arousal", "tags"} and table["split"].notna().all()
