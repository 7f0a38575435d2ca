"""Fusion blocks shared by the multimodal models: cross-modal attention, padding masks, heads.

* :class:`CrossModalAttention` — multi-head attention whose queries come from one modality and
  whose keys and values come from another, with a residual connection (the CMA block).
* :func:`padding_mask` — which rows of a zero-padded feature sequence are real.
* :func:`pad_and_concat` — sequences zero-padded to one length and concatenated on features
  (the "direct fusion" of Zhao et al.'s ablation).
* :class:`PredictionHead` — a hidden layer, then a regression output and a classification
  output side by side (V/A values and quadrant/cluster logits from one representation).

Notebook: ``04_zhao2022_hierarchical_attention``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def padding_mask(features: torch.Tensor) -> torch.Tensor:
    """``(batch, length)`` bool mask, True where a row of ``(batch, length, dim)`` features is real.

    Padding rows are exactly zero (how :mod:`mer_lib.features.bert` and the stacking helpers
    pad); a real feature row of a trained encoder is never all zeros.
    """
    return features.abs().sum(dim=-1) > 0


def pad_and_concat(sequences: list[torch.Tensor]) -> torch.Tensor:
    """Zero-pad ``(batch, length_i, dim_i)`` sequences to the longest length, concatenate features.

    Returns:
        ``(batch, max length, sum of dims)``.
    """
    length = max(s.shape[1] for s in sequences)
    padded = [F.pad(s, (0, 0, 0, length - s.shape[1])) for s in sequences]
    return torch.cat(padded, dim=-1)


class CrossModalAttention(nn.Module):
    """Cross-modal attention (CMA): one modality queries another, with a residual connection.

    For query features ``F_α`` (``(B, L_α, d_α)``) and key/value features ``F_β``
    (``(B, L_β, d_β)``), each of the ``heads`` heads computes (Zhao et al., Eq. 1 and 3)::

        head_i = softmax( (F_α W_Q^i) (F_β W_K^i)^T / sqrt(d_head) ) (F_β W_V^i)

    the heads are concatenated and projected by ``W_O`` back to ``d_α`` (Eq. 2), and the
    result is added to the query (the residual connection of the paper's Fig. 2/3) and
    layer-normalised::

        CMA(F_α, F_β) = LayerNorm(F_α + Dropout(MHA(F_α, F_β)))

    The output is aligned with the *query* sequence: one fused vector per query position.
    Key rows marked False in ``key_mask`` (padding) get zero attention weight; a query whose
    keys are all padding receives no message (its attention mix is zero, so only the residual
    and the bias of ``W_O`` remain), instead of the NaN a plain softmax would give.

    Reference: Zhao et al., "Multimodal Music Emotion Recognition with Hierarchical
    Cross-Modal Attention Network", ICME 2022, Sec. 3.3; the block follows Tsai et al.,
    "Multimodal Transformer for Unaligned Multimodal Language Sequences", ACL 2019 (from
    which the layer norm is taken; the paper states the residual, not the norm).
    Notebook: ``04_zhao2022_hierarchical_attention``.

    Args:
        query_dim: Feature size ``d_α`` of the querying modality (also the output size).
        key_dim: Feature size ``d_β`` of the attended modality.
        heads: Attention heads (8 in the paper).
        dim: Total attention size (split over the heads); default ``query_dim``.
        dropout: Dropout on the attention weights and on the attention output.
        norm: Layer-normalise after the residual sum.
    """

    def __init__(self, query_dim: int, key_dim: int, heads: int = 8, dim: int | None = None,
                 dropout: float = 0.1, norm: bool = True):
        super().__init__()
        dim = int(dim or query_dim)
        if dim % heads:
            raise ValueError(f"attention size {dim} must be divisible by heads ({heads})")
        self.heads, self.head_dim = heads, dim // heads
        self.query = nn.Linear(query_dim, dim)
        self.key = nn.Linear(key_dim, dim)
        self.value = nn.Linear(key_dim, dim)
        self.out = nn.Linear(dim, query_dim)
        self.attention_dropout = nn.Dropout(dropout)
        self.output_dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(query_dim) if norm else nn.Identity()

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        return x.view(batch, length, self.heads, self.head_dim).transpose(1, 2)

    def attention_weights(self, query: torch.Tensor, keys: torch.Tensor,
                          key_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Softmax attention weights ``(B, heads, L_α, L_β)`` (rows sum to 1, or 0 if no key)."""
        q = self._split_heads(self.query(query))
        k = self._split_heads(self.key(keys))
        logits = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        if key_mask is None:
            return logits.softmax(dim=-1)
        valid = key_mask[:, None, None, :]
        weights = logits.masked_fill(~valid, float("-inf")).softmax(dim=-1)
        # All keys padding: softmax of all -inf is NaN; such a query attends to nothing.
        return weights.masked_fill(~valid.any(dim=-1, keepdim=True), 0.0)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, key_mask: torch.Tensor | None = None,
                return_attention: bool = False):
        """Fuse ``keys`` into ``query``.

        Args:
            query: ``(B, L_α, query_dim)`` features of the querying modality.
            keys: ``(B, L_β, key_dim)`` features of the attended modality (keys and values).
            key_mask: ``(B, L_β)`` bool, True for real rows; None: all rows are real.
            return_attention: Also return the weights ``(B, heads, L_α, L_β)``.

        Returns:
            ``(B, L_α, query_dim)``, and the attention weights when asked for.
        """
        weights = self.attention_weights(query, keys, key_mask)
        values = self._split_heads(self.value(keys))
        mixed = self.attention_dropout(weights) @ values                   # (B, heads, L_α, head_dim)
        mixed = mixed.transpose(1, 2).reshape(query.shape[0], query.shape[1], -1)
        fused = self.norm(query + self.output_dropout(self.out(mixed)))
        return (fused, weights) if return_attention else fused


class PredictionHead(nn.Module):
    """Hidden layer, then V/A regression outputs and class logits side by side.

    Output ``(batch, n_regression + n_classes)``: the first ``n_regression`` columns are the
    regression values, the rest the classification logits (either part may be empty).

    Notebook: ``04_zhao2022_hierarchical_attention``.

    Args:
        in_dim: Size of the fused representation.
        n_regression: Regression outputs (2 for valence and arousal; 0 for none).
        n_classes: Classes of the extra classification layer (0 for none).
        hidden: Units of the hidden layer.
        dropout: Dropout before the output layers.
    """

    def __init__(self, in_dim: int, n_regression: int = 2, n_classes: int = 0, hidden: int = 64,
                 dropout: float = 0.3):
        super().__init__()
        if n_regression + n_classes < 1:
            raise ValueError("a prediction head needs at least one regression output or two classes")
        self.hidden = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(dropout))
        self.regression = nn.Linear(hidden, n_regression) if n_regression else None
        self.classifier = nn.Linear(hidden, n_classes) if n_classes else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.hidden(x)
        parts = [layer(h) for layer in (self.regression, self.classifier) if layer is not None]
        return torch.cat(parts, dim=-1)
