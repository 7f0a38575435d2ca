"""Tests of the Deezer MSDD loader (mer_lib/data/deezer_msdd.py)."""

from __future__ import annotations

import pytest

import data_fixtures as fx
from mer_lib import data
from mer_lib.data import DatasetError


def test_deezer_msdd_splits_ids_and_user_files(tmp_path):
    root = fx.make_deezer(tmp_path)
    fx.write_text(root / "lyrics" / "101.txt", "made-up words\n")
    ds = data.load("deezer_msdd", data_home=tmp_path)
    table = ds.table.set_index("track_id")
    assert table["split"].value_counts().to_dict() == {"train": 2, "validation": 1, "test": 1}
    assert table.loc["102", ["title", "artist", "msd_track_id", "valence"]].tolist() == ["Song, B", "Artist B",
                                                                                         "TRB", 1.2]
    assert table.loc["101", "lyrics_path"].endswith("101.txt") and ds.modalities == ("lyrics", "context")


def test_deezer_msdd_errors_name_the_file(tmp_path):
    root = fx.make_deezer(tmp_path)
    fx.replace_in_file(root / "test.csv", "-1.9", "high")
    with pytest.raises(DatasetError, match=r"test\.csv: valence 'high' is not a number"):
        data.load("deezer_msdd", data_home=tmp_path)
    fx.replace_in_file(root / "test.csv", "301,", "201,")
    fx.replace_in_file(root / "test.csv", "high", "-1.9")
    with pytest.raises(DatasetError, match="201 is in two split files"):
        data.load("deezer_msdd", data_home=tmp_path)
    fx.drop_column(root / "validation.csv", "arousal")
    with pytest.raises(DatasetError, match=r"validation\.csv: missing column.*arousal"):
        data.load("deezer_msdd", data_home=tmp_path)
