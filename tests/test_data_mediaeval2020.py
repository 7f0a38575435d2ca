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
