"""Tests common to every dataset loader (mer_lib/data/__init__.py)."""

from __future__ import annotations

import time

import pytest

import data_fixtures as fx
from mer_lib import data
from mer_lib.data import DatasetError


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


@pytest.mark.real
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_counts_splits_speed_and_validate(name):
    folder, clips, splits, unsplit = REAL[name]
    home = fx.real_home(folder)
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
    fx.assert_absolute_paths(ds.table)
