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


def test_a_folder_dataset_can_be_given_a_name(tmp_path):
    import data_fixtures as fx

    fx.make_user_folder(tmp_path)
    ds = data.load("folder", path=tmp_path, columns={"audio_path": "file"}, name="my_clips")
    assert ds.name == "my_clips" and len(ds) == 8
    options = {"path": tmp_path, "columns": {"audio_path": "file"}, "name": "from_params"}
    assert data.load("folder", **options).name == "from_params"  # DATASET_OPTIONS as a notebook passes them


def test_require_takes_one_modality_or_target_as_a_plain_string():
    ds = _dataset(audio_path=["x.wav", "y.wav"], valence=[0.1, 0.2])
    ds.require("audio")
    ds.require(modalities="audio", targets="valence")
    with pytest.raises(DatasetError, match=r"'toy' lacks modalities \['lyrics'\] \(it has \['audio'\]\)$"):
        ds.require("lyrics")
    with pytest.raises(DatasetError, match=r"lacks targets \['quadrant'\]"):
        ds.require(targets="quadrant")


def test_a_misspelt_dataset_option_suggests_the_right_one(tmp_path):
    with pytest.raises(DatasetError, match=r"'deam' has no option 'audio_dri'\. Did you mean 'audio_dir'\?"):
        data.load("deam", data_home=tmp_path, audio_dri="x")
