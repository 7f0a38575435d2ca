"""The deep baselines of Zhao & Yoshii's Table I, as EMOPIA's classifiers implement them.

* :class:`LSTMAttention` — MIDI-like tokens → embedding → bidirectional LSTM → Lin et al.'s
  structured self-attention (16 hops) → two dense layers → 4 quadrants (EMOPIA's ``SAN``:
  embedding 300, LSTM 128 units per direction, attention size 128, dense 256).
* :class:`ShortChunkResNet` — log-mel chunks of 3.69 s → seven residual blocks → dense →
  4 quadrants; trained on one random chunk per clip, a clip's prediction is the mean of its
  chunks' probabilities (Won et al. 2020; EMOPIA's audio classifier).

Both output 4-class log-probabilities (train with ``nll_loss``); the binary valence and
arousal answers are read from the predicted quadrant.

Reference: Hung et al., "EMOPIA", ISMIR 2021 (the baselines and their settings, as compared
in Zhao & Yoshii 2023, Table I); Lin et al., ICLR 2017; Won et al., SMC 2020.
Notebook: ``03_zhao2023_multifaceted_piano``.
"""

from __future__ import annotations

import torch
from torch import nn

from mer_lib.features.symbolic import PAD_ID, VOCAB_SIZE
from mer_lib.models import register
from mer_lib.models.blocks import masked_mean
from mer_lib.models.blocks_sequence import ResidualCNN, StructuredSelfAttention, WindowedEncoder, autocast
from mer_lib.models.zhao2023 import TOKEN_WINDOW

N_QUADRANTS = 4


class _LSTMAttentionEncoder(nn.Module):
    """Tokens ``(B, T)`` → flattened attention matrix-embedding ``(B, hops · 2 · hidden)``."""

    def __init__(self, embedding_dim: int, hidden_size: int, attention_dim: int, hops: int):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB_SIZE + 1, embedding_dim, padding_idx=PAD_ID)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True, bidirectional=True)
        self.attention = StructuredSelfAttention(2 * hidden_size, attention_dim, hops)
        self.out_dim = hops * 2 * hidden_size

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        states, _ = self.lstm(self.embedding(tokens))
        mask = tokens != PAD_ID
        mask[:, 0] = True  # an all-padding window attends to its first step instead of nothing
        embedding, _ = self.attention(states, mask)
        return embedding.flatten(1)


class LSTMAttention(nn.Module):
    """LSTM with structured self-attention on MIDI-like tokens, 4-quadrant log-probabilities.

    Reference: Lin et al., ICLR 2017; EMOPIA's ``SAN`` classifier (Hung et al., ISMIR 2021).
    Notebook: ``03_zhao2023_multifaceted_piano``.

    Args:
        embedding_dim: Token embedding size (300 in EMOPIA).
        hidden_size: LSTM units per direction (128).
        attention_dim: ``d_a`` of the attention MLP (128).
        hops: Attention rows ``r`` (16).
        dense_dim: Hidden dense layer (256).
        window: Tokens per window (long sequences are read as the mean of their windows).
        mixed_precision: bfloat16 autocast for the encoder (a speed setting).
    """

    def __init__(self, embedding_dim: int = 300, hidden_size: int = 128, attention_dim: int = 128,
                 hops: int = 16, dense_dim: int = 256, window: int = TOKEN_WINDOW,
                 mixed_precision: bool = False):
        super().__init__()
        encoder = _LSTMAttentionEncoder(embedding_dim, hidden_size, attention_dim, hops)
        self.encoder = WindowedEncoder(encoder, window, pad_value=PAD_ID)
        self.classifier = nn.Sequential(nn.Linear(encoder.out_dim, dense_dim), nn.ReLU(),
                                        nn.Linear(dense_dim, N_QUADRANTS))
        self.mixed_precision = mixed_precision

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        with autocast(self.mixed_precision, tokens.device):
            embedding = self.encoder(tokens, (tokens != PAD_ID).sum(-1)).float()
        return self.classifier(embedding).log_softmax(dim=-1)


class ShortChunkResNet(nn.Module):
    """Short-chunk ResNet on log-mel chunks, 4-quadrant log-probabilities.

    Input ``mel_chunks`` ``(B, K, n_mels, frames)`` (K = 1 when training on a random chunk)
    and optionally ``mel_chunks_length`` (real chunks per clip); the output is the log of the
    mean class probabilities over a clip's real chunks.

    Reference: Won, Ferraro, Bogdanov & Serra, SMC 2020 (``ShortChunkCNN_Res``: 3.69 s at
    16 kHz, 128 mel bands, seven ``Res_2d`` blocks, dense, batch norm, dropout 0.5).
    Notebook: ``03_zhao2023_multifaceted_piano``.

    Args:
        n_mels: Mel bands of the input (128).
        base_channels: ``c`` of the channel plan c, c, 2c, 2c, 2c, 2c, 4c (Won et al.: 128).
        dropout: Dropout before the output layer.
        mixed_precision: bfloat16 autocast for the convolutions (a speed setting).
    """

    def __init__(self, n_mels: int = 128, base_channels: int = 32, dropout: float = 0.5,
                 mixed_precision: bool = False):
        super().__init__()
        c = base_channels
        self.cnn = ResidualCNN(n_mels, (c, c, 2 * c, 2 * c, 2 * c, 2 * c, 4 * c))
        self.dense = nn.Sequential(nn.Linear(4 * c, 4 * c), nn.BatchNorm1d(4 * c), nn.ReLU(),
                                   nn.Dropout(dropout), nn.Linear(4 * c, N_QUADRANTS))
        self.mixed_precision = mixed_precision

    def forward(self, mel_chunks: torch.Tensor, mel_chunks_length: torch.Tensor | None = None) -> torch.Tensor:
        batch, n_chunks = mel_chunks.shape[:2]
        with autocast(self.mixed_precision, mel_chunks.device):
            embedding = self.cnn(mel_chunks.flatten(0, 1)).float()
        probabilities = self.dense(embedding).softmax(dim=-1).view(batch, n_chunks, -1)
        if mel_chunks_length is None:
            mel_chunks_length = torch.full((batch,), n_chunks, device=mel_chunks.device)
        real = torch.arange(n_chunks, device=mel_chunks.device)[None, :] < mel_chunks_length[:, None]
        real[:, 0] = True
        return masked_mean(probabilities, real[..., None], dim=1).clamp(min=1e-7).log()


@register("lstm_attn")
def lstm_attn(**options) -> LSTMAttention:
    """EMOPIA's LSTM-Attn symbolic baseline (Table I of Zhao & Yoshii 2023)."""
    return LSTMAttention(**options)


@register("short_chunk_resnet")
def short_chunk_resnet(**options) -> ShortChunkResNet:
    """Won et al.'s short-chunk ResNet audio baseline (Table I of Zhao & Yoshii 2023)."""
    return ShortChunkResNet(**options)
