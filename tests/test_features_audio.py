"""Audio features: known values, preset shapes, excerpts, augmentation, rendering, bad input."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from mer_lib import features
from mer_lib.features import audio, augment, excerpts, render

SR = 22050


def sine(freq=440.0, seconds=3.0, sr=SR, amplitude=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def piano_midi(notes=((60, 0.0, 0.5), (64, 0.5, 1.0), (67, 1.0, 1.5))):
    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program=0)
    inst.notes = [pretty_midi.Note(80, p, s, e) for p, s, e in notes]
    pm.instruments.append(inst)
    return pm


def test_sine_peaks_in_the_mel_band_of_440_hz():
    import librosa

    mel = features.compute("log_mel", (sine(), SR), n_mels=40, n_fft=2048, hop_length=512)
    centres = librosa.mel_frequencies(n_mels=40 + 2, fmax=SR / 2)[1:-1]
    assert abs(int(mel.mean(axis=1).argmax()) - int(np.abs(centres - 440).argmin())) <= 1


def test_sine_peaks_in_chroma_bin_a():
    chroma = features.compute("chroma", (sine(), SR))
    assert chroma.shape[0] == 12
    assert int(chroma.mean(axis=1).argmax()) == 9  # C, C#, ..., A = 9


def test_mfcc_cmvn_has_zero_mean_and_unit_variance_per_coefficient():
    noise = np.random.default_rng(0).normal(0, 0.1, SR * 2).astype(np.float32)
    mfcc = features.compute("mfcc", (noise + sine(seconds=2.0), SR))
    np.testing.assert_allclose(mfcc.mean(axis=1), 0, atol=1e-4)
    np.testing.assert_allclose(mfcc.std(axis=1), 1, atol=1e-3)


def test_mfcc_matches_librosa_and_allows_more_coefficients_than_bands():
    import librosa

    y = sine(seconds=1.0)
    np.testing.assert_allclose(audio.mfcc(y, normalize=False), librosa.feature.mfcc(y=y, sr=SR), atol=1e-3)
    assert audio.mfcc(y, n_mfcc=25, n_mels=23).shape[0] == 25


@pytest.mark.parametrize("name, shape", [
    ("zhao2022_mel", (40, 646)),
    ("jeon2017_mel", (128, 1024)),
    ("rajamani2020_mel", (96, 1400)),
    ("mmer_analysis_mfcc", (20, 1502)),
])
def test_fixed_size_presets(name, shape):
    assert features.compute(name, (sine(seconds=4.0), SR)).shape == shape


def test_zhao2023_presets_share_the_frame_grid():
    y = sine(seconds=4.0)
    mfcc = features.compute("zhao2023_mfcc", (y, SR))
    chroma = features.compute("zhao2023_chroma", (y, SR))
    assert mfcc.shape[0] == 25 and chroma.shape[0] == 12
    assert mfcc.shape[1] == chroma.shape[1] == 1 + len(y) // 512


def test_short_chunk_and_statistics_presets():
    chunks = features.compute("zhao2023_short_chunk_mel", (sine(seconds=8.0), SR))
    assert chunks.shape[:2] == (2, 128)  # two full 3.69 s chunks at 16 kHz
    stats = features.compute("emopia_audio_lr", (sine(), SR))
    assert stats.shape == (len(features.labels("emopia_audio_lr")),)
    assert np.isfinite(stats).all()


def test_presets_are_parameter_sets_of_base_extractors():
    entry = features.get("zhao2022_mel")
    assert entry.base == "log_mel" and entry.function is features.get("log_mel").function
    assert (entry.params["n_mels"], entry.params["n_fft"], entry.params["hop_length"]) == (40, 1024, 1024)
    assert entry.reference


def test_mmer_analysis_excerpt_keeps_45_of_73_seconds():
    y = np.arange(100 * 10, dtype=np.float32)  # 100 s at sr=10
    out = excerpts.mmer_analysis_excerpt(y, 10, np.random.default_rng(0))
    assert len(out) == 45 * 10
    first = out[:30]
    np.testing.assert_array_equal(np.diff(first), 1)  # 3 s contiguous ...
    assert out[30] - out[29] == 20 + 1  # ... then a 2 s gap


def test_random_crop_is_seeded_per_clip():
    y = np.arange(1000, dtype=np.float32)
    a = excerpts.select(y, 10, "random", 5.0, seed=1, clip_name="a.wav")
    assert len(a) == 50
    np.testing.assert_array_equal(a, excerpts.select(y, 10, "random", 5.0, seed=1, clip_name="a.wav"))
    others = {excerpts.select(y, 10, "random", 5.0, seed=s, clip_name="a.wav")[0] for s in range(5)}
    assert len(others) > 1


def test_first_seconds_and_chunks():
    y = np.arange(95, dtype=np.float32)
    assert len(excerpts.select(y, 10, "first", 2.0, 0, "x")) == 20
    assert excerpts.chunks(y, 10, 3.0).shape == (3, 30)
    assert excerpts.chunks(y[:12], 10, 3.0).shape == (1, 30)  # short clip padded to one chunk
    with pytest.raises(ValueError, match="seconds"):
        excerpts.select(y, 10, "first", None, 0, "x")


def test_pitch_shift_moves_the_peak_and_keeps_the_length():
    y = sine(seconds=1.0)
    shifted = augment.pitch_shift(y, SR, 12)
    assert len(shifted) == len(y)
    spectrum = np.abs(np.fft.rfft(shifted))
    assert abs(np.fft.rfftfreq(len(y), 1 / SR)[spectrum.argmax()] - 880) < 10


def test_downsampling_removes_content_above_the_new_nyquist():
    y = sine(6000, seconds=1.0) + sine(500, seconds=1.0)
    low = augment.downsample(y, SR, 8000)
    assert len(low) == len(y)
    spectrum = np.abs(np.fft.rfft(low))
    freqs = np.fft.rfftfreq(len(y), 1 / SR)
    assert spectrum[freqs > 4500].max() < 0.01 * spectrum.max()


def test_silent_audio_gives_the_documented_constant_features():
    silence = (np.zeros(SR * 2, dtype=np.float32), SR)
    np.testing.assert_allclose(features.compute("log_mel", silence), audio.SILENCE_DB, atol=1e-3)
    assert np.all(features.compute("mfcc", silence) == 0)
    assert np.all(features.compute("chroma", silence, tuning=0.0) == 0)


def test_a_short_clip_is_padded_with_the_floor_or_with_its_own_mean_frame():
    tone = (sine(440, seconds=1.0), SR)
    short = features.compute("log_mel", tone, hop_length=512)
    frames = short.shape[1] + 20
    floor = features.compute("log_mel", tone, hop_length=512, n_frames=frames)
    mean = features.compute("log_mel", tone, hop_length=512, n_frames=frames, pad="mean")
    np.testing.assert_array_equal(floor[:, -20:], audio.SILENCE_DB)
    np.testing.assert_array_equal(mean[:, :short.shape[1]], short)
    np.testing.assert_allclose(mean[:, -20:], np.repeat(short.mean(axis=1, keepdims=True), 20, axis=1), rtol=1e-6)
    with pytest.raises(ValueError, match="pad='zeros'"):
        features.compute("log_mel", tone, n_frames=frames, pad="zeros")


def test_bad_files_raise_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        features.compute("zhao2022_mel", tmp_path / "missing.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all")
    with pytest.raises(ValueError, match="junk.wav"):
        features.compute("zhao2022_mel", junk)


def test_excerpt_longer_than_nothing_is_an_error():
    with pytest.raises(ValueError, match="no samples"):
        features.compute("log_mel", (np.zeros(0, dtype=np.float32), SR))


def test_midi_files_are_rendered_once_and_cached(tmp_path):
    midi = tmp_path / "tune.mid"
    piano_midi().write(str(midi))
    first = render.rendered_audio(midi, cache_root=tmp_path / "cache")
    stamp = first.stat().st_mtime_ns
    assert render.rendered_audio(midi, cache_root=tmp_path / "cache") == first
    assert first.stat().st_mtime_ns == stamp
    y, sr = sf.read(first)
    assert sr == SR and len(y) > SR  # 1.5 s of notes plus the release tail


def test_audio_extractors_accept_a_midi_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    midi = tmp_path / "tune.mid"
    piano_midi().write(str(midi))
    chroma = features.compute("zhao2023_chroma", midi)
    # C, E and G were played: they are the strongest pitch classes.
    assert set(np.argsort(chroma.mean(axis=1))[-3:]) == {0, 4, 7}


def test_midi_without_notes_cannot_be_rendered(tmp_path):
    midi = tmp_path / "empty.mid"
    pretty_midi.PrettyMIDI().write(str(midi))
    with pytest.raises(ValueError, match="no notes"):
        render.rendered_audio(midi, cache_root=tmp_path)


def test_augmentation_is_refused_outside_the_training_split(tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, sine(seconds=1.0), SR)
    table = {"track_id": ["a", "b"], "split": ["train", "test"], "audio_path": [str(path)] * 2}
    with pytest.raises(features.FeatureError, match="training data only"):
        features.extract(table, "log_mel", pitch_shift=2, cache=False, progress=False)
    out = features.extract(table, "log_mel", split="train", pitch_shift=2, cache=False, progress=False)
    assert list(out) == ["a"]
