"""The end-to-end multimodal polarity networks of Jeon et al. 2017 (audio + lyrics): Table 1's six models.

Two branches (Sec. 3), each ending in a 64-d embedding:

* **audio** — a ``(128 mels, 1024 frames)`` log-mel spectrogram read as a sequence of 1024
  vectors of 128 values: five 1-D convolutions over time (kernel 3, ELU) with max-pooling
  (3, 3, 3, 2, 2), then two GRU layers (64) and a fully connected layer → ``v_a`` (Eq. 1–2);
* **lyrics** — word ids padded to 400: an embedding (200-d), a 1-D convolution (250 filters,
  kernel 3), global max-pooling, a fully connected layer → ``v_l`` (Eq. 3);
* **fusion** — ``concat(v_a, v_l)`` → fully connected (64) + ReLU → 2-way softmax (Eq. 4).

Table 1 has six rows; the paper describes only the multimodal model and, through it, the audio
CNN+RNN and lyrics CNN branches. The other three are our closest readings (documented on
each class): **audio CNN** = the conv stack + global max-pool + FC; **audio RNN** = the two
GRU layers directly on the mel frames + FC; **lyrics RNN** = embedding + two GRU layers + FC.
Every row ends in the same head as the multimodal model (FC 64 + ReLU → 2 logits), so the
rows differ only in what reads the input.

Choices where the paper is silent (the notebook's Deviations section lists them):

* the fifth conv layer's filter count (the paper lists four numbers for five layers): **64**,
  continuing the last listed value;
* ``same`` padding in the audio convolutions (lengths 1024 → 341 → 113 → 37 → 18 → **9**);
  ``valid`` in the lyrics convolution and ReLU after it, as in Keras's ``imdb_cnn`` example,
  whose sizes (maxlen 400, 250 filters, kernel 3, global max-pool) the lyrics branch shares;
* a batch norm over the 128 mel bands of the dB input (the paper gives no input scaling);
* dropout before the output layer and after the word embedding (default 0.2, the
  ``imdb_cnn`` value); the GRU branch reads its top layer's last state (Keras's default).

How the rows are run (labels, filters, splits, vocabularies, scores) is in
:mod:`mer_lib.experiments.jeon2017`.

Reference: Jeon, Kim, Kim, Kim, Park & Ha, "Music Emotion Recognition via End-to-End Multimodal
Neural Networks", RecSys 2017 (poster).
Notebook: ``01_jeon2017_end_to_end_polarity``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from mer_lib.models import register

N_MELS = 128
N_FRAMES = 1024
MAX_WORDS = 400
EMBEDDING_DIM = 200
#: Filters of the five audio conv layers: the paper lists (128, 128, 64, 64); the fifth is ours.
AUDIO_CHANNELS = (128, 128, 64, 64, 64)
AUDIO_POOLS = (3, 3, 3, 2, 2)
KERNEL_SIZE = 3
GRU_UNITS = 64
GRU_LAYERS = 2
LYRICS_FILTERS = 250
BRANCH_DIM = 64
HIDDEN = 64


# --- branches ------------------------------------------------------------------------------------

def pooled_length(frames: int, pools: Sequence[int] = AUDIO_POOLS) -> int:
    """Sequence length after the audio conv stack (``same`` convs, floor max-pools): 1024 → 9."""
    for pool in pools:
        frames //= pool
    return frames


class AudioConvStack(nn.Module):
    """Eq. 1: five ``Conv1d(kernel 3, same) → ELU → MaxPool1d`` layers over time, mel bands as channels.

    A batch norm over the mel bands scales the dB input first (our addition: the paper gives
    no input scaling). ``(B, n_mels, frames)`` → ``(B, channels[-1], pooled_length(frames))``.

    Reference: Jeon et al., RecSys 2017, Sec. 3, Eq. 1 (fifth filter count: ours).
    Notebook: ``01_jeon2017_end_to_end_polarity``.

    Args:
        n_mels: Mel bands (input channels).
        channels: Filters of the conv layers.
        pools: Max-pool sizes, one per layer.
    """

    def __init__(self, n_mels: int = N_MELS, channels: Sequence[int] = AUDIO_CHANNELS,
                 pools: Sequence[int] = AUDIO_POOLS):
        super().__init__()
        if len(channels) != len(pools):
            raise ValueError(f"one pool size per conv layer: got {len(channels)} layers, {len(pools)} pools")
        self.n_mels, self.pools = n_mels, tuple(pools)
        self.input_norm = nn.BatchNorm1d(n_mels)
        widths = (n_mels, *channels)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.Conv1d(widths[i], widths[i + 1], KERNEL_SIZE, padding=KERNEL_SIZE // 2),
                          nn.ELU(), nn.MaxPool1d(pools[i]))
            for i in range(len(channels)))
        self.out_dim = channels[-1]
        self.min_frames = int(np.prod(pools))

    def stages(self, mel: torch.Tensor) -> dict[str, torch.Tensor]:
        """Output of every layer, for teaching: ``{"input", "input_norm", "conv1"...}``."""
        if mel.dim() != 3 or mel.shape[1] != self.n_mels:
            raise ValueError(f"audio input must be (batch, {self.n_mels} mels, frames), got {tuple(mel.shape)}")
        if mel.shape[-1] < self.min_frames:
            raise ValueError(f"the audio conv stack needs at least {self.min_frames} frames, got {mel.shape[-1]}")
        out = {"input": mel, "input_norm": self.input_norm(mel)}
        x = out["input_norm"]
        for i, layer in enumerate(self.layers, 1):
            x = out[f"conv{i}+pool{i}"] = layer(x)
        return out

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return list(self.stages(mel).values())[-1]


def last_gru_state(gru: nn.GRU, sequence: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Top-layer state after the last (real) step of ``sequence`` ``(B, T, D)`` → ``(B, hidden)``."""
    if lengths is not None:
        sequence = pack_padded_sequence(sequence, lengths.clamp(min=1).cpu(), batch_first=True,
                                        enforce_sorted=False)
    _, hidden = gru(sequence)
    return hidden[-1]


class AudioCNN(nn.Module):
    """Table 1 "Audio / CNN": the conv stack, global max-pool over time, FC → 64-d embedding.

    The paper does not describe it; this is the CRNN without its GRUs, pooled like the lyrics
    branch (a global max-pool keeps the strongest response of each filter).

    Reference: Jeon et al., RecSys 2017, Table 1 (architecture: our reading).
    Notebook: ``01_jeon2017_end_to_end_polarity``.
    """

    def __init__(self, n_mels: int = N_MELS):
        super().__init__()
        self.convs = AudioConvStack(n_mels)
        self.fc = nn.Linear(self.convs.out_dim, BRANCH_DIM)
        self.out_dim = BRANCH_DIM

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.fc(self.convs(mel).amax(dim=-1))


class AudioRNN(nn.Module):
    """Table 1 "Audio / RNN": two GRU layers (64) over the mel frames, FC → 64-d embedding.

    The paper does not describe it; this is the CRNN without its conv stack: the GRUs read all
    1024 frames (each a 128-value vector, batch-normalised per band) and the top layer's last
    state is projected.

    Reference: Jeon et al., RecSys 2017, Table 1 (architecture: our reading).
    Notebook: ``01_jeon2017_end_to_end_polarity``.
    """

    def __init__(self, n_mels: int = N_MELS):
        super().__init__()
        self.n_mels = n_mels
        self.input_norm = nn.BatchNorm1d(n_mels)
        self.gru = nn.GRU(n_mels, GRU_UNITS, num_layers=GRU_LAYERS, batch_first=True)
        self.fc = nn.Linear(GRU_UNITS, BRANCH_DIM)
        self.out_dim = BRANCH_DIM

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        if mel.dim() != 3 or mel.shape[1] != self.n_mels:
            raise ValueError(f"audio input must be (batch, {self.n_mels} mels, frames), got {tuple(mel.shape)}")
        return self.fc(last_gru_state(self.gru, self.input_norm(mel).transpose(1, 2)))


class AudioCRNN(nn.Module):
    """The paper's audio branch (Eq. 1–2): conv stack → two GRU layers (64) → FC → ``v_a`` (64).

    Reference: Jeon et al., RecSys 2017, Sec. 3, Eq. 1–2 (after Choi et al.'s CRNN, 2016).
    Notebook: ``01_jeon2017_end_to_end_polarity``.
    """

    def __init__(self, n_mels: int = N_MELS):
        super().__init__()
        self.convs = AudioConvStack(n_mels)
        self.gru = nn.GRU(self.convs.out_dim, GRU_UNITS, num_layers=GRU_LAYERS, batch_first=True)
        self.fc = nn.Linear(GRU_UNITS, BRANCH_DIM)
        self.out_dim = BRANCH_DIM

    def stages(self, mel: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every intermediate tensor, for teaching (conv stages, ``gru``, ``v_a``)."""
        out = self.convs.stages(mel)
        sequence = list(out.values())[-1].transpose(1, 2)          # (B, steps, channels)
        output, hidden = self.gru(sequence)
        out["gru (all steps)"], out["gru (last state)"] = output, hidden[-1]
        out["v_a"] = self.fc(hidden[-1])
        return out

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.fc(last_gru_state(self.gru, self.convs(mel).transpose(1, 2)))


def _check_ids(ids: torch.Tensor, vocab_size: int) -> None:
    if ids.dim() != 2 or ids.is_floating_point():
        raise ValueError(f"lyrics input must be integer word ids (batch, words), got {ids.dtype} {tuple(ids.shape)}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(f"word ids must lie in [0, {vocab_size}) (the vocabulary size), "
                         f"got [{int(ids.min())}, {int(ids.max())}]")


class _LyricsBranch(nn.Module):
    """What both lyrics branches share: the 200-d word embedding (id 0 = padding) and its dropout."""

    def __init__(self, vocab_size: int, dropout: float):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, EMBEDDING_DIM, padding_idx=0)
        self.dropout = nn.Dropout(dropout)
        self.out_dim = BRANCH_DIM


class LyricsCNN(_LyricsBranch):
    """The paper's lyrics branch (Eq. 3): embedding (200) → Conv1d (250, kernel 3) → global max → FC (64).

    Word id 0 is padding (its embedding stays zero). Dropout after the embedding and ReLU after
    the convolution follow Keras's ``imdb_cnn`` example, whose sizes this branch shares.

    Reference: Jeon et al., RecSys 2017, Sec. 3, Eq. 3.
    Notebook: ``01_jeon2017_end_to_end_polarity``.

    Args:
        vocab_size: Vocabulary size, padding and unknown ids included.
        dropout: Dropout on the word embeddings.
    """

    def __init__(self, vocab_size: int, dropout: float = 0.2):
        super().__init__(vocab_size, dropout)
        self.conv = nn.Conv1d(EMBEDDING_DIM, LYRICS_FILTERS, KERNEL_SIZE)
        self.fc = nn.Linear(LYRICS_FILTERS, BRANCH_DIM)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        _check_ids(ids, self.vocab_size)
        if ids.shape[1] < KERNEL_SIZE:
            raise ValueError(f"the lyrics CNN needs at least {KERNEL_SIZE} word positions, got {ids.shape[1]}")
        x = self.dropout(self.embedding(ids)).transpose(1, 2)        # (B, 200, words)
        return self.fc(torch.relu(self.conv(x)).amax(dim=-1))


class LyricsRNN(_LyricsBranch):
    """Table 1 "Lyrics / RNN": embedding (200) → two GRU layers (64) → FC (64).

    The paper does not describe it; this mirrors the audio branch's GRUs. Padding is skipped
    (packed sequences): the state after a song's last real word is projected.

    Reference: Jeon et al., RecSys 2017, Table 1 (architecture: our reading).
    Notebook: ``01_jeon2017_end_to_end_polarity``.

    Args: those of :class:`LyricsCNN`.
    """

    def __init__(self, vocab_size: int, dropout: float = 0.2):
        super().__init__(vocab_size, dropout)
        self.gru = nn.GRU(EMBEDDING_DIM, GRU_UNITS, num_layers=GRU_LAYERS, batch_first=True)
        self.fc = nn.Linear(GRU_UNITS, BRANCH_DIM)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        _check_ids(ids, self.vocab_size)
        lengths = (ids != 0).sum(dim=1)
        return self.fc(last_gru_state(self.gru, self.dropout(self.embedding(ids)), lengths))


class PolarityNet(nn.Module):
    """Branch embeddings, concatenated → FC (64) + ReLU → dropout → 2 logits (Eq. 4).

    With one branch this is a unimodal Table 1 row; with the audio CRNN and the lyrics CNN it
    is the paper's multimodal model. The softmax is in the loss (cross-entropy on logits).

    Reference: Jeon et al., RecSys 2017, Sec. 3, Eq. 4 (the 2-unit output layer before the
    softmax is implied by "output vector o includes two values").
    Notebook: ``01_jeon2017_end_to_end_polarity``.

    Args:
        branches: ``{input name: branch}``; ``input name`` is ``"audio"`` or ``"lyrics"``.
        n_classes: Outputs (2: negative, positive).
        dropout: Dropout before the output layer.
    """

    def __init__(self, branches: Mapping[str, nn.Module], n_classes: int = 2, dropout: float = 0.2):
        super().__init__()
        unknown = set(branches) - {"audio", "lyrics"}
        if not branches or unknown:
            raise ValueError(f"branches must be named 'audio' and/or 'lyrics', got {sorted(branches)}")
        self.modalities = tuple(branches)
        self.branches = nn.ModuleDict(branches)
        width = sum(b.out_dim for b in branches.values())
        self.head = nn.Sequential(nn.Linear(width, HIDDEN), nn.ReLU(), nn.Dropout(dropout),
                                  nn.Linear(HIDDEN, n_classes))

    def embed(self, audio: torch.Tensor | None = None, lyrics: torch.Tensor | None = None) -> torch.Tensor:
        """The concatenated branch embeddings ``(B, 64 · branches)``."""
        given = {"audio": audio, "lyrics": lyrics}
        missing = [m for m in self.modalities if given[m] is None]
        if missing:
            raise ValueError(f"this model reads {list(self.modalities)}; missing input {missing}")
        return torch.cat([self.branches[m](given[m]) for m in self.modalities], dim=1)

    def forward(self, audio: torch.Tensor | None = None, lyrics: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.embed(audio, lyrics))


@register("jeon2017_audio_cnn")
def audio_cnn(n_mels: int = N_MELS, n_classes: int = 2, dropout: float = 0.2) -> PolarityNet:
    """Table 1, Audio / CNN."""
    return PolarityNet({"audio": AudioCNN(n_mels)}, n_classes, dropout)


@register("jeon2017_audio_rnn")
def audio_rnn(n_mels: int = N_MELS, n_classes: int = 2, dropout: float = 0.2) -> PolarityNet:
    """Table 1, Audio / RNN."""
    return PolarityNet({"audio": AudioRNN(n_mels)}, n_classes, dropout)


@register("jeon2017_audio_crnn")
def audio_crnn(n_mels: int = N_MELS, n_classes: int = 2, dropout: float = 0.2) -> PolarityNet:
    """Table 1, Audio / CNN+RNN (the paper's audio branch)."""
    return PolarityNet({"audio": AudioCRNN(n_mels)}, n_classes, dropout)


@register("jeon2017_lyrics_cnn")
def lyrics_cnn(vocab_size: int, n_classes: int = 2, dropout: float = 0.2) -> PolarityNet:
    """Table 1, Lyrics / CNN (the paper's lyrics branch)."""
    return PolarityNet({"lyrics": LyricsCNN(vocab_size, dropout)}, n_classes, dropout)


@register("jeon2017_lyrics_rnn")
def lyrics_rnn(vocab_size: int, n_classes: int = 2, dropout: float = 0.2) -> PolarityNet:
    """Table 1, Lyrics / RNN."""
    return PolarityNet({"lyrics": LyricsRNN(vocab_size, dropout)}, n_classes, dropout)


@register("jeon2017_multimodal")
def multimodal(vocab_size: int, n_mels: int = N_MELS, n_classes: int = 2, dropout: float = 0.2) -> PolarityNet:
    """Table 1, Both: audio CNN+RNN ‖ lyrics CNN (Fig. 1)."""
    return PolarityNet({"audio": AudioCRNN(n_mels), "lyrics": LyricsCNN(vocab_size, dropout)}, n_classes, dropout)
