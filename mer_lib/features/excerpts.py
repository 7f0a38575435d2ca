"""Which part of a recording a model sees: first N seconds, random crops, segment schemes, chunks.

All functions take and return sample arrays; :func:`select` is the one entry point the audio
front end uses, by name. Crops that draw a random offset take a seed, so a clip's excerpt is
reproducible (and cacheable) for a given seed. Notebook: ``00_primer``.
"""

from __future__ import annotations

import zlib

import numpy as np

#: Names accepted by :func:`select`.
EXCERPTS = ("full", "first", "random", "mmer_analysis")


def first_seconds(y: np.ndarray, sr: int, seconds: float) -> np.ndarray:
    """The first ``seconds`` of ``y`` (all of it when shorter)."""
    return y[: int(round(seconds * sr))]


def random_crop(y: np.ndarray, sr: int, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A crop of ``seconds`` starting at a uniform random offset (all of ``y`` when shorter)."""
    length = int(round(seconds * sr))
    if len(y) <= length:
        return y
    start = int(rng.integers(0, len(y) - length + 1))
    return y[start:start + length]


def keep_segment_heads(y: np.ndarray, sr: int, segment: float = 5.0, keep: float = 3.0) -> np.ndarray:
    """Concatenate the first ``keep`` seconds of each consecutive ``segment``-second segment.

    A 73 s excerpt with 5 s segments keeps 3 s of each of its 14 full segments plus 3 s of
    the last, partial one: 15 × 3 s = 45 s.
    """
    if not 0 < keep <= segment:
        raise ValueError(f"need 0 < keep <= segment, got keep={keep}, segment={segment}")
    seg, head = int(round(segment * sr)), int(round(keep * sr))
    return np.concatenate([y[start:start + head] for start in range(0, len(y), seg)] or [y[:0]])


def mmer_analysis_excerpt(y: np.ndarray, sr: int, rng: np.random.Generator, crop_seconds: float = 73.0,
                          segment: float = 5.0, keep: float = 3.0) -> np.ndarray:
    """A random 73 s crop, then the first 3 s of every 5 s segment (45 s in all).

    Reference: mmer_analysis project, "Audio Augmentation".
    Notebook: the ``mmer_analysis`` notebook.
    """
    return keep_segment_heads(random_crop(y, sr, crop_seconds, rng), sr, segment, keep)


def chunks(y: np.ndarray, sr: int, seconds: float, hop_seconds: float | None = None) -> np.ndarray:
    """Consecutive chunks for chunk-level models, shape ``(n_chunks, samples)``.

    The last partial chunk is dropped unless the clip is shorter than one chunk, in which
    case it is zero-padded to one chunk (so every clip gives at least one).
    """
    size = int(round(seconds * sr))
    hop = int(round((hop_seconds or seconds) * sr))
    if size <= 0 or hop <= 0:
        raise ValueError(f"chunk and hop lengths must be positive, got {seconds}, {hop_seconds}")
    if len(y) < size:
        return np.pad(y, (0, size - len(y)))[None, :]
    starts = range(0, len(y) - size + 1, hop)
    return np.stack([y[s:s + size] for s in starts])


def clip_rng(seed: int, clip_name: str) -> np.random.Generator:
    """A generator that depends on the run's seed and the clip, stable across machines."""
    return np.random.default_rng([int(seed), zlib.crc32(clip_name.encode())])


def select(y: np.ndarray, sr: int, excerpt: str, seconds: float | None, seed: int, clip_name: str) -> np.ndarray:
    """Apply the excerpt scheme ``excerpt`` (one of :data:`EXCERPTS`).

    Args:
        y: Samples.
        sr: Sample rate.
        excerpt: ``full``; ``first`` (first ``seconds``); ``random`` (a ``seconds`` crop at a
            seeded random offset); ``mmer_analysis`` (a random ``seconds`` crop, default 73 s,
            then the first 3 s of each 5 s segment).
        seconds: Excerpt length, where the scheme takes one.
        seed: Seed of random crops.
        clip_name: Identifies the clip in the random stream (its file name).
    """
    if excerpt == "full":
        return y
    if excerpt == "mmer_analysis":
        return mmer_analysis_excerpt(y, sr, clip_rng(seed, clip_name), crop_seconds=seconds or 73.0)
    if excerpt not in EXCERPTS:
        raise ValueError(f"unknown excerpt {excerpt!r}; use one of {EXCERPTS}")
    if not seconds or seconds <= 0:
        raise ValueError(f"excerpt={excerpt!r} needs a positive `seconds`, got {seconds!r}")
    if excerpt == "first":
        return first_seconds(y, sr, seconds)
    return random_crop(y, sr, seconds, clip_rng(seed, clip_name))
