"""Tests of the bring-your-own folder loader (mer_lib/data/folder.py)."""

from __future__ import annotations

import pytest

import data_fixtures as fx
from mer_lib import data
from mer_lib.data import DatasetError


USER_COLUMNS = {"track_id": "id", "audio_path": "file", "quadrant": "emotion", "valence": "v",
                "arousal": "a", "tags": "moods"}


def test_folder_maps_columns_and_splits(tmp_path):
    fx.make_user_folder(tmp_path)
    ds = data.load("folder", path=tmp_path, columns=USER_COLUMNS)
    table = ds.table.set_index("track_id")
    assert table.loc["c2", "quadrant"] == "Q3" and table.loc["c1", "valence"] == pytest.approx(0.1)
    assert table.loc["c0", "tags"] == ["calm", "dark"] and table.loc["c0", "title"] == "Song 0"
    assert table.loc["c0", "audio_path"] == str((tmp_path / "clips" / "c0.wav").resolve())
    assert set(table["split"]) <= {"train", "validation", "test"}
    assert ds.modalities == ("audio", "context") and ds.validate(deep=True).empty


def test_folder_finds_audio_by_track_id_and_reads_split_column(tmp_path):
    for i in range(3):
        fx.write_audio(tmp_path / "audio" / f"t{i}.flac")
    fx.write_csv(tmp_path / "mine.csv", ["track_id", "cluster", "split"],
                 [["t0", 1, "train"], ["t1", 5, "val"], ["t2", 3, ""]])
    table = data.load("folder", path=tmp_path, labels_csv="mine.csv").table
    assert table["audio_path"].notna().all() and table["cluster"].tolist() == [1, 5, 3]
    assert table["split"].tolist()[:2] == ["train", "validation"] and table["split"].isna().tolist()[2]


@pytest.mark.parametrize("edit, message", [
    (lambda p: fx.replace_in_file(p / "labels.csv", "c1,clips/c1.wav,Q2", "c1,clips/c1.wav,Q5"),
     r"labels\.csv: emotion 'Q5' is outside the taxonomy"),
    (lambda p: fx.drop_column(p / "labels.csv", "moods"), r"labels\.csv: no column\(s\) \['moods'\]"),
    (lambda p: (p / "clips" / "c3.wav").unlink(), r"labels\.csv: 1 audio_path file\(s\) missing, e\.g\. .*c3\.wav"),
    (lambda p: fx.replace_in_file(p / "labels.csv", ",0.1,", ",lots,"), r"labels\.csv: v 'lots' is not a number"),
])
def test_folder_clear_errors(tmp_path, edit, message):
    fx.make_user_folder(tmp_path)
    edit(tmp_path)
    with pytest.raises(DatasetError, match=message):
        data.load("folder", path=tmp_path, columns=USER_COLUMNS)


def test_folder_option_errors(tmp_path):
    fx.make_user_folder(tmp_path)
    with pytest.raises(DatasetError, match="needs path="):
        data.load("folder")
    with pytest.raises(DatasetError, match="unknown table column"):
        data.load("folder", path=tmp_path, columns={"emotion": "emotion"})
    with pytest.raises(DatasetError, match="missing file"):
        data.load("folder", path=tmp_path, labels_csv="nope.csv")


def test_folder_unreadable_audio_is_reported(tmp_path):
    fx.make_user_folder(tmp_path)
    fx.write_garbage(tmp_path / "clips" / "c4.wav")
    problems = data.load("folder", path=tmp_path, columns=USER_COLUMNS).validate(deep=True)
    assert fx.problems_about(problems, "unreadable") == [str((tmp_path / "clips" / "c4.wav").resolve())]
