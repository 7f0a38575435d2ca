"""Tests of the EMOPIA loader (mer_lib/data/emopia.py)."""

from __future__ import annotations

import pytest

import data_fixtures as fx
from mer_lib import data
from mer_lib.data import DatasetError


def test_emopia_clip_split_labels_and_paths(tmp_path):
    fx.make_emopia(tmp_path)
    ds = data.load("emopia", data_home=tmp_path)
    table = ds.table.set_index("track_id")
    assert len(ds) == len(fx.EMOPIA_CLIPS)
    for clip, (split, _) in fx.EMOPIA_CLIPS.items():
        assert table.loc[clip, "split"] == split or (split is None and table["split"].isna()[clip])
        assert table.loc[clip, "quadrant"] == clip[:2]
    assert table.loc["Q1_ab_cd-E_0", "song_id"] == "ab_cd-E"
    assert table.loc["Q2_song2xyz_0", ["valence", "arousal"]].tolist() == [-1.0, 1.0]
    assert table.loc["Q4_song4xyz_0", ["valence", "arousal"]].tolist() == [1.0, -1.0]
    assert ds.modalities == ("midi",) and set(ds.targets) == {"valence", "arousal", "quadrant"}
    fx.assert_absolute_paths(ds.table)
    assert ds.validate(deep=True).empty
    assert "EMOPIA" in ds.cite() and "CC BY-NC-SA" in ds.license()


def test_emopia_song_split_keeps_songs_together(tmp_path):
    fx.make_emopia(tmp_path)
    table = data.load("emopia", data_home=tmp_path, split="song").table
    assert table["split"].notna().all()
    assert (table.groupby("song_id")["split"].nunique() == 1).all()


def test_emopia_official_split_path_and_no_split(tmp_path):
    fx.make_emopia(tmp_path, split_folder="dataset/split")
    assert data.load("emopia", data_home=tmp_path).table["split"].notna().sum() == 6
    assert data.load("emopia", data_home=tmp_path, split=None).table["split"].isna().all()


def test_emopia_missing_split_files_name_the_places(tmp_path):
    fx.make_emopia(tmp_path, split_folder="elsewhere")
    with pytest.raises(DatasetError, match="split_cls.*split=None"):
        data.load("emopia", data_home=tmp_path)


def test_emopia_missing_column(tmp_path):
    root = fx.make_emopia(tmp_path)
    fx.drop_column(root / "split_cls" / "val.csv", "label")
    with pytest.raises(DatasetError, match=r"val\.csv.*'label'"):
        data.load("emopia", data_home=tmp_path)


def test_emopia_validate_finds_silent_missing_and_unlisted_midi(tmp_path):
    root = fx.make_emopia(tmp_path)
    midis = root / "EMOPIA_1.0" / "midis"
    fx.write_midi(midis / "Q1_ab_cd-E_0.mid", notes=False)
    (midis / "Q2_song2xyz_0.mid").unlink()
    fx.write_midi(midis / "Q1_stray_0.mid")
    problems = data.load("emopia", data_home=tmp_path).validate(deep=True)
    assert fx.problems_about(problems, "no notes") == [str(midis / "Q1_ab_cd-E_0.mid")]
    assert fx.problems_about(problems, "missing") == [str(midis / "Q2_song2xyz_0.mid")]
    assert fx.problems_about(problems, "not listed") == [str((midis / "Q1_stray_0.mid").resolve())]


def test_emopia_audio_folder_is_attached(tmp_path):
    root = fx.make_emopia(tmp_path)
    fx.write_audio(root / "audio" / "Q1_ab_cd-E_0.wav")
    table = data.load("emopia", data_home=tmp_path).table.set_index("track_id")
    assert table["audio_path"].notna().sum() == 1
    assert table.loc["Q1_ab_cd-E_0", "audio_path"] == str((root / "audio" / "Q1_ab_cd-E_0.wav").resolve())


def test_emopia_unknown_split_option(tmp_path):
    fx.make_emopia(tmp_path)
    with pytest.raises(DatasetError, match="split must be"):
        data.load("emopia", data_home=tmp_path, split="random")


@pytest.mark.real
def test_real_emopia_song_split_and_label_scales():
    home = fx.real_home("emopia")
    table = data.load("emopia", data_home=home, split="song").table
    assert table["split"].notna().all() and (table.groupby("song_id")["split"].nunique() == 1).all()
    deam = data.load("deam", data_home=fx.real_home("deam")).table
    assert deam["valence"].between(-1, 1).all() and deam["valence_raw"].between(1, 9).all()
