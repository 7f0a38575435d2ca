"""Atomic writes and temporary folders with the user's permissions.

Everything the project writes (reports, caches, renderings) goes through a temporary file or
folder in the destination's folder and a rename, so an interrupted run never leaves a
half-written file. Python's ``tempfile`` creates them private (0600 files, 0700 folders);
here they get the permissions a plain ``open``/``mkdir`` would give under the user's umask,
so a course's shared machine can read the reports.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def share(path: str | os.PathLike, is_dir: bool = False) -> Path:
    """Give ``path`` the mode a new file (0666) or folder (0777) gets under the umask."""
    path = Path(path)
    os.chmod(path, (0o777 if is_dir else 0o666) & ~_umask())
    return path


def temp_dir(prefix: str, parent: str | os.PathLike) -> Path:
    """A new, uniquely named folder in ``parent`` (created), with the umask's permissions."""
    Path(parent).mkdir(parents=True, exist_ok=True)
    return share(tempfile.mkdtemp(prefix=prefix, dir=parent), is_dir=True)


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Create ``path`` atomically: ``write(temporary_path)`` fills a temporary file beside
    it, which then replaces ``path`` with one rename.

    Args:
        path: Destination file (its folder is created).
        write: Writes the content to the temporary file path it is given.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix or ".tmp")
    os.close(fd)
    try:
        write(tmp)
        share(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
