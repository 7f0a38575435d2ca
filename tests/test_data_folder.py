"""Tests of the bring-your-own folder loader (mer_lib/data/folder.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import data_fixtures as fx
from mer_lib import data
from mer_lib.data import DatasetError
from mer_lib.data.tables import group_stratified_split, stratified_split


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


# --------------------------------------------------------------------------- files found by id

def resolved(path: Path) -> str:
    return str(path.resolve())


def test_a_csv_of_ids_finds_audio_midi_and_lyrics_by_id_in_any_subfolder(tmp_path):
    fx.write_audio(tmp_path / "Q1" / "disc 1" / "s0.mp3")
    fx.write_audio(tmp_path / "Q2" / "s1.wav")
    fx.write_midi(tmp_path / "midi" / "s0.mid")
    fx.write_text(tmp_path / "texts" / "s1.txt", "la la la\n")
    fx.write_csv(tmp_path / "labels.csv", ["Song", "Quadrant"], [["s0", "Q1"], ["s1", "Q2"]])
    ds = data.load("folder", path=tmp_path, columns={"track_id": "Song", "quadrant": "Quadrant"})
    table = ds.table.set_index("track_id")
    assert table.loc["s0", "audio_path"] == resolved(tmp_path / "Q1" / "disc 1" / "s0.mp3")
    assert table.loc["s1", "audio_path"] == resolved(tmp_path / "Q2" / "s1.wav")
    assert table.loc["s0", "midi_path"] == resolved(tmp_path / "midi" / "s0.mid")
    assert pd.isna(table.loc["s1", "midi_path"])
    assert table.loc["s1", "lyrics_path"] == resolved(tmp_path / "texts" / "s1.txt")
    assert ds.modalities == ("audio", "midi", "lyrics")


def test_two_audio_files_for_one_id_are_an_error_naming_the_id_and_both_files(tmp_path):
    fx.write_audio(tmp_path / "Q1" / "s0.wav")
    fx.write_audio(tmp_path / "backup" / "s0.flac")
    fx.write_csv(tmp_path / "labels.csv", ["track_id", "quadrant"], [["s0", "Q1"]])
    with pytest.raises(DatasetError, match=r"track_id 's0': 2 audio files .*Q1/s0\.wav.*backup/s0\.flac"):
        data.load("folder", path=tmp_path)


def test_hidden_files_and_folders_are_not_found_by_id(tmp_path):
    fx.write_audio(tmp_path / "audio" / "s0.wav")
    fx.write_audio(tmp_path / ".ipynb_checkpoints" / "s0.wav")
    fx.write_garbage(tmp_path / "audio" / "._s0.wav")
    fx.write_csv(tmp_path / "labels.csv", ["track_id", "quadrant"], [["s0", "Q1"]])
    table = data.load("folder", path=tmp_path).table
    assert table["audio_path"].tolist() == [resolved(tmp_path / "audio" / "s0.wav")]


def test_clips_without_an_audio_file_are_named_in_a_warning(tmp_path):
    fx.write_audio(tmp_path / "s0.wav")
    fx.write_csv(tmp_path / "labels.csv", ["track_id", "quadrant"], [["s0", "Q1"], ["s9", "Q2"]])
    with pytest.warns(UserWarning, match=r"1 of 2 clips have no audio file \(e\.g\. 's9'\)"):
        data.load("folder", path=tmp_path)


def test_an_empty_track_id_is_an_error_naming_the_line(tmp_path):
    fx.write_csv(tmp_path / "labels.csv", ["id", "quadrant"], [["s0", "Q1"], ["", "Q2"]])
    with pytest.raises(DatasetError, match=r"labels\.csv: id is empty in 1 row\(s\): line 3"):
        data.load("folder", path=tmp_path, columns={"track_id": "id"})


# --------------------------------------------------------------------------- class subfolders, no CSV

def make_class_folders(root: Path) -> Path:
    """Two clips per quadrant in ``Q1/``..``Q4/`` (one a level deeper), no CSV."""
    for q in range(1, 5):
        fx.write_audio(root / f"Q{q}" / f"a{q}.wav")
        fx.write_audio(root / f"Q{q}" / "live" / f"b{q}.flac")
    return root


@pytest.mark.parametrize("options", [{"labels_csv": None}, {}], ids=["labels_csv=None", "no labels.csv"])
def test_class_subfolders_without_a_csv_label_each_file_by_its_folder(tmp_path, options):
    make_class_folders(tmp_path)
    fx.write_midi(tmp_path / "midi" / "a1.mid")
    ds = data.load("folder", path=tmp_path, **options)
    table = ds.table.set_index("track_id")
    assert sorted(table.index) == ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"]
    assert table.loc["b3", "quadrant"] == "Q3" and table.loc["b3", "audio_path"].endswith("Q3/live/b3.flac")
    assert table.loc["a1", "midi_path"] == resolved(tmp_path / "midi" / "a1.mid")
    assert ds.modalities == ("audio", "midi") and ds.targets == ("quadrant", "polarity")  # polarity derived
    assert set(table["split"]) <= {"train", "validation", "test"} and ds.validate(deep=True).empty


def test_class_subfolder_names_ignore_case_and_other_folders_are_not_classes(tmp_path):
    fx.write_audio(tmp_path / "q2" / "x.wav")
    fx.write_audio(tmp_path / "extras" / "y.wav")
    table = data.load("folder", path=tmp_path, labels_csv=None).table
    assert table[["track_id", "quadrant"]].values.tolist() == [["x", "Q2"]]


def test_one_file_name_in_two_class_folders_is_an_error(tmp_path):
    fx.write_audio(tmp_path / "Q1" / "same.wav")
    fx.write_audio(tmp_path / "Q4" / "same.wav")
    with pytest.raises(DatasetError, match=r"'same' is in two class folders \(.*Q1/same\.wav and .*Q4/same\.wav\)"):
        data.load("folder", path=tmp_path, labels_csv=None)


def test_no_labels_csv_and_no_class_folders_is_a_clear_error(tmp_path):
    fx.write_audio(tmp_path / "x.wav")
    with pytest.raises(DatasetError, match=r"missing file: .*labels\.csv"):
        data.load("folder", path=tmp_path)
    with pytest.raises(DatasetError, match=r"labels_csv=None reads the labels from class subfolders Q1/, Q2/"):
        data.load("folder", path=tmp_path, labels_csv=None)
    make_class_folders(tmp_path)
    with pytest.raises(DatasetError, match=r"columns= maps the columns of a labels CSV"):
        data.load("folder", path=tmp_path, columns={"quadrant": "emotion"})


# --------------------------------------------------------------------------- splits

#: The split tests' CSVs name no files.
labels_only = pytest.mark.filterwarnings("ignore:.*no audio or MIDI file named")

def write_artist_csv(root: Path, n_artists: int = 20, per_artist: int = 5) -> Path:
    """``n_artists`` artists of ``per_artist`` clips each, quadrants mixed within an artist."""
    rows = [[f"t{a}_{k}", f"Q{(a + k // 3) % 4 + 1}", f" Artist {a} " if k == 0 else f"artist {a}"]
            for a in range(n_artists) for k in range(per_artist)]
    return fx.write_csv(root / "labels.csv", ["track_id", "quadrant", "artist"], rows)


@labels_only
def test_a_table_with_artists_gets_a_split_with_no_artist_in_two_splits(tmp_path):
    write_artist_csv(tmp_path)
    table = data.load("folder", path=tmp_path, check_files=False).table
    artist = table["artist"].str.strip().str.lower()
    assert table.groupby(artist)["split"].nunique().max() == 1
    assert set(table["split"]) == {"train", "validation", "test"}


@labels_only
def test_split_by_clip_keeps_the_clip_level_stratified_split(tmp_path):
    write_artist_csv(tmp_path)
    table = data.load("folder", path=tmp_path, check_files=False, split_by="clip", seed=4).table
    assert table["split"].tolist() == list(stratified_split(table["quadrant"], (0.7, 0.1, 0.2), 4))
    assert table.groupby("artist")["split"].nunique().max() > 1


@labels_only
def test_a_split_column_wins_over_split_by(tmp_path):
    fx.write_csv(tmp_path / "labels.csv", ["track_id", "artist", "split"], [["a", "X", "test"], ["b", "X", "train"]])
    assert data.load("folder", path=tmp_path, split_by="artist").table["split"].tolist() == ["test", "train"]


@labels_only
def test_split_by_must_be_artist_or_clip_and_artist_needs_artists(tmp_path):
    fx.write_csv(tmp_path / "labels.csv", ["track_id", "quadrant"], [["a", "Q1"], ["b", "Q2"]])
    with pytest.raises(DatasetError, match=r"split_by='song': use one of \('artist', 'clip'\)"):
        data.load("folder", path=tmp_path, split_by="song")
    with pytest.raises(DatasetError, match=r"split_by='artist' needs an artist column"):
        data.load("folder", path=tmp_path, split_by="artist")


@labels_only
def test_one_artist_only_warns_that_the_artist_split_leaves_splits_empty(tmp_path):
    write_artist_csv(tmp_path, n_artists=1)
    with pytest.warns(UserWarning, match=r"leaves \['validation', 'test'\] empty \(1 artists for 5 clips\)"):
        data.load("folder", path=tmp_path, check_files=False)


def test_group_stratified_split_keeps_groups_whole_and_fractions_close_to_the_targets():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 120, 900)
    labels = np.array(["Q1", "Q2", "Q3", "Q4"])[(groups + (rng.random(900) < 0.3)) % 4]
    split = pd.Series(group_stratified_split(labels, groups, (0.7, 0.1, 0.2), seed=1))
    assert split.groupby(groups).nunique().max() == 1
    shares = split.value_counts(normalize=True)
    assert shares["train"] == pytest.approx(0.7, abs=0.02) and shares["validation"] == pytest.approx(0.1, abs=0.02)
    per_label = pd.crosstab(labels, split, normalize="index")
    assert (per_label["test"] - 0.2).abs().max() < 0.04


def test_group_stratified_split_is_deterministic_per_seed():
    groups = [f"g{i // 2}" for i in range(60)]
    labels = [f"Q{i % 4}" for i in range(60)]
    first = group_stratified_split(labels, groups, seed=3)
    assert first.tolist() == group_stratified_split(labels, groups, seed=3).tolist()
    assert first.tolist() != group_stratified_split(labels, groups, seed=4).tolist()


def test_group_stratified_split_puts_nothing_in_an_empty_share_and_rows_without_a_group_alone():
    split = group_stratified_split(["a"] * 10, [None] * 10, (0.8, 0.0, 0.2), seed=0)
    assert sorted(split.tolist()) == ["test"] * 2 + ["train"] * 8
    with pytest.raises(DatasetError, match="three shares summing to 1"):
        group_stratified_split(["a"], ["g"], (0.5, 0.5, 0.5))


# --------------------------------------------------------------------------- name, require, validate

def test_a_folder_dataset_takes_a_name_and_require_takes_a_string_or_a_list(tmp_path):
    fx.make_user_folder(tmp_path)
    ds = data.load("folder", path=tmp_path, columns=USER_COLUMNS, name="my songs")
    assert ds.name == "my songs"
    ds.require("audio", "quadrant")
    ds.require(["audio", "context"], ["valence", "arousal"])
    with pytest.raises(DatasetError, match=r"'my songs' lacks modalities \['lyrics'\] .* targets \['cluster'\]"):
        ds.require("lyrics", "cluster")


def test_validate_names_empty_and_unreadable_audio_and_unused_files(tmp_path):
    make_class_folders(tmp_path)
    (tmp_path / "Q1" / "a1.wav").write_bytes(b"")
    fx.write_garbage(tmp_path / "Q2" / "a2.wav")
    fx.write_csv(tmp_path / "labels.csv", ["track_id", "quadrant"],
                 [[f"{c}{q}", f"Q{q}"] for q in range(1, 5) for c in "ab" if (c, q) != ("b", 4)])
    problems = data.load("folder", path=tmp_path).validate(deep=True)
    assert fx.problems_about(problems, "empty file (0 bytes)") == [resolved(tmp_path / "Q1" / "a1.wav")]
    assert fx.problems_about(problems, "unreadable") == [resolved(tmp_path / "Q2" / "a2.wav")]
    unused = fx.problems_about(problems, "no clip of the dataset uses")
    assert unused == [resolved(tmp_path / "Q4" / "live" / "b4.flac")]


def test_folder_derives_polarity_from_quadrant_and_says_so(tmp_path):
    fx.make_user_folder(tmp_path)
    ds = data.load("folder", path=tmp_path, columns=USER_COLUMNS)
    table = ds.table.set_index("track_id")
    assert table.loc["c0", "polarity"] == "positive" and table.loc["c2", "polarity"] == "negative"
    assert "polarity" in ds.targets and "derived: polarity from quadrant" in ds.notes


def test_folder_derives_quadrants_from_va_only_around_a_given_center(tmp_path):
    fx.make_user_folder(tmp_path)
    without_quadrant = {k: v for k, v in USER_COLUMNS.items() if k != "quadrant"}
    assert "quadrant" not in data.load("folder", path=tmp_path, columns=without_quadrant).targets
    ds = data.load("folder", path=tmp_path, columns=without_quadrant, va_center=[0.25, -0.25])
    table = ds.table.set_index("track_id")
    # c1 = (0.1, -0.1): below the valence midpoint, above the arousal one -> Q2; c5 = (0.5, -0.5) -> Q4
    assert table.loc["c1", "quadrant"] == "Q2" and table.loc["c5", "quadrant"] == "Q4"
    assert "quadrant from valence/arousal around (0.25, -0.25)" in ds.notes


def test_folder_va_center_without_va_is_a_clear_error(tmp_path):
    fx.make_user_folder(tmp_path)
    with pytest.raises(DatasetError, match="va_center= derives quadrants from valence and arousal"):
        data.load("folder", path=tmp_path, columns={"track_id": "id", "audio_path": "file"}, va_center=[0, 0])
