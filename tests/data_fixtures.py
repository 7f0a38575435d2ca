"""Tiny generated copies of each real dataset's layout, for the loader tests.

Every row, MIDI file and audio file here is made up by the test code (a few rows per
dataset); nothing comes from the real datasets. Each ``make_*`` writes the dataset's folder
under ``home`` (a pytest ``tmp_path``) the way the real distribution lays it out. The
helpers shared by the ``test_data_*`` files (``problems_about``, ``assert_absolute_paths``,
``real_home``) are here too.
"""

from __future__ import annotations

import csv
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

MOODTHEME = "mood/theme---"


# --------------------------------------------------------------------------- shared test helpers

def problems_about(problems, fragment: str) -> list[str]:
    """Files of the ``validate()`` findings whose problem mentions ``fragment``."""
    return [f for f, p in zip(problems["file"], problems["problem"]) if fragment in p]


def assert_absolute_paths(table) -> None:
    for column in ("audio_path", "midi_path", "lyrics_path"):
        if column in table.columns:
            assert all(Path(p).is_absolute() for p in table[column].dropna())


def real_home(folder: str) -> Path:
    """``$MER_DATA_HOME`` when it holds ``folder``; else the test is skipped."""
    home = os.environ.get("MER_DATA_HOME", "").strip()
    if not home:
        pytest.skip("MER_DATA_HOME is not set")
    if not (Path(home) / folder).is_dir():
        pytest.skip(f"{folder} is not under MER_DATA_HOME={home}")
    return Path(home)


# --------------------------------------------------------------------------- file writers

def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


def write_csv(path: Path, header, rows, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_midi(path: Path, notes: bool = True) -> Path:
    """A short piano MIDI file (or one with an empty piano track)."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    if notes:
        piano.notes += [pretty_midi.Note(velocity=80, pitch=60 + i, start=0.25 * i, end=0.25 * i + 0.2)
                        for i in range(4)]
    pm.instruments.append(piano)
    path.parent.mkdir(parents=True, exist_ok=True)
    pm.write(str(path))
    return path


def write_audio(path: Path, seconds: float = 0.25, sr: int = 16000) -> Path:
    """A short sine tone; the format follows the suffix (``.wav``, ``.flac``, ``.opus``)."""
    import soundfile as sf

    y = (0.1 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * sr)) / sr)).astype("float32")
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"format": "OGG", "subtype": "OPUS"} if path.suffix == ".opus" else {}  # Opus: sr 8-48 kHz
    sf.write(path, y, sr, **options)
    return path


@lru_cache(maxsize=None)
def _encoded_audio(suffix: str, seconds: float, sr: int) -> bytes:
    """Bytes of :func:`write_audio`'s tone, encoded once per session (Opus encoding is slow)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return write_audio(Path(folder) / f"tone{suffix}", seconds, sr).read_bytes()


def copy_audio(path: Path, seconds: float, sr: int = 16000) -> Path:
    """:func:`write_audio`, from a per-session copy of the encoded file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_encoded_audio(path.suffix, seconds, sr))
    return path


def write_garbage(path: Path) -> Path:
    """A file that no audio or MIDI reader can open."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a media file" * 8)
    return path


def replace_in_file(path: Path, old: str, new: str, encoding: str = "utf-8") -> None:
    text = path.read_text(encoding=encoding)
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding=encoding)


def drop_last_lines(path: Path, count: int = 1) -> int:
    """Remove the last ``count`` lines of a text file, as a cut at a line break would; returns
    the lines left."""
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-count]))
    return len(lines) - count


def keep_header_only(path: Path) -> None:
    """Cut a table after its header line."""
    path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])


def cut_last_line(path: Path, separator: str = ",", keep_fields: int = 1) -> None:
    """Cut a table in the middle of its last line: ``keep_fields`` whole fields and the first
    character of the next one, with no line break at the end (as a download that stopped there)."""
    lines = path.read_bytes().rstrip(b"\r\n").splitlines(keepends=True)
    last = lines[-1]
    cut = 0
    for _ in range(keep_fields):
        cut = last.index(separator.encode(), cut) + 1
    path.write_bytes(b"".join(lines[:-1]) + last[:cut + 1])


def drop_column(path: Path, column: str, encoding: str = "utf-8", delimiter: str = ",") -> None:
    with open(path, newline="", encoding=encoding) as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))
    index = [c.strip() for c in rows[0]].index(column)
    write_csv(path, rows[0][:index] + rows[0][index + 1:], [r[:index] + r[index + 1:] for r in rows[1:]],
              encoding, delimiter)


# --------------------------------------------------------------------------- EMOPIA

#: clip -> (split, song-level split); one clip outside the clip-level split.
EMOPIA_CLIPS = {
    "Q1_ab_cd-E_0": ("train", "train"), "Q1_ab_cd-E_1": ("validation", "train"),
    "Q2_song2xyz_0": ("train", "train"), "Q3_song3xyz_0": ("train", "validation"),
    "Q4_song4xyz_0": ("validation", "validation"), "Q4_song4xyz_1": ("test", "validation"),
    "Q3_song5xyz_2": (None, "test"),
}
EMOPIA_SPLIT_FILES = {"train": "train", "validation": "val", "test": "test"}


def emopia_song(clip: str) -> str:
    return clip[3:].rsplit("_", 1)[0]


def make_emopia(home: Path, split_folder: str = "split_cls") -> Path:
    root = home / "emopia"
    dist = root / "EMOPIA_1.0"
    for clip in EMOPIA_CLIPS:
        write_midi(dist / "midis" / f"{clip}.mid")
    write_csv(dist / "label.csv", ["ID", "4Q", "annotator"], [[c, c[1], "A"] for c in EMOPIA_CLIPS])
    songs = sorted({emopia_song(c) for c in EMOPIA_CLIPS})
    write_csv(dist / "metadata_by_song.csv", ["songID", "num_Q1", "num_Q2", "num_Q3", "num_Q4", "DominantQ"],
              [[s, 0, 0, 0, 0, 1] for s in songs])
    split_dir = root / split_folder
    for split, stem in EMOPIA_SPLIT_FILES.items():
        clips = [c for c, (s, _) in EMOPIA_CLIPS.items() if s == split]
        write_csv(split_dir / f"{stem}.csv", ["fname", "label"], [[c, c[:2]] for c in clips])
        song_rows = sorted({emopia_song(c) for c, (_, s) in EMOPIA_CLIPS.items() if s == split})
        write_csv(split_dir / f"{stem}_SL.csv", ["songID", "num_Q1", "num_Q2", "num_Q3", "num_Q4", "DominantQ"],
                  [[s, 1, 0, 0, 0, 1] for s in song_rows])
    return root


# --------------------------------------------------------------------------- MTG-Jamendo + MediaEval

MTG_TAGS = ["calm", "happy", "sad"]          # the split's tags (sorted, like moodtheme_split.txt)
MTG_ALL_TAGS = MTG_TAGS + ["rare"]           # the subset's tags
#: track -> (split, tags)
MTG_TRACKS = {
    "track_0000001": ("train", ["happy"]), "track_0000002": ("train", ["sad", "calm"]),
    "track_0000003": ("validation", ["calm"]), "track_0000004": ("test", ["happy", "sad"]),
    "track_0000005": ("test", ["calm"]), "track_0000006": ("test", ["sad"]),
    "track_0000007": (None, ["rare"]),
}
MTG_HEADER = ["TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH", "DURATION", "TAGS"]


def mtg_relative_path(track: str) -> str:
    number = int(track.split("_")[1])
    return f"{number % 100:02d}/{number}.mp3"


def _mtg_rows(tracks):
    return [[t, "artist_000001", "album_000001", mtg_relative_path(t), "120.5", *[MOODTHEME + g for g in tags]]
            for t, (_, tags) in tracks.items()]


def write_mtg_tsv(path: Path, tracks) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(MTG_HEADER)] + ["\t".join(row) for row in _mtg_rows(tracks)]
    return write_text(path, "\n".join(lines) + "\n")


def mtg_test_tracks() -> list[str]:
    return [t for t, (s, _) in MTG_TRACKS.items() if s == "test"]


def mtg_groundtruth() -> np.ndarray:
    truth = np.zeros((len(mtg_test_tracks()), len(MTG_TAGS)), dtype=bool)
    for row, track in enumerate(mtg_test_tracks()):
        for tag in MTG_TRACKS[track][1]:
            truth[row, MTG_TAGS.index(tag)] = True
    return truth


def make_mtg_jamendo(home: Path) -> Path:
    root = home / "mtg-jamendo"
    data = root / "data"
    write_mtg_tsv(data / "autotagging_moodtheme.tsv", MTG_TRACKS)
    write_text(data / "tags" / "moodtheme.txt", "".join(MOODTHEME + t + "\n" for t in MTG_ALL_TAGS))
    write_text(data / "tags" / "moodtheme_split.txt", "".join(MOODTHEME + t + "\n" for t in MTG_TAGS))
    for split in ("train", "validation", "test"):
        write_mtg_tsv(data / "splits" / "split-0" / f"autotagging_moodtheme-{split}.tsv",
                      {t: v for t, v in MTG_TRACKS.items() if v[0] == split})
    results = root / "results" / "mediaeval"
    results.mkdir(parents=True)
    truth = mtg_groundtruth()
    np.save(results / "groundtruth.npy", truth)
    rng = np.random.default_rng(0)
    np.save(results / "baseline_vggish_predictions.npy", rng.random(truth.shape).astype("float32"))
    np.save(results / "baseline_vggish_decisions.npy", rng.random(truth.shape) > 0.5)
    np.save(results / "baseline_popular_decisions.npy", np.zeros_like(truth))
    for name in ("Submission1_AReLU", "Submission2_AttentionConv"):
        folder = root / "mediaeval2020-augment" / name
        folder.mkdir(parents=True)
        np.save(folder / "predictions.npy", rng.random(truth.shape).astype("float32"))
        np.save(folder / "decisions.npy", rng.random(truth.shape) > 0.5)
    return root


# --------------------------------------------------------------------------- DEAM, PMEmo

def make_deam(home: Path) -> Path:
    root = home / "deam"
    write_text(root / "static_annotations_averaged_songs_1_2000.csv",
               "song_id, valence_mean, valence_std, arousal_mean, arousal_std\n"
               "2,3.2,0.94,3,0.63\n3,5,1.0,9,1.2\n10,1,2,7.4,0.8\n")
    write_text(root / "static_annotations_averaged_songs_2000_2058.csv",
               "song_id, valence_mean, valence_std, valence_ max_mean, valence_max_std, valence_min_mean, "
               "valence_min_std, arousal_mean, arousal_std, arousal_max_mean, arousal_max_std, arousal_min_mean, "
               "arousal_min_std\n2001,7,0.5,8,0.4,6,0.4,6.6,0.8,8.6,0.49,3.4,1.02\n")
    for split, ids in {"train": ["2", "3"], "validation": ["10"], "test": ["2001"]}.items():
        write_text(root / "split" / f"{split}.txt", "\n".join(ids) + "\n")
    return root


def make_pmemo(home: Path) -> Path:
    root = home / "pmemo"
    write_csv(root / "static_annotations.csv",
              ["song_id", "valence_mean", "valence_std", "arousal_mean", "arousal_std"],
              [[1, 5.6, 0.16, 4.2, 0.15], [4, 3.3, 0.15, 3.1, 0.15], [7, 9, 0.1, 1, 0.1]])
    write_csv(root / "metadata.csv", ["musicId", "fileName", "title", "artist", "album", "duration",
                                      "chorus_start_time", "chorus_end_time"],
              [[1, "1.mp3", "Song One", "Artist A", "Album", 30.1, "01:00", "01:30"],
               [4, "4.mp3", "Song, Four", "Artist B", "Album", 28.0, "02:00", "02:28"],
               [7, "7.mp3", "Song Seven", "Artist C", "Album", 31.0, "00:10", "00:41"],
               [9, "9.mp3", "Unannotated", "Artist D", "Album", 30.0, "00:10", "00:40"]])
    write_csv(root / "dynamic_annotations.csv", ["musicId", "frameTime", "Arousal(mean)", "Valence(mean)"],
              [[1, 15.5, 0.4, 0.5], [1, 16.0, 0.41, 0.52]])
    for split, ids in {"train": ["1"], "validation": ["4"], "test": ["7"]}.items():
        write_text(root / "split" / f"{split}.txt", "\n".join(ids) + "\n")
    return root


# --------------------------------------------------------------------------- Deezer, MoodyLyrics, social tags

DEEZER_HEADER = ["dzr_sng_id", "MSD_sng_id", "MSD_track_id", "valence", "arousal", "artist_name", "track_name"]


def make_deezer(home: Path) -> Path:
    root = home / "deezer-msdd"
    rows = {"train": [[101, "SOA", "TRA", -0.4, 0.7, "Artist A", "Song A"],
                      [102, "SOB", "TRB", 1.2, -0.3, "Artist B", "Song, B"]],
            "validation": [[201, "SOC", "TRC", 0.0, 0.1, "Artist C", "Song C"]],
            "test": [[301, "SOD", "TRD", -1.9, -0.6, "Artist D", "Song D"]]}
    for split, split_rows in rows.items():
        write_csv(root / f"{split}.csv", DEEZER_HEADER, split_rows)
    return root


MOODS = ["happy", "angry", "sad", "relaxed"]


def make_moodylyrics(home: Path, per_mood: int = 10) -> Path:
    root = home / "moodylyrics"
    rows = [[f"ML{i + 1}", f"Artíst {i}", f"Sóng {i} ", MOODS[i % 4]] for i in range(4 * per_mood)]
    write_csv(root / "MoodyLyrics.csv", ["Index", "Artist", "Song", "Emotion"], rows, encoding="latin-1")
    write_csv(root / "MoodyLyrics4Q.csv", ["Index", "Artist", "Title", "Mood"],
              [[r[0], r[1], "12" if i == 0 else r[2], r[3]] for i, r in enumerate(rows)], encoding="latin-1")
    return root


def make_social_tags(home: Path) -> Path:
    root = home / "social-tags"
    annotations = {
        "11": {"valence": 0.9, "arousal": 0.8, "emotion_tags": [["happiness", 3], ["excitement", 5]]},
        "12": {"valence": 0.1, "arousal": 0.9, "emotion_tags": [["anger", 2]]},
        "13": {"valence": 0.2, "arousal": 0.1, "emotion_tags": [["sadness", 4], ["grief", 4]]},
        "14": {"valence": 0.7, "arousal": 0.3, "emotion_tags": [["calmness", 1]]},
    }
    info = {k: {"msd_id": f"TR{k}", "song_meanings_id": f"9{k}", "artist_name": f"Artist {k}",
                "song_title": f"Title {k}"} for k in annotations}
    write_text(root / "annotations.json", json.dumps(annotations))
    write_text(root / "data_info.json", json.dumps(info))
    return root


# --------------------------------------------------------------------------- mirex-mm

#: song_id -> (cluster, mood, has_lyrics, has_midi)
MIREX_SONGS = {
    "001": (1, "Boisterous", 1, 1), "002": (1, "Rowdy", 0, 0), "003": (2, "Amiable-good natured", 1, 0),
    "004": (3, "Bittersweet", 1, 1), "005": (4, "whimsical", 0, 0), "006": (5, "Tense - Anxious", 1, 0),
    "007": (5, "Agressive", 1, 0), "008": (3, "Wistful", 0, 0),
}


def make_mirex(home: Path, artists: dict | None = None) -> Path:
    """mirex-mm's layout; its audio clips last 30 s like the real ones (``CLIP_SECONDS``).
    ``artists`` maps song_id -> artist (default: one artist per song)."""
    root = home / "mirex-mm"
    rows = []
    for song, (cluster, mood, lyrics, midi) in MIREX_SONGS.items():
        artist = (artists or {}).get(song, f"Artist {song}")
        rows.append([song, cluster, mood, f"Title {song}", artist, "Album", 1990, lyrics, midi])
        copy_audio(root / "audio" / f"{song}.opus", seconds=30.0, sr=8000)
        if lyrics:
            write_text(root / "lyrics" / f"{song}.txt", "made-up words for a test\n")
        if midi:
            write_midi(root / "midi" / f"{song}.mid")
    write_csv(root / "metadata.csv", ["song_id", "cluster", "mood", "title", "artist", "album", "year",
                                      "has_lyrics", "has_midi"], rows)
    return root


# --------------------------------------------------------------------------- bring-your-own folder

def make_user_folder(path: Path) -> Path:
    """A user's folder: audio files + labels.csv with their own column names."""
    rows = []
    for i, quadrant in enumerate(["Q1", "Q2", "3", "Q4", "Q1", "Q2", "Q3", "Q4"]):
        write_audio(path / "clips" / f"c{i}.wav")
        rows.append([f"c{i}", f"clips/c{i}.wav", quadrant, 0.1 * i, -0.1 * i, f"Song {i}", f"Artist {i}", "calm; dark"])
    write_csv(path / "labels.csv", ["id", "file", "emotion", "v", "a", "title", "artist", "moods"], rows)
    return path
