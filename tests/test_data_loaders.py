"""Real-dataset loaders: tiny generated layouts (malformed ones included) and, marked ``real``,
the real datasets under ``$MER_DATA_HOME``."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

import data_fixtures as fx
from mer_lib import data
from mer_lib.data import DatasetError, mediaeval2020


def problems_about(problems, fragment: str) -> list[str]:
    """Files of the ``validate()`` findings whose problem mentions ``fragment``."""
    return [f for f, p in zip(problems["file"], problems["problem"]) if fragment in p]


def assert_absolute_paths(table) -> None:
    for column in ("audio_path", "midi_path", "lyrics_path"):
        if column in table.columns:
            assert all(Path(p).is_absolute() for p in table[column].dropna())


# --------------------------------------------------------------------------- registry

def test_registry_lists_every_loader():
    expected = {"emopia", "mtg_jamendo_moodtheme", "mediaeval2020_results", "deam", "pmemo", "deezer_msdd",
                "moodylyrics", "moodylyrics4q", "social_tags", "mirex_mm"}
    assert expected <= set(data.real_names())
    assert "folder" in data.available() and "folder" not in data.real_names()
    assert not data.is_available("folder")


def test_missing_dataset_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="expected the folder .*emopia"):
        data.load("emopia", data_home=tmp_path)


# --------------------------------------------------------------------------- EMOPIA

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
    assert_absolute_paths(ds.table)
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
    assert problems_about(problems, "no notes") == [str(midis / "Q1_ab_cd-E_0.mid")]
    assert problems_about(problems, "missing") == [str(midis / "Q2_song2xyz_0.mid")]
    assert problems_about(problems, "not listed") == [str((midis / "Q1_stray_0.mid").resolve())]


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


# --------------------------------------------------------------------------- MTG-Jamendo

def test_mtg_jamendo_tags_and_split(tmp_path):
    fx.make_mtg_jamendo(tmp_path)
    ds = data.load("mtg_jamendo_moodtheme", data_home=tmp_path)
    table = ds.table.set_index("track_id")
    assert len(ds) == len(fx.MTG_TRACKS)
    assert table.loc["track_0000002", "tags"] == ["sad", "calm"]
    assert table.loc["track_0000007", "tags"] == [] and table.loc["track_0000007", "all_tags"] == ["rare"]
    assert table["split"].value_counts().to_dict() == {"test": 3, "train": 2, "validation": 1}
    assert table["split"].isna().sum() == 1
    assert ds.targets == ("tags",) and "audio_path" not in table.columns
    assert ds.validate(deep=True).empty


def test_mtg_jamendo_audio_and_tarball_checksums(tmp_path):
    root = fx.make_mtg_jamendo(tmp_path)
    audio = root / "audio-low"
    track = audio / fx.mtg_relative_path("track_0000001").replace(".mp3", ".low.mp3")
    fx.write_audio(track.with_suffix(".wav")).rename(track)
    tar = audio / "autotagging_moodtheme_audio-low-00.tar"
    tar.write_bytes(b"not the official tarball")
    fx.write_text(root / "data" / "download" / "autotagging_moodtheme_audio-low_sha256_tars.txt",
                  f"{'0' * 64} {tar.name}\n")
    melspec = root / "melspecs" / fx.mtg_relative_path("track_0000004").replace(".mp3", ".npy")
    melspec.parent.mkdir(parents=True)
    np.save(melspec, np.zeros((96, 10), dtype="float32"))
    ds = data.load("mtg_jamendo_moodtheme", data_home=tmp_path)
    table = ds.table.set_index("track_id")
    assert table.loc["track_0000001", "audio_path"] == str(track) and table["audio_path"].notna().sum() == 1
    assert table.loc["track_0000004", "melspec_path"] == str(melspec) and table["melspec_path"].notna().sum() == 1
    assert ds.validate().empty  # checksums only with deep=True
    assert problems_about(ds.validate(deep=True), "sha256 mismatch") == [str(tar)]


# --------------------------------------------------------------------------- MediaEval 2020

def test_mediaeval_groundtruth_submissions_and_tag_order(tmp_path):
    fx.make_mtg_jamendo(tmp_path)
    truth = mediaeval2020.load_groundtruth(tmp_path)
    assert truth.dtype == bool and truth.shape == (3, 3)
    assert np.array_equal(truth, fx.mtg_groundtruth())
    assert mediaeval2020.tag_names(tmp_path) == fx.MTG_TAGS
    assert mediaeval2020.track_ids(tmp_path) == fx.mtg_test_tracks()
    assert mediaeval2020.submission_names(tmp_path) == ["Submission1_AReLU", "Submission2_AttentionConv",
                                                        "baseline_vggish"]
    assert "baseline_popular" in mediaeval2020.submission_names(tmp_path, kind="decisions")
    assert mediaeval2020.load_submission("Submission1", tmp_path).shape == truth.shape
    assert mediaeval2020.load_submission("baseline_popular", tmp_path, kind="decisions").dtype == bool
    ds = data.load("mediaeval2020_results", data_home=tmp_path)
    assert (ds.table["split"] == "test").all() and ds.validate().empty


@pytest.mark.parametrize("name, message", [("Submission", "ambiguous"), ("nobody", "unknown")])
def test_mediaeval_submission_names_must_be_clear(tmp_path, name, message):
    fx.make_mtg_jamendo(tmp_path)
    with pytest.raises(DatasetError, match=message):
        mediaeval2020.load_submission(name, tmp_path)


def test_mediaeval_wrong_shape_and_missing_kind(tmp_path):
    root = fx.make_mtg_jamendo(tmp_path)
    bad = root / "mediaeval2020-augment" / "Submission2_AttentionConv" / "predictions.npy"
    np.save(bad, np.zeros((2, 3)))
    with pytest.raises(DatasetError, match=r"predictions\.npy: shape \(2, 3\)"):
        mediaeval2020.load_submission("Submission2", tmp_path)
    with pytest.raises(DatasetError, match="no predictions"):
        mediaeval2020.load_submission("baseline_popular", tmp_path)


def test_mediaeval_validate_finds_misaligned_groundtruth(tmp_path):
    root = fx.make_mtg_jamendo(tmp_path)
    np.save(root / "results" / "mediaeval" / "groundtruth.npy", fx.mtg_groundtruth()[::-1])
    problems = data.load("mediaeval2020_results", data_home=tmp_path).validate()
    assert len(problems) >= 2 and problems["problem"].str.contains("differs").all()


# --------------------------------------------------------------------------- DEAM, PMEmo

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


def test_pmemo_annotations_metadata_and_audio(tmp_path):
    root = fx.make_pmemo(tmp_path)
    fx.write_audio(root / "chorus" / "4.wav").rename(root / "chorus" / "4.mp3")
    ds = data.load("pmemo", data_home=tmp_path)
    table = ds.table.set_index("track_id")
    assert list(table.index) == ["1", "4", "7"]
    assert table.loc["4", ["title", "artist", "split"]].tolist() == ["Song, Four", "Artist B", "validation"]
    assert table.loc["7", ["valence", "arousal", "arousal_raw"]].tolist() == [1.0, -1.0, 1.0]
    assert table["audio_path"].notna().tolist() == [False, True, False]
    assert "context" in ds.modalities and ds.validate().empty
    assert len(data.pmemo.load_dynamic(tmp_path)) == 2


# --------------------------------------------------------------------------- Deezer, MoodyLyrics, social tags

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


def test_social_tags_scales_and_tags(tmp_path):
    fx.make_social_tags(tmp_path)
    ds = data.load("social_tags", data_home=tmp_path)
    table = ds.table.set_index("track_id")
    assert table.loc["11", "valence"] == pytest.approx(0.8) and table.loc["11", "valence_raw"] == 0.9
    assert table.loc["11", "tags"] == ["excitement", "happiness"]
    assert table.loc["13", "emotion_tags"] == {"sadness": 4, "grief": 4}
    assert table.loc["12", ["title", "artist", "msd_track_id"]].tolist() == ["Title 12", "Artist 12", "TR12"]
    assert set(ds.targets) == {"valence", "arousal", "tags"} and table["split"].notna().all()


# --------------------------------------------------------------------------- mirex-mm

def test_mirex_modalities_labels_and_stored_split(tmp_path):
    root = fx.make_mirex(tmp_path)
    ds = data.load("mirex_mm", data_home=tmp_path)
    table = ds.table.set_index("track_id")
    assert table["audio_path"].notna().all()
    assert table["lyrics_path"].notna().sum() == 5 and table["midi_path"].notna().sum() == 2
    assert table.loc["006", "cluster"] == 5 and table.loc["006", "mood"] == "Tense - Anxious"
    assert table["cluster"].dtype.kind == "i"
    assert ds.modalities == ("audio", "midi", "lyrics", "context") and ds.targets == ("cluster",)
    assert ds.validate(deep=True).empty
    assert data.load("mirex_mm", data_home=tmp_path).table["split"].tolist() == ds.table["split"].tolist()
    for split, ids in {"train": ["001", "002", "003", "004", "005"], "validation": ["006"],
                       "test": ["007", "008"]}.items():
        fx.write_text(root / "split" / f"{split}.txt", "\n".join(ids) + "\n")
    assert data.load("mirex_mm", data_home=tmp_path).table["split"].tolist()[5:] == ["validation", "test", "test"]


def test_mirex_validate_names_broken_files(tmp_path):
    root = fx.make_mirex(tmp_path)
    fx.write_garbage(root / "audio" / "002.opus")
    fx.write_midi(root / "midi" / "004.mid", notes=False)
    (root / "lyrics" / "003.txt").unlink()
    fx.write_text(root / "lyrics" / "005.txt", "not flagged in the metadata\n")
    ds = data.load("mirex_mm", data_home=tmp_path)
    quick = ds.validate()
    assert problems_about(quick, "missing") == [str(root / "lyrics" / "003.txt")]
    assert problems_about(quick, "not listed") == [str((root / "lyrics" / "005.txt").resolve())]
    deep = ds.validate(deep=True)
    assert problems_about(deep, "unreadable") == [str(root / "audio" / "002.opus")]
    assert problems_about(deep, "no notes") == [str(root / "midi" / "004.mid")]


def test_mirex_missing_column(tmp_path):
    root = fx.make_mirex(tmp_path)
    fx.drop_column(root / "metadata.csv", "has_midi")
    with pytest.raises(DatasetError, match=r"metadata\.csv: missing column.*has_midi"):
        data.load("mirex_mm", data_home=tmp_path)


# --------------------------------------------------------------------------- bring-your-own folder

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
    assert problems_about(problems, "unreadable") == [str((tmp_path / "clips" / "c4.wav").resolve())]


# --------------------------------------------------------------------------- malformed labels

#: (dataset, fixture, file, old text, new text, error naming the file and the value)
MALFORMED = [
    ("emopia", fx.make_emopia, "EMOPIA_1.0/label.csv", "Q3_song5xyz_2,3", "Q3_song5xyz_2,5",
     r"label\.csv: 4Q 'Q5' is outside the taxonomy"),
    ("mtg_jamendo_moodtheme", fx.make_mtg_jamendo, "data/autotagging_moodtheme.tsv", "mood/theme---rare",
     "mood/theme---weird", r"autotagging_moodtheme\.tsv: tag 'weird' is outside the taxonomy"),
    ("deam", fx.make_deam, "static_annotations_averaged_songs_1_2000.csv", "3,5,1.0,9,", "3,5,1.0,9.5,",
     r"songs_1_2000\.csv: arousal_mean 9\.5 is outside \[1, 9\]"),
    ("pmemo", fx.make_pmemo, "metadata.csv", "7,7.mp3", "8,8.mp3", r"metadata\.csv: no metadata.*'7'"),
    ("moodylyrics", fx.make_moodylyrics, "MoodyLyrics.csv", "happy", "Q5", r"MoodyLyrics\.csv: Emotion 'q5'"),
    ("social_tags", fx.make_social_tags, "annotations.json", '"anger"', '"spite"',
     r"annotations\.json: emotion tag 'spite' is outside the taxonomy"),
    ("social_tags", fx.make_social_tags, "annotations.json", '"valence": 0.1', '"valence": 1.5',
     r"annotations\.json: valence 1\.5 is outside \[0, 1\]"),
    ("social_tags", fx.make_social_tags, "annotations.json", '"valence": 0.1, ', "", "'12' lacks valence"),
    ("mirex_mm", fx.make_mirex, "metadata.csv", "001,1,Boisterous", "001,6,Boisterous",
     r"metadata\.csv: cluster '6' is outside the taxonomy"),
    ("mirex_mm", fx.make_mirex, "metadata.csv", "002,1,Rowdy", "002,2,Rowdy",
     r"metadata\.csv: mood 'Rowdy' is not an adjective of cluster 2"),
    ("mirex_mm", fx.make_mirex, "metadata.csv", "005,4,whimsical", "005,4,Grumpy", r"metadata\.csv: mood 'Grumpy'"),
]


@pytest.mark.parametrize("name, make, relative, old, new, message", MALFORMED,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MALFORMED)])
def test_label_outside_taxonomy_names_file_and_value(tmp_path, name, make, relative, old, new, message):
    root = make(tmp_path)
    encoding = "latin-1" if name.startswith("moodylyrics") else "utf-8"
    fx.replace_in_file(root / relative, old, new, encoding)
    with pytest.raises(DatasetError, match=message):
        data.load(name, data_home=tmp_path)


# --------------------------------------------------------------------------- real datasets

#: name -> (folder, clips, {split: count}, unsplit)
REAL = {
    "emopia": ("emopia", 1078, {"train": 767, "validation": 198, "test": 86}, 27),
    "mtg_jamendo_moodtheme": ("mtg-jamendo", 18486, {"train": 9949, "validation": 3802, "test": 4231}, 504),
    "mediaeval2020_results": ("mtg-jamendo", 4231, {"test": 4231}, 0),
    "deezer_msdd": ("deezer-msdd", 18644, {"train": 11267, "validation": 3863, "test": 3514}, 0),
    "deam": ("deam", 1802, {"train": 1261, "validation": 271, "test": 270}, 0),
    "pmemo": ("pmemo", 767, {"train": 536, "validation": 116, "test": 115}, 0),
    "moodylyrics": ("moodylyrics", 2595, None, 0),
    "moodylyrics4q": ("moodylyrics", 2000, {"train": 1400, "validation": 200, "test": 400}, 0),
    "social_tags": ("social-tags", 9654, None, 0),
    "mirex_mm": ("mirex-mm", 903, None, 0),
}
#: MIDI files of the real mirex-mm that pretty_midi cannot parse (data bytes > 127; mido reads
#: them with clip=True): validate(deep=True) rightly reports them.
MIREX_UNREADABLE_MIDI = {"009", "097"}


def real_home(folder: str) -> Path:
    """``$MER_DATA_HOME`` when it holds ``folder``; else the test is skipped."""
    home = os.environ.get("MER_DATA_HOME", "").strip()
    if not home:
        pytest.skip("MER_DATA_HOME is not set")
    if not (Path(home) / folder).is_dir():
        pytest.skip(f"{folder} is not under MER_DATA_HOME={home}")
    return Path(home)


@pytest.mark.real
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_counts_splits_speed_and_validate(name):
    folder, clips, splits, unsplit = REAL[name]
    home = real_home(folder)
    start = time.perf_counter()
    ds = data.load(name, data_home=home)
    assert time.perf_counter() - start < 2.0, "metadata-only loaders must load in under 2 s"
    assert len(ds) == clips
    counts = ds.table["split"].value_counts().to_dict()
    if splits is not None:
        assert counts == splits
    assert int(ds.table["split"].isna().sum()) == unsplit
    assert ds.cite().startswith("@") and ds.license()
    assert ds.validate(deep=False).empty
    assert_absolute_paths(ds.table)


@pytest.mark.real
def test_real_mirex_modalities_and_deep_validate():
    ds = data.load("mirex_mm", data_home=real_home("mirex-mm"))
    table = ds.table
    assert (table["audio_path"].notna().sum(), table["lyrics_path"].notna().sum(),
            table["midi_path"].notna().sum()) == (903, 764, 196)
    assert sorted(table["cluster"].unique()) == [1, 2, 3, 4, 5]
    start = time.perf_counter()
    problems = ds.validate(deep=True)
    assert time.perf_counter() - start < 60
    assert set(problems["track_id"]) <= MIREX_UNREADABLE_MIDI
    assert problems["problem"].str.startswith("unreadable").all()
    assert all(f.endswith(".mid") for f in problems["file"])


@pytest.mark.real
def test_real_mediaeval_groundtruth_and_submissions():
    home = real_home("mtg-jamendo")
    truth = mediaeval2020.load_groundtruth(home)
    assert truth.shape == (4231, 56) and truth.dtype == bool
    tags = data.load("mtg_jamendo_moodtheme", data_home=home).table
    split_tags = Path(home, "mtg-jamendo/data/tags/moodtheme_split.txt").read_text().split()
    assert mediaeval2020.tag_names(home) == [t.split("---")[1] for t in split_tags]
    test = tags[tags["split"] == "test"]
    assert mediaeval2020.track_ids(home) == test["track_id"].tolist()
    names = mediaeval2020.submission_names(home)
    assert {"baseline_vggish", "Submission1_AReLU", "Submission4_Fusion_of_AReLU,_AttentionConv_and_vggishBaseline"
            } <= set(names) and len(names) == 6
    for name in names:
        assert mediaeval2020.load_submission(name, home).shape == (4231, 56)
    from sklearn.metrics import average_precision_score, roc_auc_score

    for name, (roc, pr) in mediaeval2020.PUBLISHED_MACRO.items():
        scores = mediaeval2020.load_submission(name, home)
        assert roc_auc_score(truth, scores, average="macro") == pytest.approx(roc, abs=6e-5)
        assert average_precision_score(truth, scores, average="macro") == pytest.approx(pr, abs=6e-5)


@pytest.mark.real
def test_real_emopia_song_split_and_label_scales():
    home = real_home("emopia")
    table = data.load("emopia", data_home=home, split="song").table
    assert table["split"].notna().all() and (table.groupby("song_id")["split"].nunique() == 1).all()
    deam = data.load("deam", data_home=real_home("deam")).table
    assert deam["valence"].between(-1, 1).all() and deam["valence_raw"].between(1, 9).all()
