"""The unimodal CNNs and two-branch fusions of the "Analysis of multimodal MER" project.

V/A regression (2-D output) from three modalities:

* **audio** — 20 CMVN-normalised MFCCs of a 45 s excerpt (``mmer_analysis_mfcc``: 20 × 1502)
  through two 1-D convolution blocks and an average pool (:class:`AudioCNN`);
* **lyrics** or **comments** — 500 Porter-stemmed words as 300-d Word2Vec vectors (500 × 300)
  through one convolution whose 10 × 300 kernel spans the whole embedding (:class:`TextCNN`);
* **fusion** — the trained convolution parts of the audio CNN and of one text CNN, their
  flattened maps concatenated and fed to a new two-layer head (:class:`FusionCNN`).

The paper does not state the number of filters. With ``C`` filters in both branches the
flattened maps hold ``C × 22`` audio and ``C × 61`` text values (:func:`audio_map_length`,
:func:`text_map_length`): 26.5 % audio, 73.5 % text — the paper's "~25 % audio, ~75 % text",
so both branches use the same :data:`CHANNELS` at the paper's excerpt; a shorter excerpt
(``demo``) keeps that share with more audio filters (:func:`paper_share_audio_channels`).

How the paper is run (its result rows, data preparation, training and scores) is in
:mod:`mer_lib.experiments.mmer_analysis`; its findings and social-tag analysis in
:mod:`mer_lib.experiments.mmer_analysis_findings`.

Reference: "Analysis of multimodal Music Emotion Recognition" (project report on the DEAM and
social-tag datasets), sections "Methods", "Unimodal Approach" and "Multimodal Approach".
Notebook: ``05_mmer_analysis_unimodal_fusion``.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from mer_lib.models import register

N_MFCC = 20
#: MFCC frames of the paper's 45 s excerpt (30 ms windows, no overlap, at 22.05 kHz).
AUDIO_FRAMES = 1502
TEXT_WORDS = 500
WORD_DIM = 300
#: Filters per convolution (not stated in the paper; equal in both branches, see module doc).
CHANNELS = 32
KERNEL = 10
DROPOUT = 0.5


# --- sizes ----------------------------------------------------------------------------------------

def _after(length: int, kernel: int, stride: int = 1) -> int:
    return (length - kernel) // stride + 1


def audio_map_length(frames: int = AUDIO_FRAMES) -> int:
    """Time steps left by the audio CNN: 2 × (conv 10 → max-pool 4), then avg-pool 4.

    1502 → 1493 → 373 → 364 → 91 → 22.
    """
    length = frames
    for _ in range(2):
        length = _after(_after(length, KERNEL), 4, 4)
    return _after(length, 4, 4)


def text_map_length(words: int = TEXT_WORDS) -> int:
    """Time steps left by the text CNN: conv 10 → max-pool 2 → avg-pool 4 (500 → 491 → 245 → 61)."""
    return _after(_after(_after(words, KERNEL), 2, 2), 4, 4)


def fusion_shares(frames: int = AUDIO_FRAMES, words: int = TEXT_WORDS, audio_channels: int = CHANNELS,
                  text_channels: int = CHANNELS) -> tuple[float, float]:
    """(audio share, text share) of the fusion's concatenated feature vector."""
    audio = audio_channels * audio_map_length(frames)
    text = text_channels * text_map_length(words)
    return audio / (audio + text), text / (audio + text)


def paper_share_audio_channels(frames: int, words: int = TEXT_WORDS, text_channels: int = CHANNELS) -> int:
    """Audio CNN filters that give the fusion input the paper's audio share at ``frames``.

    The paper's share is that of equal filter counts at its own sizes (45 s excerpt, 500 words):
    22 audio steps to 61 text steps, 26.5 % audio. A shorter excerpt leaves fewer audio steps
    (a 6 s excerpt, 201 frames: 2), so the audio CNN needs proportionally more filters for its
    flattened map to keep that share: ``text_channels`` at the paper's excerpt, 11 × 32 = 352
    at 201 frames.

    Args:
        frames: MFCC frames of this run's excerpt.
        words: Words per text sequence.
        text_channels: Filters of the text CNN.
    """
    steps = audio_map_length(frames)
    if steps < 1:
        raise ValueError(f"the audio CNN needs at least 109 MFCC frames, got frames={frames}")
    ratio = audio_map_length(AUDIO_FRAMES) / text_map_length(TEXT_WORDS)   # 22 / 61
    return max(1, round(ratio * text_channels * text_map_length(words) / steps))


def conv_layer_shapes(net: AudioCNN | TextCNN, batch: int = 2) -> list[tuple[str, tuple[int, ...]]]:
    """``[(layer, output shape), ...]`` of a unimodal CNN's conv part, from its input on.

    The input is a zero batch of what ``net.convs`` reads (:attr:`AudioCNN.conv_input`: MFCC
    coefficients × frames; :attr:`TextCNN.conv_input`: embedding dimensions × words).
    """
    x = torch.zeros(batch, *net.conv_input)
    shapes = [("input", tuple(x.shape))]
    with torch.no_grad():
        for layer in net.convs:
            x = layer(x)
            shapes.append((type(layer).__name__, tuple(x.shape)))
    return shapes


# --- models ---------------------------------------------------------------------------------------

def _check_input(name: str, x: torch.Tensor, shape: tuple, meaning: str) -> None:
    if x.dim() != 3 or tuple(x.shape[1:]) != shape:
        raise ValueError(f"{name} expects a (batch, {shape[0]}, {shape[1]}) tensor of {meaning}, "
                         f"got shape {tuple(x.shape)}")


class AudioCNN(nn.Module):
    """Audio CNN: MFCCs (20 channels) → 2 × [Conv1d(10) → BN → ReLU → MaxPool(4)] → AvgPool(4)
    → flatten → Dropout → Linear(64) → ReLU → Dropout → Linear(2).

    Reference: mmer_analysis project, "Audio Modality".
    Notebook: ``05_mmer_analysis_unimodal_fusion``.

    Args:
        frames: MFCC frames of the input (1502 in the paper; shorter excerpts in ``demo``).
        n_mfcc: Coefficients (input channels).
        channels: Filters of both convolutions.
        hidden: Units of the hidden linear layer.
        dropout: Dropout before each linear layer.
        n_outputs: Regression outputs (valence, arousal).
    """

    def __init__(self, frames: int = AUDIO_FRAMES, n_mfcc: int = N_MFCC, channels: int = CHANNELS,
                 hidden: int = 64, dropout: float = DROPOUT, n_outputs: int = 2):
        super().__init__()
        self.frames, self.n_mfcc = frames, n_mfcc
        self.conv_input = (n_mfcc, frames)   # what self.convs reads: (channels, steps)
        self.map_length = audio_map_length(frames)
        if self.map_length < 1:
            raise ValueError(f"AudioCNN needs at least 109 MFCC frames, got frames={frames}")
        blocks = []
        for width in (n_mfcc, channels):
            blocks += [nn.Conv1d(width, channels, KERNEL), nn.BatchNorm1d(channels), nn.ReLU(),
                       nn.MaxPool1d(4, 4)]
        self.convs = nn.Sequential(*blocks, nn.AvgPool1d(4, 4), nn.Flatten())
        self.feature_size = channels * self.map_length
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.feature_size, hidden), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(hidden, n_outputs))

    def features(self, mfcc: torch.Tensor) -> torch.Tensor:
        """``(B, n_mfcc, frames)`` → the flattened conv map ``(B, channels × map_length)``."""
        _check_input("AudioCNN", mfcc, (self.n_mfcc, self.frames), "MFCCs (coefficients, frames)")
        return self.convs(mfcc)

    def forward(self, mfcc: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(mfcc))


class TextCNN(nn.Module):
    """Text CNN: word vectors → Conv(10 × 300, one input channel) → BN → ReLU → MaxPool(2)
    → AvgPool(4) → flatten → Dropout → Linear(32) → Dropout → Linear(2).

    The 10 × 300 kernel spans the whole embedding, so it slides along the words only: it is
    computed as a ``Conv1d`` with the 300 embedding dimensions as input channels — the same
    function and parameters as the paper's ``Conv2d(1, C, (10, 300))`` (a test checks this),
    about four times faster on a CPU. The paper's head has no activation between its two
    linear layers; ``head_activation=True`` adds a ReLU.

    Reference: mmer_analysis project, "Text Modalities".
    Notebook: ``05_mmer_analysis_unimodal_fusion``.

    Args:
        words: Sequence length (500).
        dim: Word-vector size (300).
        channels: Filters of the convolution.
        hidden: Units of the hidden linear layer.
        dropout: Dropout before each linear layer.
        n_outputs: Regression outputs.
        head_activation: ReLU between the two linear layers (not in the paper).
    """

    def __init__(self, words: int = TEXT_WORDS, dim: int = WORD_DIM, channels: int = CHANNELS,
                 hidden: int = 32, dropout: float = DROPOUT, n_outputs: int = 2, head_activation: bool = False):
        super().__init__()
        self.words, self.dim = words, dim
        self.conv_input = (dim, words)       # what self.convs reads: the words transposed
        self.map_length = text_map_length(words)
        if self.map_length < 1:
            raise ValueError(f"TextCNN needs at least 17 words, got words={words}")
        self.convs = nn.Sequential(nn.Conv1d(dim, channels, KERNEL), nn.BatchNorm1d(channels), nn.ReLU(),
                                   nn.MaxPool1d(2, 2), nn.AvgPool1d(4, 4), nn.Flatten())
        self.feature_size = channels * self.map_length
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.feature_size, hidden),
                                  *([nn.ReLU()] if head_activation else []),
                                  nn.Dropout(dropout), nn.Linear(hidden, n_outputs))

    def features(self, words: torch.Tensor) -> torch.Tensor:
        """``(B, words, dim)`` → the flattened conv map ``(B, channels × map_length)``."""
        _check_input("TextCNN", words, (self.words, self.dim), "word vectors (words, dimensions)")
        return self.convs(words.transpose(1, 2))

    def forward(self, words: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(words))


class FusionCNN(nn.Module):
    """Fusion: the conv parts of an audio CNN and a text CNN, their flattened maps
    concatenated → Dropout → Linear(256) → Dropout → Linear(2).

    "Keeping the convolution layers along with the already learned parameters": the conv
    parts are copied from the trained unimodal models; with ``freeze=True`` (our reading, the
    default) they stay fixed — weights and batch-norm statistics (those layers stay in eval
    mode) — and only the new head is trained; ``freeze=False`` fine-tunes them too. As for
    the text head, no activation is stated between the two linear layers.

    Reference: mmer_analysis project, "Multimodal Approach".
    Notebook: ``05_mmer_analysis_unimodal_fusion``.

    Args:
        audio: A (trained) :class:`AudioCNN`; its conv part is copied.
        text: A (trained) :class:`TextCNN`; its conv part is copied.
        freeze: Keep the copied conv parts fixed.
        hidden: Units of the hidden linear layer.
        dropout: Dropout before each linear layer.
        n_outputs: Regression outputs.
        head_activation: ReLU between the two linear layers (not in the paper).
    """

    def __init__(self, audio: AudioCNN, text: TextCNN, freeze: bool = True, hidden: int = 256,
                 dropout: float = DROPOUT, n_outputs: int = 2, head_activation: bool = False):
        super().__init__()
        self.audio, self.text = copy.deepcopy(audio), copy.deepcopy(text)
        del self.audio.head, self.text.head      # only the conv parts are kept
        self.freeze = freeze
        if freeze:
            for p in (*self.audio.parameters(), *self.text.parameters()):
                p.requires_grad_(False)
        self.feature_sizes = (audio.feature_size, text.feature_size)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(sum(self.feature_sizes), hidden),
                                  *([nn.ReLU()] if head_activation else []),
                                  nn.Dropout(dropout), nn.Linear(hidden, n_outputs))

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze:  # frozen branches keep their batch-norm statistics
            self.audio.eval()
            self.text.eval()
        return self

    def features(self, audio: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """The concatenated flattened maps ``(B, audio size + text size)``."""
        return torch.cat([self.audio.features(audio), self.text.features(text)], dim=1)

    def forward(self, audio: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(audio, text))


@register("mmer_analysis_audio_cnn")
def audio_cnn(**options) -> AudioCNN:
    """The audio (MFCC) CNN."""
    return AudioCNN(**options)


@register("mmer_analysis_text_cnn")
def text_cnn(**options) -> TextCNN:
    """The lyrics / comments (Word2Vec) CNN."""
    return TextCNN(**options)


@register("mmer_analysis_fusion")
def fusion(audio: AudioCNN | None = None, text: TextCNN | None = None, frames: int = AUDIO_FRAMES,
           words: int = TEXT_WORDS, channels: int = CHANNELS, **options) -> FusionCNN:
    """Audio + text fusion; untrained branches of the given sizes when none are passed."""
    audio = audio if audio is not None else AudioCNN(frames=frames, channels=channels)
    text = text if text is not None else TextCNN(words=words, channels=channels)
    return FusionCNN(audio, text, **options)
