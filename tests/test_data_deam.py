"""Tests of the DEAM loader (mer_lib/data/deam.py)."""

from __future__ import annotations

import pytest

import data_fixtures as fx
from mer_lib import data
from mer_lib.data import DatasetError


def test_deam_merges_both_files_and_rescales(tmp_path):
    fx.make_deam(tmp_path)
    ds = data.load("deam", data_home=tmp_path)
    table = ds.table.set_index("track_id")
    assert sorted(table.index) == ["10", "2", "2001", "3"]
    assert table.loc["3", ["valence", "arousal"]].tolist() == [0.0, 1.0]
    assert table.loc["10", "valence"] == -1.0 and table.loc["10", "valence_raw"] == 1.0
    assert table.loc["2", "valence_std"] == pytest.approx(0.94 / 4) and table.loc["2", "valence_std_raw"] == 0.94
    assert table.loc["2001", "split"] == "test"
    assert ds.table["valence"].dtype == float and ds.validate().empty


def test_deam_missing_column_and_split(tmp_path):
    root = fx.make_deam(tmp_path)
    for name in ("train", "validation", "test"):
        (root / "split" / f"{name}.txt").unlink()
    (root / "split").rmdir()
    with pytest.warns(UserWarning, match="no split folder"):
        assert data.load("deam", data_home=tmp_path).table["split"].isna().all()
    fx.drop_column(root / "static_annotations_averaged_songs_2000_2058.csv", "arousal_std")
    with pytest.raises(DatasetError, match=r"2000_2058\.csv: missing column.*arousal_std"):
        data.load("deam", data_home=tmp_path)


def test_deam_unknown_song_in_split(tmp_path):
    root = fx.make_deam(tmp_path)
    fx.write_text(root / "split" / "test.txt", "2001\n9999\n")
    with pytest.raises(DatasetError, match="9999"):
        data.load("deam", data_home=tmp_path)


def test_deam_audio_dir(tmp_path):
    fx.make_deam(tmp_path)
    audio = tmp_path / "my_audio"
    fx.write_audio(audio / "2.wav")
    table = data.load("deam", data_home=tmp_path, audio_dir=audio).table.set_index("track_id")
    assert table.loc["2", "audio_path"] == str((audio / "2.wav").resolve())
    with pytest.raises(DatasetError, match="audio_dir="):
        data.load("deam", data_home=tmp_path, audio_dir=tmp_path / "nowhere")
