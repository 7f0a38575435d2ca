"""Download helpers and each dataset's ``download()``, against local ``file://`` fixtures."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

import data_fixtures as fx
from mer_lib import data
from mer_lib.data import DatasetError, deam, deezer_msdd, download, emopia, mediaeval2020, mtg_jamendo


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests_of(root: Path, relatives) -> dict[str, str]:
    return {r: sha256_of(root / r) for r in relatives}


def zip_folder(folder: Path, archive: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                bundle.write(path, prefix + str(path.relative_to(folder.parent)))
    return archive


# --------------------------------------------------------------------------- helpers

def test_fetch_verifies_and_renames_into_place(tmp_path):
    source = fx.write_text(tmp_path / "remote" / "file.csv", "a,b\n1,2\n")
    dest = tmp_path / "local" / "file.csv"
    assert download.fetch(source.as_uri(), dest, sha256=sha256_of(source)) == dest
    assert dest.read_bytes() == source.read_bytes()
    md5 = hashlib.md5(source.read_bytes()).hexdigest()
    assert download.fetch("file:///nonexistent/file.csv", dest, md5=md5) == dest  # verified copy kept


def test_fetch_rejects_a_corrupt_download_and_leaves_nothing(tmp_path):
    source = fx.write_text(tmp_path / "remote" / "file.csv", "a,b\n1,2\n")
    dest = tmp_path / "local" / "file.csv"
    with pytest.raises(DatasetError, match=r"corrupt.*md5 mismatch"):
        download.fetch(source.as_uri(), dest, md5="0" * 32)
    assert list((tmp_path / "local").iterdir()) == []


def test_fetch_needs_a_checksum_and_a_reachable_url(tmp_path):
    with pytest.raises(DatasetError, match="without a checksum"):
        download.fetch("file:///anything", tmp_path / "x")
    with pytest.raises(DatasetError, match="could not download"):
        download.fetch((tmp_path / "missing.zip").as_uri(), tmp_path / "x.zip", sha256="0" * 64)
    assert not (tmp_path / "x.zip").exists()


def test_extract_zip_and_tar(tmp_path):
    folder = fx.write_text(tmp_path / "src" / "pack" / "inner" / "a.txt", "hello").parent.parent
    archive = zip_folder(folder, tmp_path / "pack.zip")
    assert (download.extract(archive, tmp_path / "out_zip") / "pack" / "inner" / "a.txt").read_text() == "hello"
    with tarfile.open(tmp_path / "pack.tar", "w") as bundle:
        bundle.add(folder, arcname="pack")
    assert (download.extract(tmp_path / "pack.tar", tmp_path / "out_tar") / "pack/inner/a.txt").is_file()


def test_extract_refuses_members_outside_the_destination(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as bundle:
        bundle.writestr("../evil.txt", "x")
    with pytest.raises(DatasetError, match="unsafe member"):
        download.extract(tmp_path / "evil.zip", tmp_path / "out")
    with tarfile.open(tmp_path / "evil.tar", "w") as bundle:
        info = tarfile.TarInfo("../evil.txt")
        info.size = 1
        bundle.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(DatasetError, match="unsafe member"):
        download.extract(tmp_path / "evil.tar", tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()
    fx.write_text(tmp_path / "plain.txt", "not an archive")
    with pytest.raises(DatasetError, match="neither a zip nor a tar"):
        download.extract(tmp_path / "plain.txt", tmp_path / "out")


@pytest.mark.parametrize("shape", ["api", "export"])
def test_zenodo_file_reads_both_record_shapes(tmp_path, shape):
    entry = {"checksum": "md5:abc", "links": {"self": "https://z/files/A.zip/content"}}
    files = [{"key": "A.zip", **entry}] if shape == "api" else {"entries": {"A.zip": entry}}
    record = fx.write_text(tmp_path / "record.json", json.dumps({"files": files}))
    assert download.zenodo_file(record.as_uri(), "A.zip") == ("https://z/files/A.zip/content", "abc")
    with pytest.raises(DatasetError, match="no file 'B.zip'"):
        download.zenodo_file(record.as_uri(), "B.zip")


def test_fetch_members_keeps_only_verified_members(tmp_path):
    folder = fx.write_text(tmp_path / "src" / "bundle" / "deep" / "keep.csv", "x,y\n").parent.parent
    fx.write_text(folder / "other.txt", "ignored")
    archive = zip_folder(folder, tmp_path / "bundle.zip")
    kept = download.fetch_members(archive.as_uri(), {"keep.csv": sha256_of(folder / "deep" / "keep.csv")},
                                  tmp_path / "dest")
    assert kept == [tmp_path / "dest" / "keep.csv"] and sorted(p.name for p in (tmp_path / "dest").iterdir()) == [
        "keep.csv"]
    with pytest.raises(DatasetError, match="sha256 mismatch"):
        download.fetch_members(archive.as_uri(), {"keep.csv": "0" * 64}, tmp_path / "dest2")
    with pytest.raises(DatasetError, match="has no absent.csv"):
        download.fetch_members(archive.as_uri(), {"absent.csv": "0" * 64}, tmp_path / "dest3")


# --------------------------------------------------------------------------- datasets

def test_emopia_download_from_zenodo_and_github(tmp_path, monkeypatch):
    remote = fx.make_emopia(tmp_path / "remote")
    archive = zip_folder(remote / "EMOPIA_1.0", tmp_path / "EMOPIA_1.0.zip")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    record = fx.write_text(tmp_path / "record.json", json.dumps({"files": [
        {"key": "EMOPIA_1.0.zip", "checksum": f"md5:{md5}", "links": {"self": archive.as_uri()}}]}))
    split = remote / "split_cls"
    monkeypatch.setattr(emopia, "ZENODO_RECORD_URL", record.as_uri())
    monkeypatch.setattr(emopia, "SPLIT_BASE_URL", split.as_uri())
    monkeypatch.setattr(emopia, "SPLIT_SHA256", digests_of(split, emopia.SPLIT_SHA256))
    home = tmp_path / "home"
    assert emopia.download(home) == home / "emopia"
    assert not (home / "emopia" / "EMOPIA_1.0.zip").exists()
    ds = data.load("emopia", data_home=home)
    assert len(ds) == len(fx.EMOPIA_CLIPS) and ds.table["split"].notna().sum() == 6 and ds.validate().empty


def test_emopia_download_rejects_a_zip_that_does_not_match_zenodo(tmp_path, monkeypatch):
    remote = fx.make_emopia(tmp_path / "remote")
    archive = zip_folder(remote / "EMOPIA_1.0", tmp_path / "EMOPIA_1.0.zip")
    record = fx.write_text(tmp_path / "record.json", json.dumps({"files": [
        {"key": "EMOPIA_1.0.zip", "checksum": "md5:" + "0" * 32, "links": {"self": archive.as_uri()}}]}))
    monkeypatch.setattr(emopia, "ZENODO_RECORD_URL", record.as_uri())
    with pytest.raises(DatasetError, match="md5 mismatch"):
        emopia.download(tmp_path / "home")
    assert not any((tmp_path / "home" / "emopia").iterdir())


def test_deezer_download(tmp_path, monkeypatch):
    remote = fx.make_deezer(tmp_path / "remote")
    monkeypatch.setattr(deezer_msdd, "REPOSITORY_URL", remote.as_uri())
    monkeypatch.setattr(deezer_msdd, "SHA256", digests_of(remote, deezer_msdd.SHA256))
    deezer_msdd.download(tmp_path / "home")
    assert len(data.load("deezer_msdd", data_home=tmp_path / "home")) == 4
    monkeypatch.setattr(deezer_msdd, "SHA256", dict.fromkeys(deezer_msdd.SHA256, "0" * 64))
    with pytest.raises(DatasetError, match=r"train\.csv is corrupt"):
        deezer_msdd.download(tmp_path / "home2")


def test_mtg_jamendo_and_mediaeval_download(tmp_path, monkeypatch):
    remote = fx.make_mtg_jamendo(tmp_path / "remote")
    metadata = [str(p.relative_to(remote)) for p in sorted((remote / "data").rglob("*")) if p.is_file()]
    results = [str(p.relative_to(remote)) for p in sorted((remote / "results").rglob("*")) if p.is_file()]
    monkeypatch.setattr(mtg_jamendo, "REPOSITORY_URL", remote.as_uri())
    monkeypatch.setattr(mtg_jamendo, "METADATA_SHA256", digests_of(remote, metadata))
    monkeypatch.setattr(mediaeval2020, "MTG_URL", remote.as_uri())
    monkeypatch.setattr(mediaeval2020, "RESULTS_SHA256", digests_of(remote, results))
    # Team AUGment's folder names have spaces and commas upstream.
    augment = tmp_path / "augment"
    files = {}
    for local, upstream in (("Submission1_AReLU", "Submission1 - AReLU, v1"),):
        source = remote / "mediaeval2020-augment" / local
        for name in ("predictions.npy", "decisions.npy"):
            (augment / upstream).mkdir(parents=True, exist_ok=True)
            (augment / upstream / name).write_bytes((source / name).read_bytes())
        files[local] = (upstream, digests_of(source, ["predictions.npy", "decisions.npy"]))
    monkeypatch.setattr(mediaeval2020, "AUGMENT_URL", augment.as_uri())
    monkeypatch.setattr(mediaeval2020, "AUGMENT_FILES", files)
    home = tmp_path / "home"
    mediaeval2020.download(home)
    assert len(data.load("mtg_jamendo_moodtheme", data_home=home)) == len(fx.MTG_TRACKS)
    assert mediaeval2020.submission_names(home) == ["Submission1_AReLU", "baseline_vggish"]
    assert mediaeval2020.load_groundtruth(home).shape == (3, 3)


def test_deam_download_keeps_the_verified_static_annotations(tmp_path, monkeypatch):
    remote = fx.make_deam(tmp_path / "remote")
    nested = tmp_path / "DEAM_Annotations" / "annotations" / "annotations averaged per song" / "song_level"
    nested.mkdir(parents=True)
    for name in deam.ANNOTATION_FILES:
        (nested / name).write_bytes((remote / name).read_bytes())
    archive = zip_folder(tmp_path / "DEAM_Annotations", tmp_path / "DEAM_Annotations.zip")
    monkeypatch.setattr(deam, "ANNOTATIONS_URL", archive.as_uri())
    monkeypatch.setattr(deam, "ANNOTATION_SHA256", digests_of(remote, deam.ANNOTATION_FILES))
    root = deam.download(tmp_path / "home")
    assert sorted(p.name for p in root.iterdir()) == sorted(deam.ANNOTATION_FILES)
    with pytest.warns(UserWarning, match="no split folder"):
        assert len(data.load("deam", data_home=tmp_path / "home")) == 4


@pytest.mark.parametrize("name", ["pmemo", "moodylyrics", "social_tags", "mirex_mm"])
def test_datasets_without_public_download_explain_the_steps(tmp_path, name):
    module = getattr(data, name)
    with pytest.raises(DatasetError, match="cannot be downloaded automatically.*<data_home>/"):
        module.download(tmp_path)
