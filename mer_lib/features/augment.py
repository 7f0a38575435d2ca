"""Audio augmentation for training data: pitch shifting and downsampling.

Augmentation happens after the split, on training clips only: :func:`mer_lib.features.extract`
refuses these parameters on validation or test clips.

Reference: Zhao et al., "Multimodal music emotion recognition with hierarchical cross-modal
attention network", ICME 2022 (Sec. 4.1: "data augmentation is applied by doing pitch shifting
and downsampling").
Notebook: the ``zhao2022`` notebook.
"""

from __future__ import annotations

import librosa
import numpy as np


def pitch_shift(y: np.ndarray, sr: int, n_steps: float) -> np.ndarray:
    """Shift the pitch by ``n_steps`` semitones, keeping the duration (librosa)."""
    if n_steps == 0:
        return y
    return librosa.effects.pitch_shift(y, sr=sr, n_steps=float(n_steps)).astype(np.float32)


def downsample(y: np.ndarray, sr: int, low_sr: int) -> np.ndarray:
    """Resample to ``low_sr`` and back to ``sr``: the same length, without content above
    ``low_sr / 2`` (a lower-bandwidth copy of the clip)."""
    if not low_sr or low_sr >= sr:
        return y
    low = librosa.resample(y, orig_sr=sr, target_sr=int(low_sr))
    back = librosa.resample(low, orig_sr=int(low_sr), target_sr=sr)
    return librosa.util.fix_length(back, size=len(y)).astype(np.float32)


def augment(y: np.ndarray, sr: int, pitch_steps: float = 0.0, low_sr: int | None = None) -> np.ndarray:
    """Apply the zhao2022 augmentations that are set (neutral values leave ``y`` as is)."""
    return downsample(pitch_shift(y, sr, pitch_steps), sr, low_sr)
