"""The embedded synthetic corpus: determinism, balance, modalities, and the datasheet's rules."""

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from mer_lib import data
from mer_lib.data import synthetic, synthetic_music, synthetic_text
from mer_lib.data.base import DatasetError


def test_corpus_has_every_modality_and_target(tiny_corpus):
    assert set(tiny_corpus.modalities) == {"audio", "midi", "lyrics", "context", "comments"}
    assert set(tiny_corpus.targets) == {"valence", "arousal", "quadrant", "polarity", "tags"}
    assert len(tiny_corpus) == 16
    assert tiny_corpus.table["design_quadrant"].value_counts().tolist() == [4, 4, 4, 4]


def test_labels_are_consistent(tiny_corpus):
    t = tiny_corpus.table
    assert t["valence"].between(-1, 1).all() and t["arousal"].between(-1, 1).all()
    from mer_lib.metrics import quadrant
    assert (quadrant(t["valence"], t["arousal"]) == t["quadrant"]).all()
    assert ((t["valence"] >= 0) == (t["polarity"] == "positive")).all()
    assert all(len(tags) >= 1 and set(tags) <= set(synthetic_text.MOOD_TAGS) for tags in t["tags"])


def test_splits_are_disjoint_and_cover_every_quadrant(tiny_corpus):
    t = tiny_corpus.table
    assert set(t["split"]) == {"train", "validation", "test"}
    for split in ("train", "validation", "test"):
        assert set(t.loc[t["split"] == split, "design_quadrant"]) == {"Q1", "Q2", "Q3", "Q4"}


def test_files_exist_and_audio_is_rendered(tiny_corpus):
    assert tiny_corpus.validate(deep=True).empty
    clip = tiny_corpus.table.iloc[0]
    audio, sr = sf.read(clip["audio_path"])
    assert sr == synthetic.SAMPLE_RATE
    assert abs(len(audio) / sr - clip["duration"]) < 0.05
    assert np.abs(audio).max() > 0.01


def test_lyrics_length_and_words(tiny_corpus):
    lexicon = synthetic_text.affective_lexicon()
    for lyric in tiny_corpus.table["lyrics"]:
        words = lyric.split()
        assert 60 <= len(words) <= 210
        assert set(words) <= set(synthetic_text.NEUTRAL_WORDS) | set(lexicon)


def test_generation_is_deterministic(tiny_corpus):
    again = data.load("synthetic", n_clips=16, seed=3, min_seconds=4.0, max_seconds=5.0)
    pd.testing.assert_frame_equal(again.table, tiny_corpus.table)
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    a, _ = synthetic_music.compose(0.5, 0.5, 8.0, rng_a)
    b, _ = synthetic_music.compose(0.5, 0.5, 8.0, rng_b)
    assert [(n.pitch, n.start) for n in a.instruments[0].notes] == [(n.pitch, n.start) for n in b.instruments[0].notes]


def test_music_rules_follow_valence_and_arousal():
    """Over many draws, arousal raises tempo/velocity and shortens notes; valence picks major."""
    rng = np.random.default_rng(0)
    high = [synthetic_music.performance_parameters(0.0, 0.8, rng) for _ in range(200)]
    low = [synthetic_music.performance_parameters(0.0, -0.8, rng) for _ in range(200)]
    assert np.mean([p["tempo"] for p in high]) > np.mean([p["tempo"] for p in low]) + 40
    assert np.mean([p["velocity"] for p in high]) > np.mean([p["velocity"] for p in low]) + 30
    assert np.mean([p["articulation"] for p in high]) < np.mean([p["articulation"] for p in low])
    positive = [synthetic_music.performance_parameters(0.8, 0.0, rng)["mode"] for _ in range(200)]
    negative = [synthetic_music.performance_parameters(-0.8, 0.0, rng)["mode"] for _ in range(200)]
    assert positive.count("major") > 160 and negative.count("major") < 40


def test_lyrics_valence_signal():
    lexicon = synthetic_text.affective_lexicon()
    rng = np.random.default_rng(1)

    def mean_score(v):
        words = synthetic_text.lyrics(v, 0.0, rng, 400).split()
        return np.mean([lexicon[w] for w in words if w in lexicon])

    assert mean_score(0.9) > 1.0 and mean_score(-0.9) < -1.0


def test_lexicon_is_clean():
    lexicon = synthetic_text.affective_lexicon()
    assert len(lexicon) > 1000
    assert not any(b in w for w in lexicon for b in synthetic_text.BLOCKLIST)
    assert not set(synthetic_text.NEUTRAL_WORDS) & set(lexicon)


def test_bad_options_give_clear_errors():
    with pytest.raises(DatasetError, match="n_clips"):
        data.load("synthetic", n_clips=3)
    with pytest.raises(DatasetError, match="no option 'n_clip'"):
        data.load("synthetic", n_clip=10)


def test_corrupt_cache_file_is_named(tiny_corpus, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "table.json").write_text("{not json")
    with pytest.raises(DatasetError, match="corrupt cache file .*table.json"):
        synthetic._read_table(folder)
