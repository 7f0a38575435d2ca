"""Tests of the MIREX multimodal loader (mer_lib/data/mirex_mm.py)."""

from __future__ import annotations

import time

import pytest

import data_fixtures as fx
from mer_lib import data
from mer_lib.data import DatasetError
from mer_lib.data.mirex_mm import SPLIT_FRACTIONS
from mer_lib.data.tables import artist_groups, stratified_split


#: MIDI files of the real mirex-mm that pretty_midi cannot parse (data bytes > 127; mido reads
#: them with clip=True): validate(deep=True) rightly reports them.
MIREX_UNREADABLE_MIDI = {"009", "097"}


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


def test_mirex_split_keeps_each_artist_in_one_split_case_insensitively(tmp_path):
    artists = {"001": "Dylan, Bob", "002": "dylan,  bob ", "004": "Queen", "006": "QUEEN", "007": "Queen"}
    fx.make_mirex(tmp_path, artists)
    for seed in range(5):
        table = data.load("mirex_mm", data_home=tmp_path, seed=seed).table.set_index("track_id")
        assert table.loc["001", "split"] == table.loc["002", "split"]
        assert table.loc["004", "split"] == table.loc["006", "split"] == table.loc["007", "split"]
    by_song = data.load("mirex_mm", data_home=tmp_path, split_by="song").table
    expected = stratified_split(by_song["cluster"], SPLIT_FRACTIONS, 0)
    assert by_song["split"].tolist() == list(expected)
    with pytest.raises(DatasetError, match="split_by='album'.*artist"):
        data.load("mirex_mm", data_home=tmp_path, split_by="album")


def test_mirex_validate_names_broken_files(tmp_path):
    root = fx.make_mirex(tmp_path)
    fx.write_garbage(root / "audio" / "002.opus")
    fx.write_midi(root / "midi" / "004.mid", notes=False)
    (root / "lyrics" / "003.txt").unlink()
    fx.write_text(root / "lyrics" / "005.txt", "not flagged in the metadata\n")
    ds = data.load("mirex_mm", data_home=tmp_path)
    quick = ds.validate()
    assert fx.problems_about(quick, "missing") == [str(root / "lyrics" / "003.txt")]
    assert fx.problems_about(quick, "not listed") == [str((root / "lyrics" / "005.txt").resolve())]
    deep = ds.validate(deep=True)
    assert fx.problems_about(deep, "unreadable") == [str(root / "audio" / "002.opus")]
    assert fx.problems_about(deep, "no notes") == [str(root / "midi" / "004.mid")]


def test_mirex_missing_column(tmp_path):
    root = fx.make_mirex(tmp_path)
    fx.drop_column(root / "metadata.csv", "has_midi")
    with pytest.raises(DatasetError, match=r"metadata\.csv: missing column.*has_midi"):
        data.load("mirex_mm", data_home=tmp_path)


@pytest.mark.real
def test_real_mirex_modalities_and_deep_validate():
    ds = data.load("mirex_mm", data_home=fx.real_home("mirex-mm"))
    table = ds.table
    assert (table["audio_path"].notna().sum(), table["lyrics_path"].notna().sum(),
            table["midi_path"].notna().sum()) == (903, 764, 196)
    assert sorted(table["cluster"].unique()) == [1, 2, 3, 4, 5]
    splits_per_artist = table.assign(artist=artist_groups(table["artist"]).to_numpy()).groupby("artist")["split"].nunique()
    assert (splits_per_artist == 1).all()  # 663 artists, none in two splits
    assert table["split"].value_counts().to_dict() == {"train": 632, "test": 181, "validation": 90}
    start = time.perf_counter()
    problems = ds.validate(deep=True)
    assert time.perf_counter() - start < 60
    assert set(problems["track_id"]) <= MIREX_UNREADABLE_MIDI
    assert problems["problem"].str.startswith("unreadable").all()
    assert all(f.endswith(".mid") for f in problems["file"])
