"""Tests of the folder-dataset export (mer_lib/data/export.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from mer_lib import data
from mer_lib.data import DatasetError, MERDataset
from mer_lib.data.export import export, main

#: The tiny synthetic corpus the tests export (8 one-second clips: a few seconds to generate).
CORPUS = {"n_clips": 8, "min_seconds": 1, "max_seconds": 1, "progress": False}
LABELS = ["track_id", "split", "artist", "title", "valence", "arousal", "quadrant", "polarity", "tags"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A temporary ``MER_CACHE_DIR`` for the module (the corpus is generated once)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def corpus(cache):
    return data.load("synthetic", **CORPUS)


def _labels(dataset) -> pd.DataFrame:
    return dataset.table[LABELS].set_index("track_id").sort_index()


def test_the_export_command_writes_a_folder_dataset_that_reads_back_the_same(corpus, tmp_path):
    folder = tmp_path / "synthetic as a folder"
    assert main(["synthetic", str(folder), "--n-clips", "8", "--option", "min_seconds=1",
                 "--option", "max_seconds=1", "--option", "progress=false"]) == 0
    back = data.load("folder", path=folder)
    assert back.modalities == corpus.modalities == ("audio", "midi", "lyrics", "context", "comments")
    assert back.targets == corpus.targets
    pd.testing.assert_frame_equal(_labels(back), _labels(corpus), check_dtype=False)
    row = back.table.set_index("track_id").loc["syn_0000"]
    original = corpus.table.set_index("track_id").loc["syn_0000"]
    assert row["audio_path"] == str(folder / "audio" / original["quadrant"] / "syn_0000.flac")
    assert row["midi_path"] == str(folder / "midi" / "syn_0000.mid")
    assert (folder / "lyrics" / "syn_0000.txt").read_text(encoding="utf-8") == original["lyrics"]
    assert row["comments"] == "\n".join(original["comments"])
    assert back.validate(deep=True).empty
    assert pd.read_csv(folder / "labels.csv")["audio_path"].str.startswith("audio/Q").all()


def test_a_reduced_copy_lacks_lyrics_and_midi(corpus, tmp_path):
    folder = export(corpus, tmp_path / "reduced", lyrics=False, midi=False)
    back = data.load("folder", path=folder)
    assert back.modalities == ("audio", "context", "comments")
    assert not (folder / "midi").exists() and not (folder / "lyrics").exists()


def test_without_the_split_column_the_loader_draws_an_artist_disjoint_split(corpus, tmp_path):
    back = data.load("folder", path=export(corpus, tmp_path / "unsplit", split=False))
    assert "split" not in pd.read_csv(tmp_path / "unsplit" / "labels.csv").columns
    assert back.table.groupby("artist")["split"].nunique().max() == 1


def test_a_non_empty_folder_is_replaced_only_with_force(corpus, tmp_path):
    folder = tmp_path / "out"
    (folder / "mine").mkdir(parents=True)
    with pytest.raises(DatasetError, match=r"out is not empty: .*--force"):
        export(corpus, folder)
    assert (folder / "mine").is_dir()
    export(corpus, folder, force=True)
    assert not (folder / "mine").exists() and (folder / "labels.csv").is_file()
    (tmp_path / "empty").mkdir()
    assert (export(corpus, tmp_path / "empty") / "labels.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "out"]  # no temporary folder left beside them


def test_a_failed_export_leaves_neither_the_folder_nor_a_temporary_one(corpus, tmp_path):
    table = corpus.table.copy()
    table.loc[3, "track_id"] = "sub/clip"
    broken = MERDataset(name="broken", table=table, root=corpus.root)
    with pytest.raises(DatasetError, match=r"track_id 'sub/clip' cannot name a file"):
        export(broken, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_the_command_reports_a_bad_option_or_folder_and_exits_with_2(corpus, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    (tmp_path / "full" / "mine").mkdir(parents=True)
    for argv, message in ([["synthetic", str(tmp_path / "file")], "is a file"],
                          [["synthetic", str(tmp_path / "full")], "is not empty"],
                          [["synthetic", str(tmp_path / "x"), "--option", "n_clips"], "expects KEY=VALUE"],
                          [["synthetic", str(tmp_path / "x"), "--option", "colour=red"], "has no option 'colour'"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2 and message in capsys.readouterr().err
