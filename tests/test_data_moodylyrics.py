"""Tests of the MoodyLyrics loader (mer_lib/data/moodylyrics.py)."""

from __future__ import annotations

import pytest

import data_fixtures as fx
from mer_lib import data


@pytest.mark.parametrize("name, title_column", [("moodylyrics", "Song"), ("moodylyrics4q", "Title")])
def test_moodylyrics_quadrants_and_seeded_split(tmp_path, name, title_column):
    fx.make_moodylyrics(tmp_path)
    ds = data.load(name, data_home=tmp_path)
    table = ds.table
    assert dict(zip(table["mood"], table["quadrant"])) == {"happy": "Q1", "angry": "Q2", "sad": "Q3",
                                                           "relaxed": "Q4"}
    assert table.loc[1, "artist"] == "Artíst 1" and table.loc[1, "title"] == "Sóng 1"
    counts = table.groupby(["quadrant", "split"]).size().unstack()
    assert (counts["train"] == 7).all() and (counts["validation"] == 1).all() and (counts["test"] == 2).all()
    again = data.load(name, data_home=tmp_path).table
    assert again["split"].tolist() == table["split"].tolist()
    assert data.load(name, data_home=tmp_path, seed=1).table["split"].tolist() != table["split"].tolist()
