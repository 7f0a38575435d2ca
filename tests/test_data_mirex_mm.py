"""Tests of the MIREX multimodal loader (mer_lib/data/mirex_mm.py)."""

from __future__ import annotations

import time

import pytest

import data_fixtures as fx
from mer_lib import data
from mer_lib.data import DatasetError


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
    start = time.perf_counter()
    problems = ds.validate(deep=True)
    assert time.perf_counter() - start < 60
    assert set(problems["track_id"]) <= MIREX_UNREADABLE_MIDI
    assert problems["problem"].str.startswith("unreadable").all()
    assert all(f.endswith(".mid") for f in problems["file"])
