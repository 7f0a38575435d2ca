"""Download helpers shared by the dataset modules: fetch, verify, extract.

Every fetch writes to a temporary file beside its destination and renames it into place only
after its checksum matched, so an interrupted or corrupt download leaves nothing behind.
``urllib`` handles ``https://`` and ``file://`` URLs alike (the tests use ``file://``).

Notebook: ``00_primer``
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Mapping

from mer_lib.data.base import DatasetError
from mer_lib.data.checks import file_digest
from mer_lib.paths import data_home as resolve

CHUNK = 1 << 20
TIMEOUT_S = 60


def dataset_root(data_home, folder: str) -> Path:
    """``<data_home>/<folder>``, ``data_home`` resolved as :func:`mer_lib.data.load` does."""
    return resolve(data_home) / folder


def verify(path: Path, md5: str | None = None, sha256: str | None = None) -> None:
    """Raise DatasetError, naming the file, when its md5/sha256 differs from the expected one."""
    if md5 is None and sha256 is None:
        raise DatasetError(f"no checksum to verify {path} against")
    for algorithm, expected in (("md5", md5), ("sha256", sha256)):
        if expected is None:
            continue
        actual = file_digest(path, algorithm)
        if actual != expected.lower():
            raise DatasetError(f"{path}: {algorithm} mismatch (expected {expected}, got {actual})")


def _matches(path: Path, md5: str | None, sha256: str | None) -> bool:
    try:
        verify(path, md5, sha256)
    except DatasetError:
        return False
    return True


def _download(url: str, path: Path) -> None:
    try:
        with open(path, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            shutil.copyfileobj(response, out, CHUNK)
    except OSError as err:  # URLError is an OSError
        raise DatasetError(f"could not download {url}: {err}") from err


def fetch(url: str, dest: str | Path, md5: str | None = None, sha256: str | None = None) -> Path:
    """Download ``url`` to ``dest`` atomically and verify its checksum.

    A ``dest`` that already exists with the right checksum is kept (no download).

    Args:
        url: ``https://`` or ``file://`` URL.
        dest: Where the file goes (its folder is created).
        md5: Expected MD5 hex digest.
        sha256: Expected SHA-256 hex digest (at least one of the two is required).

    Raises:
        DatasetError: The download failed or the checksum does not match (nothing is left at ``dest``).
    """
    if md5 is None and sha256 is None:
        raise DatasetError(f"refusing to download {url} without a checksum to verify it")
    dest = Path(dest)
    if dest.is_file() and _matches(dest, md5, sha256):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    os.close(handle)
    try:
        _download(url, Path(temporary))
        try:
            verify(Path(temporary), md5, sha256)
        except DatasetError as err:
            raise DatasetError(f"download of {url} is corrupt: {err}") from None
        os.replace(temporary, dest)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return dest


def fetch_members(url: str, members: Mapping[str, str], dest: str | Path) -> list[Path]:
    """Download an archive that has no published checksum and keep only ``members``, verified.

    Each member (found by file name anywhere in the archive) is checked against its SHA-256
    before it is moved into ``dest``; the archive itself is deleted.

    Args:
        url: The archive (zip or tar).
        members: ``{file name: sha256}``.
        dest: Folder that receives the members.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    kept = []
    with tempfile.TemporaryDirectory(prefix=".download.", dir=dest) as work:
        archive = Path(work) / (Path(urllib.parse.urlparse(url).path).name or "archive")
        _download(url, archive)
        unpacked = extract(archive, Path(work) / "unpacked")
        for name, digest in members.items():
            found = sorted(unpacked.rglob(name))
            if not found:
                raise DatasetError(f"{url}: the archive has no {name}")
            verify(found[0], sha256=digest)
            os.replace(found[0], dest / name)
            kept.append(dest / name)
    return kept


def fetch_all(base_url: str, files: Mapping[str, str], dest: str | Path) -> list[Path]:
    """Fetch ``{relative path: sha256}`` from ``base_url/<relative path>`` into ``dest/<relative path>``."""
    base = base_url.rstrip("/")
    return [fetch(f"{base}/{urllib.request.pathname2url(relative)}", Path(dest) / relative, sha256=digest)
            for relative, digest in files.items()]


def read_url(url: str) -> bytes:
    """Contents of a small URL (e.g. a JSON record listing checksums)."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return response.read()
    except OSError as err:
        raise DatasetError(f"could not read {url}: {err}") from err


def zenodo_file(record_url: str, filename: str) -> tuple[str, str]:
    """Download URL and published MD5 of ``filename`` in a Zenodo record's JSON.

    Accepts both shapes Zenodo serves: ``files: [{key, checksum, links}]`` (the REST API) and
    ``files: {entries: {name: {checksum, links}}}`` (the record export).
    """
    try:
        files = json.loads(read_url(record_url))["files"]
    except (ValueError, KeyError, TypeError) as err:
        raise DatasetError(f"{record_url}: not a Zenodo record ({err})") from err
    entries = files.get("entries", {}) if isinstance(files, dict) else {f.get("key"): f for f in files}
    if filename not in entries:
        raise DatasetError(f"{record_url}: no file {filename!r}; it lists {sorted(entries)}")
    entry = entries[filename]
    algorithm, _, digest = str(entry.get("checksum", "")).partition(":")
    links = entry.get("links", {})
    url = links.get("content") or links.get("self") or links.get("download")
    if algorithm != "md5" or not digest or not url:
        raise DatasetError(f"{record_url}: no md5 checksum or link for {filename!r}")
    return url, digest


def _inside(root: Path, member: str) -> bool:
    target = (root / member).resolve()
    return target == root or root in target.parents


def extract(archive: str | Path, dest: str | Path) -> Path:
    """Extract a zip or tar archive into ``dest``, refusing members that would land outside it."""
    archive, dest = Path(archive), Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            unsafe = [m for m in bundle.namelist() if not _inside(dest, m)]
            if unsafe:
                raise DatasetError(f"{archive}: unsafe member path {unsafe[0]!r}")
            bundle.extractall(dest)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as bundle:
            try:
                bundle.extractall(dest, filter="data")
            except tarfile.FilterError as err:
                raise DatasetError(f"{archive}: unsafe member ({err})") from err
    else:
        raise DatasetError(f"{archive}: neither a zip nor a tar archive")
    return dest


def manual_download(name: str, steps: str) -> None:
    """Raise the clear error of a dataset that cannot be downloaded automatically."""
    raise DatasetError(f"{name} cannot be downloaded automatically. {steps}")
