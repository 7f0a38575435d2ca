"""Bad input to the dataset loaders and to ``validate(deep=True)``: truncated, header-only and
empty files, empty V/A cells, truncated, silent and empty audio. Fixture-based tests build
their broken copies in ``tmp_path``; the ``real`` ones cut copies of the real files."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import data_fixtures as fx
from mer_lib import data
from mer_lib.data import DatasetError, deam, deezer_msdd, emopia, mirex_mm, moodylyrics, mtg_jamendo, pmemo, social_tags
from mer_lib.data.base import MERDataset
from mer_lib.data.tables import OfficialFile, record_fingerprint


def problems_of(dataset) -> dict[str, str]:
    """``{file name: problem}`` of ``validate(deep=True)``."""
    found = dataset.validate(deep=True)
    return {Path(f).name: p for f, p in zip(found["file"], found["problem"])}


# --------------------------------------------------------------------------- 1. truncated label files

#: (dataset, fixture, module, key in module.OFFICIAL (or OFFICIAL_SPLITS), file under the dataset
#: folder, kind of file: "table" with a header, "list" of lines, or "json" object)
KNOWN_FILES = [
    ("deezer_msdd", fx.make_deezer, deezer_msdd, "OFFICIAL", "train.csv", "train.csv", "table"),
    ("deam", fx.make_deam, deam, "OFFICIAL", deam.ANNOTATION_FILES[0], deam.ANNOTATION_FILES[0], "table"),
    ("deam", fx.make_deam, deam, "OFFICIAL_SPLITS", "train.txt", "split/train.txt", "list"),
    ("pmemo", fx.make_pmemo, pmemo, "OFFICIAL", "static_annotations.csv", "static_annotations.csv", "table"),
    ("pmemo", fx.make_pmemo, pmemo, "OFFICIAL", "metadata.csv", "metadata.csv", "table"),
    ("emopia", fx.make_emopia, emopia, "OFFICIAL", "label.csv", "EMOPIA_1.0/label.csv", "table"),
    ("emopia", fx.make_emopia, emopia, "OFFICIAL", "train.csv", "split_cls/train.csv", "table"),
    ("moodylyrics", fx.make_moodylyrics, moodylyrics, "OFFICIAL", "MoodyLyrics.csv", "MoodyLyrics.csv", "table"),
    ("moodylyrics4q", fx.make_moodylyrics, moodylyrics, "OFFICIAL", "MoodyLyrics4Q.csv", "MoodyLyrics4Q.csv",
     "table"),
    ("social_tags", fx.make_social_tags, social_tags, "OFFICIAL", "annotations.json", "annotations.json", "json"),
    ("mirex_mm", fx.make_mirex, mirex_mm, "OFFICIAL", "metadata.csv", "metadata.csv", "table"),
    ("mtg_jamendo_moodtheme", fx.make_mtg_jamendo, mtg_jamendo, "OFFICIAL", "autotagging_moodtheme.tsv",
     "data/autotagging_moodtheme.tsv", "table"),
    ("mtg_jamendo_moodtheme", fx.make_mtg_jamendo, mtg_jamendo, "OFFICIAL",
     "split-0/autotagging_moodtheme-test.tsv", "data/splits/split-0/autotagging_moodtheme-test.tsv", "table"),
]


def declare_official(monkeypatch, module, attribute: str, key: str, path: Path, kind: str) -> int:
    """Make the fixture file ``path`` the module's known official file (its rows, its first
    record); returns its row count."""
    if kind == "json":
        entries = json.loads(path.read_text())
        rows, first = len(entries), next(iter(entries))
    else:
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
        header = kind == "table"
        rows, first = len(lines) - header, lines[header]
    monkeypatch.setitem(getattr(module, attribute), key, OfficialFile(rows=rows, first=record_fingerprint(first)))
    return rows


def drop_last_record(path: Path, kind: str) -> int:
    """Remove the last record of ``path`` at a record boundary; returns the records left."""
    if kind == "json":
        entries = json.loads(path.read_text())
        entries.pop(list(entries)[-1])
        path.write_text(json.dumps(entries))
        return len(entries)
    return fx.drop_last_lines(path) - (kind == "table")


@pytest.mark.parametrize("name, make, module, attribute, key, relative, kind", KNOWN_FILES,
                         ids=[f"{c[0]}-{c[4]}" for c in KNOWN_FILES])
def test_a_known_file_missing_its_last_rows_is_an_error_naming_both_counts(tmp_path, monkeypatch, name, make,
                                                                          module, attribute, key, relative, kind):
    root = make(tmp_path)
    rows = declare_official(monkeypatch, module, attribute, key, root / relative, kind)
    assert len(data.load(name, data_home=tmp_path)) > 0  # the whole file loads
    left = drop_last_record(root / relative, kind)
    message = rf"{re.escape(Path(relative).name)}: found {left} rows, expected {rows}"
    with pytest.raises(DatasetError, match=message):
        data.load(name, data_home=tmp_path)


def test_a_file_that_starts_otherwise_is_not_held_to_the_official_count(tmp_path, monkeypatch):
    root = fx.make_deezer(tmp_path)
    monkeypatch.setitem(deezer_msdd.OFFICIAL, "train.csv", OfficialFile(rows=500, first=record_fingerprint("x")))
    assert len(data.load("deezer_msdd", data_home=tmp_path)) == 4  # another release or a subset: read as is
    assert (root / "train.csv").is_file()


def test_a_known_file_cut_inside_its_last_field_is_an_error(tmp_path, monkeypatch):
    root = fx.make_moodylyrics(tmp_path)
    path = root / "MoodyLyrics.csv"
    declare_official(monkeypatch, moodylyrics, "OFFICIAL", "MoodyLyrics.csv", path, "table")
    path.write_bytes(path.read_bytes().rstrip(b"\r\n")[:-2])  # "...,relaxed" cut to "...,relax": all fields there
    with pytest.raises(DatasetError, match=r"MoodyLyrics\.csv: no line break at the end"):
        data.load("moodylyrics", data_home=tmp_path)


#: (dataset, fixture, file cut in the middle of its last line, field separator, whole fields kept)
CUT_FILES = [
    ("deezer_msdd", fx.make_deezer, "test.csv", ",", 3),
    ("deam", fx.make_deam, "static_annotations_averaged_songs_1_2000.csv", ",", 1),
    ("pmemo", fx.make_pmemo, "static_annotations.csv", ",", 2),
    ("emopia", fx.make_emopia, "EMOPIA_1.0/label.csv", ",", 1),
    ("emopia", fx.make_emopia, "split_cls/val.csv", ",", 0),
    ("moodylyrics", fx.make_moodylyrics, "MoodyLyrics.csv", ",", 2),
    ("mirex_mm", fx.make_mirex, "metadata.csv", ",", 4),
    ("mtg_jamendo_moodtheme", fx.make_mtg_jamendo, "data/splits/split-0/autotagging_moodtheme-train.tsv", "\t", 4),
]


@pytest.mark.parametrize("name, make, relative, separator, kept", CUT_FILES,
                         ids=[f"{c[0]}-{c[2]}" for c in CUT_FILES])
def test_a_csv_cut_in_the_middle_of_a_line_is_an_error(tmp_path, name, make, relative, separator, kept):
    root = make(tmp_path)
    fx.cut_last_line(root / relative, separator, keep_fields=kept)
    with pytest.raises(DatasetError, match=rf"{re.escape(Path(relative).name)}: the last line is cut short "
                                           rf"\({kept + 1} of \d+ fields"):
        data.load(name, data_home=tmp_path)


def test_a_folder_labels_csv_cut_in_the_middle_of_a_line_is_an_error(tmp_path):
    fx.make_user_folder(tmp_path)
    fx.cut_last_line(tmp_path / "labels.csv", keep_fields=3)
    with pytest.raises(DatasetError, match=r"labels\.csv: the last line is cut short \(4 of 8 fields"):
        data.load("folder", path=tmp_path)


def test_a_last_line_without_a_line_break_but_complete_is_read(tmp_path):
    fx.make_user_folder(tmp_path)
    path = tmp_path / "labels.csv"
    path.write_bytes(path.read_bytes().rstrip(b"\r\n"))
    assert len(data.load("folder", path=tmp_path, columns={"audio_path": "file"})) == 8


def copy_real(folder: str, tmp_path: Path) -> Path:
    """A copy of the real ``folder`` under ``tmp_path`` (media folders left out)."""
    home = fx.real_home(folder)
    shutil.copytree(home / folder, tmp_path / folder,
                    ignore=shutil.ignore_patterns("audio", "midi", "midis", "lyrics", "results",
                                                  "mediaeval2020-augment", "songs_lists"))
    return tmp_path


#: (dataset, its folder, a file of it, the official count, "table"/"list"/"json")
REAL_FILES = [
    ("deezer_msdd", "deezer-msdd", "test.csv", 3514, "table"),
    ("deezer_msdd", "deezer-msdd", "train.csv", 11267, "table"),
    ("deam", "deam", "static_annotations_averaged_songs_1_2000.csv", 1744, "table"),
    ("deam", "deam", "split/test.txt", 270, "list"),
    ("pmemo", "pmemo", "static_annotations.csv", 767, "table"),
    ("pmemo", "pmemo", "split/train.txt", 536, "list"),
    ("emopia", "emopia", "EMOPIA_1.0/label.csv", 1078, "table"),
    ("emopia", "emopia", "split_cls/test.csv", 86, "table"),
    ("moodylyrics", "moodylyrics", "MoodyLyrics.csv", 2595, "table"),
    ("moodylyrics4q", "moodylyrics", "MoodyLyrics4Q.csv", 2000, "table"),
    ("social_tags", "social-tags", "annotations.json", 9654, "json"),
    ("mirex_mm", "mirex-mm", "metadata.csv", 903, "table"),
    ("mtg_jamendo_moodtheme", "mtg-jamendo", "data/autotagging_moodtheme.tsv", 18486, "table"),
    ("mtg_jamendo_moodtheme", "mtg-jamendo", "data/splits/split-0/autotagging_moodtheme-validation.tsv", 3802,
     "table"),
]


@pytest.mark.real
@pytest.mark.parametrize("name, folder, relative, rows, kind", REAL_FILES, ids=[f"{c[0]}-{c[2]}" for c in REAL_FILES])
def test_a_real_label_file_cut_at_a_line_break_is_an_error_naming_both_counts(tmp_path, name, folder, relative,
                                                                              rows, kind):
    home = copy_real(folder, tmp_path)
    path = home / folder / relative
    if kind == "json":
        entries = json.loads(path.read_text())
        path.write_text(json.dumps(dict(list(entries.items())[: rows // 2])))
    else:
        fx.drop_last_lines(path, rows - rows // 2)
    with pytest.raises(DatasetError, match=rf"{re.escape(Path(relative).name)}: found {rows // 2} rows, "
                                           rf"expected {rows}"):
        data.load(name, data_home=home)


@pytest.mark.real
def test_the_real_deezer_test_csv_cut_to_20_kb_is_an_error(tmp_path):
    home = copy_real("deezer-msdd", tmp_path)
    path = home / "deezer-msdd" / "test.csv"
    assert data.load("deezer_msdd", data_home=home).validate().empty  # the copy itself is whole
    path.write_bytes(path.read_bytes()[:20_000])
    whole_rows = path.read_bytes().count(b"\n") - 1  # pandas read these and the cut one: 190 songs
    assert whole_rows + 1 == 190
    with pytest.raises(DatasetError, match=r"test\.csv: found 190 rows, expected 3514"):  # cut in a title
        data.load("deezer_msdd", data_home=home)
    fx.drop_last_lines(path)  # now cut at a line break
    with pytest.raises(DatasetError, match=rf"test\.csv: found {whole_rows} rows, expected 3514"):
        data.load("deezer_msdd", data_home=home)


# --------------------------------------------------------------------------- 2. header-only files

#: (dataset, fixture, file left with its header only (a JSON object: emptied))
HEADER_ONLY = [
    ("emopia", fx.make_emopia, "EMOPIA_1.0/label.csv"),
    ("emopia", fx.make_emopia, "split_cls/test.csv"),
    ("mtg_jamendo_moodtheme", fx.make_mtg_jamendo, "data/autotagging_moodtheme.tsv"),
    ("mediaeval2020_results", fx.make_mtg_jamendo, "data/splits/split-0/autotagging_moodtheme-test.tsv"),
    ("deam", fx.make_deam, "static_annotations_averaged_songs_2000_2058.csv"),
    ("pmemo", fx.make_pmemo, "static_annotations.csv"),
    ("deezer_msdd", fx.make_deezer, "test.csv"),
    ("moodylyrics", fx.make_moodylyrics, "MoodyLyrics.csv"),
    ("moodylyrics4q", fx.make_moodylyrics, "MoodyLyrics4Q.csv"),
    ("social_tags", fx.make_social_tags, "annotations.json"),
    ("mirex_mm", fx.make_mirex, "metadata.csv"),
]


@pytest.mark.parametrize("name, make, relative", HEADER_ONLY, ids=[f"{c[0]}-{c[2]}" for c in HEADER_ONLY])
def test_a_header_only_csv_is_an_error(tmp_path, name, make, relative):
    root = make(tmp_path)
    path = root / relative
    if path.suffix == ".json":
        path.write_text("{}")
    else:
        fx.keep_header_only(path)
    with pytest.raises(DatasetError, match=rf"{re.escape(path.name)}: no (rows, only a header|entries)"):
        data.load(name, data_home=tmp_path)


def test_a_header_only_folder_csv_is_an_error(tmp_path):
    fx.make_user_folder(tmp_path)
    fx.keep_header_only(tmp_path / "labels.csv")
    with pytest.raises(DatasetError, match=r"labels\.csv: no rows, only a header"):
        data.load("folder", path=tmp_path)


def test_an_empty_labels_file_is_an_error(tmp_path):
    fx.make_user_folder(tmp_path)
    (tmp_path / "labels.csv").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"labels\.csv: empty file"):
        data.load("folder", path=tmp_path)


def test_an_empty_split_list_is_an_error(tmp_path):
    root = fx.make_deam(tmp_path)
    (root / "split" / "validation.txt").write_text("")
    with pytest.raises(DatasetError, match=r"validation\.txt: empty split list"):
        data.load("deam", data_home=tmp_path)


def test_a_loader_returning_no_clips_is_an_error(monkeypatch):
    def empty_loader(data_home):
        return MERDataset(name="nothing", table=pd.DataFrame({"track_id": [], "split": []}), root=Path("."))

    monkeypatch.setitem(data._REGISTRY, "nothing", data.DatasetInfo("nothing", empty_loader, None, "empty"))
    with pytest.raises(DatasetError, match="'nothing' has no clips"):
        data.load("nothing")


# --------------------------------------------------------------------------- 3. empty valence/arousal cells

#: (dataset, fixture, file, old text, new text, error: file, column and rows)
EMPTY_VA = [
    ("deezer_msdd", fx.make_deezer, "train.csv", "1.2,-0.3", ",-0.3",
     r"train\.csv: valence is empty or NaN in 1 row\(s\): line 3"),
    ("deezer_msdd", fx.make_deezer, "validation.csv", "0.0,0.1", "0.0,NaN",
     r"validation\.csv: arousal is empty or NaN in 1 row\(s\): line 2"),
    ("deam", fx.make_deam, "static_annotations_averaged_songs_1_2000.csv", "3,5,1.0,9,1.2", "3,,1.0,9,1.2",
     r"songs_1_2000\.csv: valence_mean is empty or NaN in 1 row\(s\): line 3"),
    ("deam", fx.make_deam, "static_annotations_averaged_songs_1_2000.csv", "10,1,2,7.4,0.8", "10,1,2, ,0.8",
     r"songs_1_2000\.csv: arousal_mean is empty or NaN in 1 row\(s\): line 4"),
    ("pmemo", fx.make_pmemo, "static_annotations.csv", "4,3.3,0.15,3.1", "4,3.3,,3.1",
     r"static_annotations\.csv: valence_std is empty or NaN in 1 row\(s\): line 3"),
    ("social_tags", fx.make_social_tags, "annotations.json", '"arousal": 0.9', '"arousal": null',
     r"annotations\.json: arousal is empty or NaN in 1 row\(s\): '12'"),
]


@pytest.mark.parametrize("name, make, relative, old, new, message", EMPTY_VA,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(EMPTY_VA)])
def test_an_empty_valence_or_arousal_cell_is_an_error_naming_the_file_and_rows(tmp_path, name, make, relative,
                                                                               old, new, message):
    root = make(tmp_path)
    fx.replace_in_file(root / relative, old, new)
    with pytest.raises(DatasetError, match=message):
        data.load(name, data_home=tmp_path)


def test_an_empty_valence_cell_in_a_folder_csv_is_an_error_naming_the_rows(tmp_path):
    fx.make_user_folder(tmp_path)
    fx.replace_in_file(tmp_path / "labels.csv", ",0.2,", ",,")
    fx.replace_in_file(tmp_path / "labels.csv", ",0.5,", ",nan,")
    with pytest.raises(DatasetError, match=r"labels\.csv: v is empty or NaN in 2 row\(s\): line 4, line 7"):
        data.load("folder", path=tmp_path, columns={"valence": "v"})


def test_an_empty_cell_in_the_dynamic_annotations_is_an_error(tmp_path):
    root = fx.make_pmemo(tmp_path)
    fx.replace_in_file(root / "dynamic_annotations.csv", "16.0,0.41", "16.0,")
    with pytest.raises(DatasetError, match=r"dynamic_annotations\.csv: Arousal\(mean\) is empty or NaN.*line 3"):
        pmemo.load_dynamic(tmp_path)


def test_an_empty_cluster_in_a_folder_csv_stays_missing(tmp_path):
    for i in range(2):
        fx.write_audio(tmp_path / f"t{i}.wav")
    fx.write_csv(tmp_path / "labels.csv", ["track_id", "cluster"], [["t0", 1], ["t1", ""]])
    table = data.load("folder", path=tmp_path).table
    assert table["cluster"].iloc[0] == 1 and table["cluster"].isna().iloc[1]


# --------------------------------------------------------------------------- 4. validate(deep=True) on audio

def tone(seconds: float = 3.0, sr: int = 22050, level: float = 0.3) -> np.ndarray:
    return (level * np.sin(2 * np.pi * 440 * np.arange(int(seconds * sr)) / sr)).astype("float32")


def audio_dataset(paths) -> MERDataset:
    table = pd.DataFrame({"track_id": [Path(p).stem for p in paths], "split": "train",
                          "audio_path": [str(p) for p in paths]})
    return MERDataset(name="toy", table=table, root=Path("."))


@pytest.mark.parametrize("suffix, options", [(".wav", {}), (".flac", {}), (".mp3", {"format": "MP3"})])
def test_validate_deep_flags_audio_cut_to_a_third(tmp_path, suffix, options):
    import soundfile as sf

    whole, cut = tmp_path / f"whole{suffix}", tmp_path / f"cut{suffix}"
    sf.write(whole, tone(), 22050, **options)
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    found = problems_of(audio_dataset([whole, cut]))
    assert list(found) == [cut.name]
    assert re.match(r"truncated: decodes [0-9.]+ s of the 3\.00 s its header declares", found[cut.name])
    decoded = float(found[cut.name].split()[2])
    assert 0.5 < decoded < 1.5  # about a third of 3 s


def test_validate_deep_flags_silent_and_near_silent_audio(tmp_path):
    import soundfile as sf

    sf.write(tmp_path / "zeros.wav", np.zeros(22050 * 2, dtype="float32"), 22050)
    sf.write(tmp_path / "hiss.flac", tone(level=2e-5), 22050)
    sf.write(tmp_path / "quiet_but_there.wav", tone(level=1e-2), 22050)
    found = problems_of(audio_dataset(sorted(tmp_path.iterdir())))
    assert set(found) == {"zeros.wav", "hiss.flac"}
    assert all(p.startswith("silent audio: RMS below -80 dBFS") for p in found.values())


def test_validate_deep_names_an_empty_audio_file(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    found = problems_of(audio_dataset([empty]))
    assert found == {"empty.wav": "empty file (0 bytes)"}


def test_validate_deep_names_empty_midi_and_lyrics_files(tmp_path):
    (tmp_path / "a.mid").write_bytes(b"")
    (tmp_path / "a.txt").write_bytes(b"")
    table = pd.DataFrame({"track_id": ["a"], "split": ["train"], "midi_path": [str(tmp_path / "a.mid")],
                          "lyrics_path": [str(tmp_path / "a.txt")]})
    assert set(problems_of(MERDataset(name="toy", table=table, root=tmp_path)).values()) == {"empty file (0 bytes)"}


def test_validate_deep_flags_a_mirex_clip_much_shorter_than_30_s(tmp_path):
    root = fx.make_mirex(tmp_path)
    fx.write_audio(root / "audio" / "003.opus", seconds=1.0)
    found = problems_of(data.load("mirex_mm", data_home=tmp_path))
    assert found == {"003.opus": "truncated: 1.00 s of audio, the dataset's clips last 30.00 s"}


def test_validate_deep_flags_mtg_audio_much_shorter_than_its_duration(tmp_path):
    root = fx.make_mtg_jamendo(tmp_path)
    track = root / "audio-low" / fx.mtg_relative_path("track_0000001").replace(".mp3", ".low.mp3")
    fx.write_audio(track.with_suffix(".wav"), seconds=2.0).rename(track)
    found = problems_of(data.load("mtg_jamendo_moodtheme", data_home=tmp_path))
    assert found == {track.name: "truncated: 2.00 s of audio, the metadata's DURATION is 120.50 s"}
