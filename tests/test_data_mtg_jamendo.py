"""Tests of the MTG-Jamendo mood/theme loader (mer_lib/data/mtg_jamendo.py)."""

from __future__ import annotations

import numpy as np

import data_fixtures as fx
from mer_lib import data


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
    assert fx.problems_about(ds.validate(deep=True), "sha256 mismatch") == [str(tar)]
