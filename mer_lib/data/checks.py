"""File checks shared by every dataset's ``validate()``.

``validate(deep=True)`` opens every file (:func:`check_files`). An audio file is reported when
it is empty (0 bytes), unreadable, holds no samples, is **truncated** (it decodes much less
than the length its header declares) or is **silent** (every block of it below
:data:`SILENCE_RMS`); see :func:`audio_problem`. :func:`short_audio` compares audio lengths
with lengths a dataset knows (its metadata, or its nominal clip length).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pretty_midi
import soundfile as sf

PATH_COLUMNS = ("audio_path", "midi_path", "lyrics_path")
PROBLEM_COLUMNS = ["track_id", "file", "problem"]
#: RMS (full scale = 1) under which a block of audio counts as silent: -80 dBFS.
SILENCE_RMS = 1e-4
#: A file decoding less than this share of its declared (or expected) length is truncated.
TRUNCATED_SHARE = 0.9
#: A file shorter than this share of the length a dataset expects is reported (:func:`short_audio`).
SHORT_SHARE = 0.8
#: Seconds decoded per block when looking for sound, and at the end to check the file is whole.
BLOCK_SECONDS = 0.25


def file_digest(path: str | Path, algorithm: str = "md5", chunk: int = 1 << 20) -> str:
    """Hex digest of a file with any ``hashlib`` algorithm (read in chunks)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def md5(path: str | Path) -> str:
    """MD5 hex digest of a file."""
    return file_digest(path, "md5")


def sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file."""
    return file_digest(path, "sha256")


def _wav_declared_frames(path: str | Path) -> int | None:
    """Frames the ``data`` chunk of a RIFF/WAVE header declares (libsndfile reports only those
    present), or None when the file is not a plain WAV or does not say."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    position, block_align = 12, None
    while position + 8 <= len(head):
        chunk, size = head[position:position + 4], int.from_bytes(head[position + 4:position + 8], "little")
        if chunk == b"fmt " and position + 22 <= len(head):
            block_align = int.from_bytes(head[position + 20:position + 22], "little")
        elif chunk == b"data":
            if not block_align or size in (0, 0xFFFFFFFF):
                return None
            return size // block_align
        position += 8 + size + (size & 1)
    return None


def _rms(block: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(block, dtype=np.float64)))) if block.size else 0.0


def _decodable_frames(path: str | Path, block: int) -> tuple[int, str | None]:
    """Frames that decode from the start, and the error that stopped decoding (None: the end)."""
    frames = 0
    try:
        with sf.SoundFile(path) as handle:
            while True:
                data = handle.read(block, dtype="float32", always_2d=True)
                if not len(data):
                    return frames, None
                frames += len(data)
    except Exception as err:  # a cut FLAC loses sync, a cut MP3 frame fails...
        return frames, f"{type(err).__name__}: {str(err).strip() or 'no message'}"


def audio_problem(path: str | Path) -> str | None:
    """What is wrong with one audio file, or None.

    In order: ``empty file (0 bytes)``; ``audio has no samples``; ``truncated`` (it decodes
    under :data:`TRUNCATED_SHARE` of the frames its header declares: the WAV ``data`` chunk
    size, or the length soundfile reads from a FLAC/MP3 header; a file cut to a third decodes
    about a third); ``unreadable`` (decoding fails later on); ``silent audio`` (every
    :data:`BLOCK_SECONDS` block below :data:`SILENCE_RMS`, i.e. -80 dBFS). Decoding stops at the
    first block with sound, and the end of the declared length is then read to check the file
    is whole, so a file with sound costs a few blocks. Ogg (Vorbis/Opus) streams declare no
    length (soundfile reports that of the stream present): compare them with a known length
    (:func:`short_audio`).

    Raises:
        Exception: Whatever soundfile raises for a file it cannot open (the caller reports it).
    """
    if os.path.getsize(path) == 0:
        return "empty file (0 bytes)"
    info = sf.info(str(path))
    rate = info.samplerate
    declared = _wav_declared_frames(path) or info.frames
    if declared == 0:
        return "audio has no samples (an empty or truncated stream)"
    block = max(1, int(BLOCK_SECONDS * rate))
    decoded, sound, error = 0, False, None
    try:
        with sf.SoundFile(str(path)) as handle:
            while not sound:
                data = handle.read(block, dtype="float32", always_2d=True)
                if not len(data):
                    break
                decoded += len(data)
                sound = _rms(data) >= SILENCE_RMS
    except Exception as err:
        error = f"{type(err).__name__}: {str(err).strip() or 'no message'}"
    if sound and error is None:  # the rest is not decoded: is the end of the declared length there?
        decoded = declared if info.format == "OGG" else _tail_check(path, declared, block)
    if decoded < TRUNCATED_SHARE * declared:
        stop = f" ({error})" if error else ""
        return (f"truncated: decodes {decoded / rate:.2f} s of the {declared / rate:.2f} s its header "
                f"declares{stop}")
    if error is not None:
        return f"unreadable: {error}"
    if not sound:
        return f"silent audio: RMS below {20 * np.log10(SILENCE_RMS):.0f} dBFS throughout its {decoded / rate:.2f} s"
    return None


def _tail_check(path: str | Path, declared: int, block: int) -> int:
    """``declared`` when the last block of the declared length decodes, else the frames that do."""
    tail = min(block, declared)
    try:
        with sf.SoundFile(str(path)) as handle:
            handle.seek(declared - tail)
            if len(handle.read(tail, dtype="float32")) >= tail // 2:
                return declared
    except Exception:
        pass
    return _decodable_frames(path, block)[0]


def _open_problem(column: str, path: str) -> str | None:
    try:
        if os.path.getsize(path) == 0:
            return "empty file (0 bytes)"
        if column == "audio_path":
            return audio_problem(path)
        if column == "midi_path":
            pm = pretty_midi.PrettyMIDI(path)
            if not any(inst.notes for inst in pm.instruments):
                return "MIDI has no notes"
        elif column == "lyrics_path":
            if not Path(path).read_text(errors="replace").strip():
                return "lyrics file is empty"
    except Exception as err:  # any failure to open is the finding itself
        return f"unreadable: {type(err).__name__}: {str(err).strip() or 'no message'}"
    return None


def short_audio(table: pd.DataFrame, expected_seconds, what: str = "expected",
                share: float = SHORT_SHARE, column: str = "audio_path") -> pd.DataFrame:
    """Findings for audio files shorter than ``share`` of the length a dataset knows.

    The length is soundfile's (header or stream), so this is cheap; files it cannot open are
    left to :func:`check_files`.

    Args:
        table: A dataset table.
        expected_seconds: One length for every clip, or a Series aligned with ``table``.
        what: How the expected length is named in the finding (``"the dataset's clips last"``).
        share: Fraction of the expected length under which a file is reported.
        column: The audio column.
    """
    if column not in table.columns:
        return pd.DataFrame([], columns=PROBLEM_COLUMNS)
    expected = (expected_seconds if isinstance(expected_seconds, pd.Series)
                else pd.Series(float(expected_seconds), index=table.index))
    found = []
    for track_id, path, seconds in zip(table["track_id"], table[column], pd.to_numeric(expected, errors="coerce")):
        if not isinstance(path, str) or not (seconds > 0) or not os.path.isfile(path):
            continue
        try:
            duration = sf.info(path).duration
        except Exception:
            continue
        if duration < share * seconds:
            found.append((track_id, path, f"truncated: {duration:.2f} s of audio, {what} {seconds:.2f} s"))
    return pd.DataFrame(found, columns=PROBLEM_COLUMNS)


def check_files(table: pd.DataFrame, deep: bool = False) -> pd.DataFrame:
    """Missing (and, with ``deep``, empty, unreadable, truncated or silent) files referenced by a
    dataset table: ``track_id``, ``file``, ``problem`` (see :func:`audio_problem`)."""
    problems = []
    for column in PATH_COLUMNS:
        if column not in table.columns:
            continue
        for track_id, path in zip(table["track_id"], table[column]):
            if not isinstance(path, str) or not path:
                continue
            if not Path(path).is_file():
                problems.append((track_id, path, "missing file"))
            elif deep:
                issue = _open_problem(column, path)
                if issue:
                    problems.append((track_id, path, issue))
    return pd.DataFrame(problems, columns=["track_id", "file", "problem"])
