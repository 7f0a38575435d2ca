"""The dataset registry and the MERDataset contract."""

import pandas as pd
import pytest

from mer_lib import data
from mer_lib.data.base import DatasetError, MERDataset


def _dataset(**columns):
    table = pd.DataFrame({"track_id": ["a", "b"], "split": ["train", "test"], **columns})
    return MERDataset(name="toy", table=table, root=".")


def test_unknown_dataset_suggests_a_name():
    with pytest.raises(DatasetError, match="Did you mean 'synthetic'"):
        data.load("synthtic")


def test_missing_data_folder_is_named(tmp_path):
    real = data.real_names()
    if not real:
        pytest.skip("no real loader registered")
    with pytest.raises(DatasetError, match=str(tmp_path)):
        data.load(real[0], data_home=tmp_path)


def test_modalities_and_targets_follow_columns():
    ds = _dataset(audio_path=["x.wav", None], title=["t", "u"], artist=["a", "b"], valence=[0.1, 0.2])
    assert ds.modalities == ("audio", "context")
    assert ds.targets == ("valence",)


def test_require_names_what_is_missing():
    ds = _dataset(audio_path=["x.wav", "y.wav"])
    ds.require(modalities=["audio"])
    with pytest.raises(DatasetError, match=r"'toy' lacks modalities \['lyrics'\]"):
        ds.require(modalities=["audio", "lyrics"])
    with pytest.raises(DatasetError, match="targets"):
        ds.require(targets=["quadrant"])


def test_contract_checks():
    with pytest.raises(DatasetError, match="track_id"):
        MERDataset(name="x", table=pd.DataFrame({"split": ["train"]}), root=".")
    with pytest.raises(DatasetError, match="duplicate track_id"):
        MERDataset(name="x", table=pd.DataFrame({"track_id": [1, 1], "split": ["train"] * 2}), root=".")
    with pytest.raises(DatasetError, match="unknown split"):
        MERDataset(name="x", table=pd.DataFrame({"track_id": [1], "split": ["dev"]}), root=".")


def test_validate_finds_missing_and_corrupt_files(tmp_path):
    bad_audio = tmp_path / "bad.wav"
    bad_audio.write_bytes(b"not audio at all")
    ds = _dataset(audio_path=[str(tmp_path / "missing.wav"), str(bad_audio)])
    shallow = ds.validate()
    assert shallow["problem"].tolist() == ["missing file"]
    deep = ds.validate(deep=True)
    assert any("unreadable" in p and "bad.wav" in f for f, p in zip(deep["file"], deep["problem"]))


def test_describe_counts_splits(tiny_corpus):
    row = data.describe(tiny_corpus).iloc[0]
    assert row["clips"] == 16
    assert row["n_train"] + row["n_validation"] + row["n_test"] == 16
