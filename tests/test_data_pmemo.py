"""Tests of the PMEmo loader (mer_lib/data/pmemo.py)."""

from __future__ import annotations

import data_fixtures as fx
from mer_lib import data


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
