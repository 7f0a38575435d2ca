"""Feature cache and dataset extraction: hits, misses, invalidation, corruption, parallel runs."""

from __future__ import annotations

import os
import threading

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from mer_lib import features
from mer_lib.features.cache import FeatureCache, source_fingerprint

SR = 22050


def write_clips(folder, n=3, seconds=1.0):
    rows = []
    for i in range(n):
        t = np.arange(int(seconds * SR)) / SR
        path = folder / f"clip{i}.wav"
        sf.write(path, (0.3 * np.sin(2 * np.pi * (220 + 110 * i) * t)).astype(np.float32), SR)
        rows.append({"track_id": f"c{i}", "split": "train", "audio_path": str(path),
                     "lyrics": f"song number {i} about love and rain"})
    return pd.DataFrame(rows)


def npy_files(root):
    return sorted(p for p in root.rglob("*.npy"))


def run(table, name, root, **kw):
    return features.extract(table, name, cache_root=root, n_jobs=1, progress=False,
                            dataset_name="unit", **kw)


def test_miss_then_hit_without_recomputing(tmp_path):
    table, root = write_clips(tmp_path), tmp_path / "cache"
    first = run(table, "zhao2022_mel", root)
    assert list(first) == ["c0", "c1", "c2"] and first["c0"].shape == (40, 646)
    files = npy_files(root)
    stamps = [p.stat().st_mtime_ns for p in files]
    second = run(table, "zhao2022_mel", root)
    assert [p.stat().st_mtime_ns for p in npy_files(root)] == stamps  # nothing rewritten
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])
    assert (files[0].parent / "params.json").is_file()


def test_parameter_change_is_a_miss_in_another_folder(tmp_path):
    table, root = write_clips(tmp_path), tmp_path / "cache"
    run(table, "zhao2022_mel", root)
    changed = run(table, "zhao2022_mel", root, n_mels=20)
    assert changed["c0"].shape == (20, 646)
    folders = {p.parent for p in npy_files(root)}
    code = features.get("zhao2022_mel").code_digest
    assert len(folders) == 2 and all(f.name.startswith(f"{code}-") for f in folders)


def test_runtime_parameters_do_not_change_the_key(tmp_path):
    table, root = write_clips(tmp_path, n=1), tmp_path / "cache"
    run(table, "mmer_analysis_lyrics_words", root)
    entry = features.get("zhao2022_bert_lyrics")
    key = FeatureCache(root).folder("unit", entry.name, {"model": "m"}, "code1")
    assert key == FeatureCache(root).folder("unit", entry.name, {"model": "m"}, "code1")
    assert key != FeatureCache(root).folder("unit", entry.name, {"model": "m"}, "code2")  # code


def test_edited_source_file_is_a_miss(tmp_path):
    table, root = write_clips(tmp_path, n=1), tmp_path / "cache"
    before = run(table, "zhao2022_mel", root)["c0"]
    sf.write(table.loc[0, "audio_path"], np.zeros(SR, dtype=np.float32), SR)
    after = run(table, "zhao2022_mel", root)["c0"]
    assert not np.array_equal(before, after) and len(npy_files(root)) == 2


def test_corrupt_cache_file_is_recomputed_with_a_warning_naming_it(tmp_path):
    table, root = write_clips(tmp_path, n=1), tmp_path / "cache"
    good = run(table, "zhao2022_mel", root)["c0"]
    [path] = npy_files(root)
    path.write_bytes(b"\x93NUMPY garbage")
    with pytest.warns(RuntimeWarning, match=path.name):
        again = run(table, "zhao2022_mel", root)["c0"]
    np.testing.assert_array_equal(good, again)
    np.testing.assert_array_equal(np.load(path), good)  # repaired


def test_writes_are_atomic_and_concurrent_writers_are_safe(tmp_path):
    cache = FeatureCache(tmp_path)
    path = cache.path(cache.folder("unit", "x", {"a": 1}, 1), "clip", "f")
    arrays = [np.full((64, 64), i, dtype=np.float32) for i in range(8)]
    threads = [threading.Thread(target=cache.save, args=(path, a)) for a in arrays for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    loaded = cache.load(path)
    assert loaded.shape == (64, 64) and len(np.unique(loaded)) == 1
    assert not list(tmp_path.rglob("*.tmp"))


def test_text_sources_are_fingerprinted_by_content():
    assert source_fingerprint("some lyrics", is_file=False) != source_fingerprint("other", is_file=False)


def test_a_file_is_fingerprinted_by_path_size_and_mtime_not_content(tmp_path):
    first, copy = tmp_path / "a.wav", tmp_path / "b.wav"
    first.write_bytes(b"same bytes")
    copy.write_bytes(b"same bytes")
    before = source_fingerprint(str(first), is_file=True)
    assert source_fingerprint(str(first), is_file=True) == before
    assert source_fingerprint(str(copy), is_file=True) != before  # another path, same bytes
    stat = first.stat()
    os.utime(first, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # re-provisioned: new time only
    assert source_fingerprint(str(first), is_file=True) != before


def test_cache_false_writes_nothing(tmp_path):
    table, root = write_clips(tmp_path, n=1), tmp_path / "cache"
    assert run(table, "zhao2022_mel", root, cache=False)["c0"].shape == (40, 646)
    assert not npy_files(root)


def test_several_extractors_in_one_pass(tmp_path):
    table = write_clips(tmp_path, n=2)
    out = run(table, ["zhao2023_mfcc", "zhao2023_chroma", "mmer_analysis_lyrics_words"], tmp_path / "c")
    assert set(out) == {"zhao2023_mfcc", "zhao2023_chroma", "mmer_analysis_lyrics_words"}
    assert out["zhao2023_mfcc"]["c1"].shape[1] == out["zhao2023_chroma"]["c1"].shape[1]


def test_parallel_extraction_matches_sequential(tmp_path):
    table = write_clips(tmp_path, n=8, seconds=0.5)
    parallel = features.extract(table, "zhao2023_chroma", n_jobs=2, cache_root=tmp_path / "p",
                                progress=False, dataset_name="unit")
    sequential = run(table, "zhao2023_chroma", tmp_path / "s")
    for key in sequential:
        np.testing.assert_array_equal(parallel[key], sequential[key])
    assert len(npy_files(tmp_path / "p")) == 8  # workers wrote the cache


def test_failing_clip_raises_with_its_id_or_is_skipped(tmp_path):
    table = write_clips(tmp_path, n=2)
    table.loc[1, "audio_path"] = str(tmp_path / "gone.wav")
    with pytest.raises(features.FeatureError, match="c1.*gone.wav"):
        run(table, "zhao2022_mel", tmp_path / "c")
    with pytest.warns(RuntimeWarning, match="c1"):
        out = run(table, "zhao2022_mel", tmp_path / "c", on_error="skip")
    assert list(out) == ["c0"]


def test_unknown_names_and_parameters_suggest_a_close_match():
    with pytest.raises(features.FeatureError, match="Did you mean 'zhao2023_chroma'"):
        features.compute("zhao2023_chrome", "x.wav")
    with pytest.raises(features.FeatureError, match="Did you mean 'hop_length'"):
        features.compute("zhao2022_mel", "x.wav", hop_lenght=3)
    assert "zhao2022_mel" in features.available("audio")
    assert features.describe("zhao2022_mel").loc["zhao2022_mel", "base"] == "log_mel"


def test_extract_runs_on_a_dataset_and_defaults_to_the_project_cache(tiny_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path))
    out = features.extract(tiny_corpus, "zhao2023_midi_like", split="test", progress=False)
    assert set(out) == set(tiny_corpus.split("test")["track_id"])
    assert npy_files(tmp_path / "features" / "synthetic")
