"""The two multimodal baselines Zhao et al. 2022 compare with (Table 2): mid-level concatenation.

* :class:`Delbouys2018` — an audio ConvNet on the same 40-band log-mel input and a lyrics
  branch of word embeddings → convolution → LSTM; the two outputs are concatenated and go
  through two fully connected layers.
* :class:`Pyrovolakis2021` — BERT lyrics features and an audio CNN, concatenated into a
  fully connected head.

Both end in the same :class:`~mer_lib.models.blocks_fusion.PredictionHead` as the proposed
model (V/A outputs and class logits), so the comparison isolates the fusion. Their result rows
(inputs, modalities) are declared in :mod:`mer_lib.experiments.zhao2022`.

Reference: Zhao et al., ICME 2022, Table 2 (the papers of each baseline are cited by its class).
Notebook: ``04_zhao2022_hierarchical_attention``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from mer_lib.models import register
from mer_lib.models.blocks import masked_mean
from mer_lib.models.blocks_fusion import PredictionHead, padding_mask
from mer_lib.models.zhao2022 import N_MELS, AudioConvNet


class Delbouys2018(nn.Module):
    """Audio ConvNet + lyrics embedding/ConvNet/LSTM, concatenated, two dense layers.

    Audio: two 1-D convolutions over time with the mel bands as channels (32 then 16 filters
    of width 8, ReLU, max-pool 4), pooled over time (mean and max) into a dense layer of 64.
    Lyrics: word embeddings (initialised from Word2Vec trained on the training lyrics,
    frozen), a 1-D convolution (64 filters, width 3, ReLU, max-pool 2) and an LSTM (50
    units) whose last state summarises the text. Fusion: concatenation → dense (64, ReLU) →
    outputs, i.e. two fully connected layers.

    Reference: Delbouys, Hennequin, Piccoli, Royo-Letelier & Moussallam, "Music Mood Detection
    Based on Audio and Lyrics with Deep Neural Net", ISMIR 2018 (layer sizes as we read the
    paper; the global pooling over time replaces a flatten so that crops of any length fit).
    Notebook: ``04_zhao2022_hierarchical_attention``.

    Args:
        embeddings: ``(vocabulary, dim)`` initial word vectors; row 0 is padding.
        n_regression: Regression outputs.
        n_classes: Classes of the classification layer.
        n_mels: Mel bands of the audio input.
        freeze_embeddings: Keep the word vectors fixed.
        head_dropout: Dropout in the prediction head.
    """

    modalities = ("audio", "words")

    def __init__(self, embeddings: np.ndarray, n_regression: int = 2, n_classes: int = 0,
                 n_mels: int = N_MELS, freeze_embeddings: bool = True, head_dropout: float = 0.3):
        super().__init__()
        self.audio = nn.Sequential(
            nn.Conv1d(n_mels, 32, 8), nn.ReLU(), nn.MaxPool1d(4),
            nn.Conv1d(32, 16, 8), nn.ReLU(), nn.MaxPool1d(4),
        )
        self.audio_dense = nn.Sequential(nn.Linear(2 * 16, 64), nn.ReLU())
        self.embedding = nn.Embedding.from_pretrained(
            torch.as_tensor(np.asarray(embeddings), dtype=torch.float32), freeze=freeze_embeddings, padding_idx=0)
        self.word_conv = nn.Sequential(nn.Conv1d(self.embedding.embedding_dim, 64, 3, padding=1), nn.ReLU(),
                                       nn.MaxPool1d(2, ceil_mode=True))
        self.lstm = nn.LSTM(64, 50, batch_first=True)
        self.head = PredictionHead(64 + 50, n_regression, n_classes, dropout=head_dropout)

    def encode_audio(self, mel: torch.Tensor) -> torch.Tensor:
        """``(B, n_mels, frames)`` → ``(B, 64)``; needs ≥ 67 frames (the two conv/pool stages)."""
        x = self.audio(self.audio_norm(mel))
        return self.audio_dense(torch.cat([x.mean(dim=-1), x.amax(dim=-1)], dim=-1))

    @staticmethod
    def audio_norm(mel: torch.Tensor) -> torch.Tensor:
        # Per-clip standardisation of the dB values (the ConvNet has no batch norm).
        return (mel - mel.mean(dim=(1, 2), keepdim=True)) / mel.std(dim=(1, 2), keepdim=True).clamp(min=1e-3)

    def encode_words(self, words: torch.Tensor) -> torch.Tensor:
        """``(B, W)`` word ids (0 = padding) → ``(B, 50)``, the LSTM state after the last word."""
        words = words.long()
        x = self.word_conv(self.embedding(words).transpose(1, 2)).transpose(1, 2)
        lengths = ((words != 0).sum(dim=1) + 1) // 2              # after the ceil-mode pool of 2
        packed = pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
        _, (state, _) = self.lstm(packed)
        return state[-1]

    def forward(self, audio: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.encode_audio(audio), self.encode_words(words)], dim=-1))


class Pyrovolakis2021(nn.Module):
    """BERT lyrics + CNN audio, concatenated into a fully connected head.

    Audio: the same ConvNet as the proposed model, averaged over time (128). Lyrics: the
    frozen encoder's token features averaged over real tokens, a dense layer (128, ReLU).
    Fusion: concatenation → :class:`PredictionHead`.

    Reference: Pyrovolakis, Tzouveli & Stamou, "Mood Detection Analyzing Lyrics and Audio
    Signal Based on Deep Learning Architectures", ICPR 2020 (2021). They fine-tune BERT;
    here it is frozen, like the text branches of the proposed model.
    Notebook: ``04_zhao2022_hierarchical_attention``.

    Args: those of :class:`mer_lib.models.zhao2022.DirectFusionNet`.
    """

    modalities = ("audio", "lyrics")

    def __init__(self, text_dim: int = 384, n_regression: int = 2, n_classes: int = 0,
                 n_mels: int = N_MELS, head_dropout: float = 0.3):
        super().__init__()
        self.audio = AudioConvNet(n_mels)
        self.lyrics = nn.Sequential(nn.Linear(text_dim, 128), nn.ReLU())
        self.head = PredictionHead(self.audio.out_dim + 128, n_regression, n_classes, dropout=head_dropout)

    def forward(self, audio: torch.Tensor, lyrics: torch.Tensor) -> torch.Tensor:
        text = self.lyrics(masked_mean(lyrics, padding_mask(lyrics)[..., None], dim=1))
        return self.head(torch.cat([self.audio(audio).mean(dim=1), text], dim=-1))


@register("delbouys2018")
def delbouys2018(embeddings, **options) -> Delbouys2018:
    """Delbouys et al. 2018 (needs the word-vector matrix ``embeddings``)."""
    return Delbouys2018(embeddings, **options)


@register("pyrovolakis2021")
def pyrovolakis2021(**options) -> Pyrovolakis2021:
    """Pyrovolakis et al. 2021."""
    return Pyrovolakis2021(**options)
