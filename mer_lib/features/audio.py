"""Audio features with librosa: loading, log-mel, MFCC (+CMVN), chroma, summary statistics.

The plain functions (``log_mel``, ``mfcc``...) work on sample arrays. The registered
extractors (``log_mel``, ``mfcc``, ``chroma``, ``chunk_log_mel``, ``audio_stats``) add the
audio front end (load, excerpt, augmentation) and a fixed frame count; the paper presets are
in :mod:`mer_lib.features.presets`.

Silent audio is not an error: its log-mel is the -100 dB floor, its CMVN-normalised MFCCs and
its chroma are zeros.

Notebook: ``00_primer`` (the input representations), and every paper notebook.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import librosa
import numpy as np
import scipy.fft
import soundfile as sf

from mer_lib.features import augment, excerpts
from mer_lib.features.excerpts import chunks
from mer_lib.features.registry import FrontEnd, register
from mer_lib.features.render import rendered_audio

DEFAULT_SR = 22050
#: The log-mel floor (``power_to_db`` with ``amin=1e-10``): the value of silence.
SILENCE_DB = -100.0


def load_audio(path, sr: int = DEFAULT_SR, offset: float = 0.0, duration: float | None = None) -> np.ndarray:
    """Read mono audio resampled to ``sr``.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file cannot be decoded or holds no samples.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"audio file not found: {path}")
    try:
        y, _ = librosa.load(str(path), sr=sr, mono=True, offset=offset, duration=duration)
    except Exception as err:  # soundfile/audioread raise many types for corrupt files
        raise ValueError(f"unreadable audio file {path}: {err}") from err
    if y.size == 0:
        raise ValueError(f"audio file {path} holds no samples")
    return y


def log_mel(y: np.ndarray, sr: int = DEFAULT_SR, n_mels: int = 128, n_fft: int = 2048,
            hop_length: int = 512, window: str = "hann", fmin: float = 0.0,
            fmax: float | None = None, power: np.ndarray | None = None) -> np.ndarray:
    """Log-power mel spectrogram in dB (floor -100 dB), shape ``(n_mels, frames)``.

    ``power``: the precomputed ``|STFT(y)|²`` with these ``n_fft``/``hop_length``/``window``
    (see :func:`power_spectrogram`), to skip the STFT; the same holds for :func:`mfcc` and
    :func:`chroma`.
    """
    mel = librosa.feature.melspectrogram(y=y if power is None else None, S=power, sr=sr, n_fft=n_fft,
                                         hop_length=hop_length, window=window, n_mels=n_mels,
                                         fmin=fmin, fmax=fmax)
    return librosa.power_to_db(mel, ref=1.0, top_db=None).astype(np.float32)


def cmvn(features: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """Cepstral mean and variance normalisation over time (per row).

    Each row gets zero mean and unit variance; a constant row (e.g. silence) becomes zeros.
    """
    features = np.asarray(features, dtype=np.float64)
    mean = features.mean(axis=1, keepdims=True)
    std = features.std(axis=1, keepdims=True)
    # A row constant up to float rounding has no variance to normalise: it maps to zeros.
    constant = std <= 1e-5 * (np.abs(mean) + 1.0)
    return ((features - mean) / np.where(constant, np.inf, std + eps)).astype(np.float32)


def mfcc(y: np.ndarray, sr: int = DEFAULT_SR, n_mfcc: int = 20, n_mels: int = 128,
         n_fft: int = 2048, hop_length: int = 512, normalize: bool = True,
         window: str = "hann", power: np.ndarray | None = None) -> np.ndarray:
    """MFCCs, shape ``(n_mfcc, frames)``; CMVN-normalised when ``normalize``.

    The orthonormal DCT-II of the log-power mel bands. librosa stops at ``n_mels``
    coefficients; when ``n_mfcc > n_mels`` (zhao2023: 25 MFCCs from 23 bands) the DCT is taken
    over the bands zero-padded to ``n_mfcc`` points, so the requested rows exist.
    """
    mel = librosa.feature.melspectrogram(y=y if power is None else None, S=power, sr=sr, n_mels=n_mels,
                                         n_fft=n_fft, hop_length=hop_length, window=window)
    coefficients = scipy.fft.dct(librosa.power_to_db(mel), axis=-2, type=2, norm="ortho",
                                 n=max(n_mfcc, n_mels))[..., :n_mfcc, :]
    return cmvn(coefficients) if normalize else coefficients.astype(np.float32)


def chroma(y: np.ndarray, sr: int = DEFAULT_SR, n_fft: int = 2048, hop_length: int = 512,
           window: str = "hann", tuning: float | None = None,
           power: np.ndarray | None = None) -> np.ndarray:
    """STFT chromagram, shape ``(12, frames)``, each frame max-normalised (silent frames: 0).

    ``tuning=None`` estimates the tuning deviation from the clip (librosa's default).
    """
    return librosa.feature.chroma_stft(y=y if power is None else None, S=power, sr=sr, n_fft=n_fft,
                                       hop_length=hop_length, window=window,
                                       tuning=tuning).astype(np.float32)


def power_spectrogram(y: np.ndarray, n_fft: int = 2048, hop_length: int = 512,
                      window: str = "hann") -> np.ndarray:
    """``|STFT(y)|²``, shape ``(1 + n_fft // 2, frames)``, as librosa's features compute it."""
    return np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length, window=window)) ** 2


def audio_statistics(y: np.ndarray, sr: int = DEFAULT_SR) -> dict[str, float]:
    """Clip-level summary statistics for the Audio-LR baseline.

    Mean and std of 20 MFCCs, 12 chroma bins, spectral centroid and RMS, plus a tempo
    estimate (BPM).
    """
    stats = {}
    blocks = {
        "mfcc": librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20),
        "chroma": librosa.feature.chroma_stft(y=y, sr=sr),
        "centroid": librosa.feature.spectral_centroid(y=y, sr=sr),
        "rms": librosa.feature.rms(y=y),
    }
    for name, matrix in blocks.items():
        for i, (m, s) in enumerate(zip(matrix.mean(axis=1), matrix.std(axis=1))):
            suffix = f"{name}{i}" if matrix.shape[0] > 1 else name
            stats[f"{suffix}_mean"], stats[f"{suffix}_std"] = float(m), float(s)
    tempo = librosa.feature.tempo(y=y, sr=sr)
    stats["tempo"] = float(np.atleast_1d(tempo)[0])
    return stats


# --------------------------------------------------------------------------------------------
# Registered extractors: the audio front end (load → excerpt → augment) and feature functions.
# --------------------------------------------------------------------------------------------

class Signal(NamedTuple):
    """Mono samples and their rate: what the audio front end hands to feature functions.

    ``spectra`` memoises power spectrograms, so extractors with the same STFT settings on one
    clip (zhao2023's MFCC and chroma) compute it once.
    """

    y: np.ndarray
    sr: int
    spectra: dict | None = None

    def power(self, n_fft: int, hop_length: int, window: str) -> np.ndarray:
        """:func:`power_spectrogram` of this signal, memoised."""
        if self.spectra is None:
            return power_spectrogram(self.y, n_fft, hop_length, window)
        key = (n_fft, hop_length, window)
        if key not in self.spectra:
            self.spectra[key] = power_spectrogram(self.y, n_fft, hop_length, window)
        return self.spectra[key]


MIDI_SUFFIXES = (".mid", ".midi")


def audio_front_end(source, sr: int = DEFAULT_SR, excerpt: str = "full", seconds: float | None = None,
                    seed: int = 0, pitch_shift: float = 0.0, downsample_sr: int | None = None) -> Signal:
    """Load a clip's audio, cut its excerpt and apply training augmentation.

    Args:
        source: An audio file; a MIDI file (rendered with the SoundFont and cached, which is
            how EMOPIA and the synthetic corpus get audio); a ``(samples, rate)`` pair; or a
            :class:`Signal`.
        sr: Sample rate the clip is resampled to.
        excerpt: ``full``, ``first``, ``random`` or ``mmer_analysis`` (see
            :func:`mer_lib.features.excerpts.select`).
        seconds: Excerpt length in seconds (for ``first`` and ``random``; the crop length of
            ``mmer_analysis``, default 73).
        seed: Seed of random crops (with the clip's file name).
        pitch_shift: Semitones (augmentation, training data only).
        downsample_sr: Resample down to this rate and back (augmentation, training data only).

    Raises:
        FileNotFoundError: Missing file.
        ValueError: Unreadable file, a MIDI without notes, or no samples left.
    """
    if isinstance(source, tuple):  # (samples, rate) or a Signal
        y, source_sr = np.asarray(source[0], dtype=np.float32), source[1]
        if source_sr != sr:
            y = librosa.resample(y, orig_sr=source_sr, target_sr=sr)
        name = "array"
    else:
        path = Path(source)
        if path.suffix.lower() in MIDI_SUFFIXES:
            path = rendered_audio(path, sr=sr)
        y, name = _decode(path, sr, seconds if excerpt == "first" else None), path.name
    y = excerpts.select(y, sr, excerpt, seconds, seed, name)
    if y.size == 0:
        raise ValueError(f"audio clip {name}: no samples left after the {excerpt!r} excerpt")
    return Signal(augment.augment(y, sr, pitch_shift, downsample_sr), sr, {})


_LAST_DECODE: dict[tuple, np.ndarray] = {}


def clear_decode_cache() -> None:
    """Forget the last decoded clip (kept so several extractors on one clip decode it once)."""
    _LAST_DECODE.clear()


def _decode(path: Path, sr: int, head_seconds: float | None) -> np.ndarray:
    """Decoded samples of ``path`` (only the first ``head_seconds`` when given).

    The last decode is kept (read-only), so several extractors on one clip decode it once.
    A head request on a file no longer than the head decodes the whole file, which gives
    the same samples and lets a full-clip extractor share the decode.
    """
    if head_seconds is not None:
        try:
            if sf.info(str(path)).duration <= head_seconds:
                head_seconds = None
        except Exception:  # formats soundfile cannot read go through librosa's fallback
            pass
    try:
        key = (str(path.resolve()), path.stat().st_mtime_ns, sr, head_seconds)
    except OSError:
        key = None
    if key is not None and key in _LAST_DECODE:
        return _LAST_DECODE[key]
    # Reading only the needed head is much faster than decoding a whole track.
    y = load_audio(path, sr=sr, duration=head_seconds)
    y.flags.writeable = False
    _LAST_DECODE.clear()
    if key is not None:
        _LAST_DECODE[key] = y
    return y


AUDIO = FrontEnd("audio", audio_front_end, augmentation=("pitch_shift", "downsample_sr"))


def fix_frames(features: np.ndarray, n_frames: int | None, pad_value: float = 0.0) -> np.ndarray:
    """Truncate or pad (with ``pad_value``) the last axis to ``n_frames``; None keeps it."""
    if n_frames is None:
        return features
    if features.shape[-1] >= n_frames:
        return features[..., :n_frames]
    width = [(0, 0)] * (features.ndim - 1) + [(0, n_frames - features.shape[-1])]
    return np.pad(features, width, constant_values=pad_value)


#: How :func:`log_mel_features` fills the frames a short clip lacks.
PADDING = ("floor", "mean")


@register("log_mel", AUDIO)
def log_mel_features(signal: Signal, n_mels: int = 128, n_fft: int = 2048, hop_length: int = 512,
                     window: str = "hann", fmin: float = 0.0, fmax: float | None = None,
                     n_frames: int | None = None, pad: str = "floor") -> np.ndarray:
    """Log-mel spectrogram (dB), ``(n_mels, frames)``.

    A clip shorter than ``n_frames`` is padded with the -100 dB silence floor (``pad="floor"``)
    or with its own mean frame (``"mean"``: every band at its average over the clip, so a network
    whose input is normalised over the batch sees no artificial silence).
    """
    if pad not in PADDING:
        raise ValueError(f"pad={pad!r}: use one of {PADDING}")
    mel = log_mel(signal.y, signal.sr, n_mels, n_fft, hop_length, window, fmin, fmax,
                  power=signal.power(n_fft, hop_length, window))
    if pad == "floor" or n_frames is None or mel.shape[-1] >= n_frames:
        return fix_frames(mel, n_frames, pad_value=SILENCE_DB)
    mean_frame = np.repeat(mel.mean(axis=-1, keepdims=True), n_frames - mel.shape[-1], axis=-1)
    return np.concatenate([mel, mean_frame], axis=-1)


@register("mfcc", AUDIO)
def mfcc_features(signal: Signal, n_mfcc: int = 20, n_mels: int = 128, n_fft: int = 2048,
                  hop_length: int = 512, window: str = "hann", normalize: bool = True,
                  n_frames: int | None = None) -> np.ndarray:
    """MFCCs, ``(n_mfcc, frames)``, CMVN-normalised per coefficient when ``normalize``."""
    coefficients = mfcc(signal.y, signal.sr, n_mfcc, n_mels, n_fft, hop_length, normalize, window,
                        power=signal.power(n_fft, hop_length, window))
    return fix_frames(coefficients, n_frames)


@register("chroma", AUDIO)
def chroma_features(signal: Signal, n_fft: int = 2048, hop_length: int = 512, window: str = "hann",
                    tuning: float | None = None, n_frames: int | None = None) -> np.ndarray:
    """STFT chromagram, ``(12, frames)``."""
    spectrum = signal.power(n_fft, hop_length, window)
    return fix_frames(chroma(signal.y, signal.sr, n_fft, hop_length, window, tuning, spectrum), n_frames)


@register("chunk_log_mel", AUDIO)
def chunk_log_mel_features(signal: Signal, chunk_seconds: float = 3.69, hop_seconds: float | None = None,
                           n_mels: int = 128, n_fft: int = 512, hop_length: int = 256) -> np.ndarray:
    """Log-mel spectrograms of consecutive short chunks, ``(n_chunks, n_mels, frames)``.

    For chunk-level models (e.g. the short-chunk ResNet), which are trained on chunks and
    average their predictions over a clip's chunks.
    """
    pieces = chunks(signal.y, signal.sr, chunk_seconds, hop_seconds)
    return np.stack([log_mel(p, signal.sr, n_mels, n_fft, hop_length) for p in pieces])


def _audio_stat_labels() -> list[str]:
    return list(audio_statistics(_TEST_TONE, DEFAULT_SR))


@register("audio_stats", AUDIO, labels=_audio_stat_labels)
def audio_stats_features(signal: Signal) -> np.ndarray:
    """Clip-level summary vector (see :func:`audio_statistics`; names: ``labels("audio_stats")``)."""
    return np.array(list(audio_statistics(signal.y, signal.sr).values()), dtype=np.float32)


_TEST_TONE = (0.1 * np.sin(2 * np.pi * 440 * np.arange(DEFAULT_SR) / DEFAULT_SR)).astype(np.float32)
