"""Tests of the MediaEval 2020 results loader (mer_lib/data/mediaeval2020.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import data_fixtures as fx
from mer_lib import data
from mer_lib.data import DatasetError, mediaeval2020


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


@pytest.mark.real
def test_real_mediaeval_groundtruth_and_submissions():
    home = fx.real_home("mtg-jamendo")
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


# --------------------------------------------------------------------------- submissions from anywhere

def write_submission(folder: Path, decisions: bool = True) -> Path:
    """A submission folder of the task's shape: zero scores and (optionally) all-False decisions."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "predictions.npy", np.zeros(mediaeval2020.SHAPE, dtype=np.float32))
    if decisions:
        np.save(folder / "decisions.npy", np.zeros(mediaeval2020.SHAPE, dtype=bool))
    return folder


def test_a_submission_folder_anywhere_gives_its_predictions_and_decisions(tmp_path):
    folder = write_submission(tmp_path / "another team" / "run1")
    scores = mediaeval2020.load_submission(path=folder)
    decisions = mediaeval2020.load_submission(path=folder, kind="decisions")
    assert scores.shape == (4231, 56) and scores.dtype == np.float32
    assert decisions.shape == (4231, 56) and decisions.dtype == bool


def test_a_single_npy_file_is_read_as_the_kind_asked_for(tmp_path):
    path = tmp_path / "winner2021.npy"
    np.save(path, np.ones(mediaeval2020.SHAPE, dtype=np.int8))
    assert mediaeval2020.load_submission(path=path).dtype == np.int8
    assert mediaeval2020.load_submission(path=str(path), kind="decisions").all()


def _save(array):
    return lambda p: np.save(p / "predictions.npy", array)


@pytest.mark.parametrize("write, kind, message", [
    (_save(np.zeros((4231, 55), dtype=np.float32)), "predictions", r"shape \(4231, 55\), expected \(4231, 56\)"),
    (_save(np.full(mediaeval2020.SHAPE, "0.5")), "predictions", r"dtype <U3, expected numbers"),
    (_save(np.full(mediaeval2020.SHAPE, np.nan, dtype=np.float32)), "predictions", r"236936 NaN or infinite"),
    (lambda p: (p / "predictions.npy").write_bytes(b"not numpy"), "predictions", r"not a readable \.npy file"),
    (lambda p: write_submission(p, decisions=False), "decisions",
     r"no decisions\.npy .* it has \['predictions\.npy'\]"),
    (lambda p: (write_submission(p), np.save(p / "decisions.npy", np.full(mediaeval2020.SHAPE, 0.5))),
     "decisions", r"decisions must be bool or 0/1"),
])
def test_a_bad_submission_from_a_path_is_a_clear_error_naming_the_file(tmp_path, write, kind, message):
    folder = tmp_path / "submission"
    folder.mkdir()
    write(folder)
    with pytest.raises(DatasetError, match=message):
        mediaeval2020.load_submission(path=folder, kind=kind)


def test_a_submission_path_must_be_a_folder_or_an_npy_file_and_not_also_a_name(tmp_path):
    with pytest.raises(DatasetError, match=r"scores\.csv: expected a \.npy file .*does not exist"):
        mediaeval2020.load_submission(path=tmp_path / "scores.csv")
    with pytest.raises(DatasetError, match=r"missing file: .*nothing\.npy"):
        mediaeval2020.load_submission(path=tmp_path / "nothing.npy")
    with pytest.raises(DatasetError, match="not both"):
        mediaeval2020.load_submission("Submission1", path=write_submission(tmp_path / "s"))
    with pytest.raises(DatasetError, match=r"give a submission name or path=<folder or \.npy file>$"):
        mediaeval2020.load_submission()


def test_a_transposed_submission_is_refused_with_a_hint(tmp_path):
    np.save(tmp_path / "scores.npy", np.zeros(mediaeval2020.SHAPE[::-1], dtype=np.float32))
    with pytest.raises(DatasetError, match=r"shape \(56, 4231\), expected \(4231, 56\).*transposed"):
        mediaeval2020.load_submission(path=tmp_path / "scores.npy")


def test_an_npz_archive_is_refused_and_closed(tmp_path):
    np.savez(tmp_path / "scores.npy", predictions=np.zeros(mediaeval2020.SHAPE))
    (tmp_path / "scores.npy.npz").rename(tmp_path / "scores.npy")
    with pytest.raises(DatasetError, match=r"an \.npz archive"):
        mediaeval2020.load_submission(path=tmp_path / "scores.npy")


def test_a_relative_submission_path_is_named_absolutely_in_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatasetError, match=rf"missing file: {tmp_path}/runs/nothing\.npy"):
        mediaeval2020.load_submission(path="runs/nothing.npy")
