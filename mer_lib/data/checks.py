"""File checks shared by every dataset's ``validate()``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

PATH_COLUMNS = ("audio_path", "midi_path", "lyrics_path")


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


def _open_problem(column: str, path: str) -> str | None:
    try:
        if column == "audio_path":
            import soundfile as sf

            info = sf.info(path)
            if info.frames == 0:
                return "audio has no samples"
        elif column == "midi_path":
            import pretty_midi

            pm = pretty_midi.PrettyMIDI(path)
            if not any(inst.notes for inst in pm.instruments):
                return "MIDI has no notes"
        elif column == "lyrics_path":
            if not Path(path).read_text(errors="replace").strip():
                return "lyrics file is empty"
    except Exception as err:  # any failure to open is the finding itself
        return f"unreadable: {type(err).__name__}: {err}"
    return None


def check_files(table: pd.DataFrame, deep: bool = False) -> pd.DataFrame:
    """Missing (and, with ``deep``, unreadable) files referenced by a dataset table."""
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


def check_checksums(files: dict[str, str], root: Path, algorithm: str = "md5") -> pd.DataFrame:
    """Compare files under ``root`` with published checksums ``{relative path: digest}``."""
    problems = []
    for relative, expected in files.items():
        path = Path(root) / relative
        if not path.is_file():
            problems.append((None, str(path), "missing file"))
        elif file_digest(path, algorithm) != expected:
            problems.append((None, str(path), f"{algorithm} mismatch"))
    return pd.DataFrame(problems, columns=["track_id", "file", "problem"])
