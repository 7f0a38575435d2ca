"""The hierarchical cross-modal attention network (HCMAN) of Zhao et al. 2022 and its ablations.

Three branches (Sec. 3):

* **audio** — a log-mel spectrogram (40 bands, 1024-sample window, no overlap: the
  ``zhao2022_mel`` feature preset) through five Conv2D layers (32, 64, 128, 256, 128 filters,
  3×3, stride 1, batch norm, 2×2 max-pool); the output map is flattened over channels and
  frequency into a sequence along time (:class:`AudioConvNet`);
* **lyrics** and **context** (title + artist) — token features of a frozen BERT-family
  encoder, long texts averaged over 128-token segments (the ``zhao2022_bert_lyrics`` and
  ``zhao2022_bert_context`` presets, computed once and cached);
* **fusion** — cross-modal attention (:class:`~mer_lib.models.blocks_fusion.CrossModalAttention`)
  with the audio sequence as query: first with the lyrics, then the result with the context;
  mean over time; a regression head for V/A plus a classification layer for 4Q / clusters.

The ablations of Table 3 are options of the same classes: ``non_hierarchical`` fuses the
context first, ``bimodal`` drops the context, ``direct_fusion`` concatenates the padded
sequences instead of attending. ``context_only`` (title + artist → V/A) is the measurement
the paper implies but never reports. The two baselines of Table 2 are in
:mod:`mer_lib.models.mer_baselines`.

How the paper is run — its result rows, inputs, loaders and the paper's numbers — is in
:mod:`mer_lib.experiments.zhao2022`.

Reference: Zhao, Ru, Yu, Wu, Li & Li, "Multimodal Music Emotion Recognition with
Hierarchical Cross-Modal Attention Network", ICME 2022.
Notebook: ``04_zhao2022_hierarchical_attention``.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from mer_lib.models import register
from mer_lib.models.blocks import ConvBlock, masked_mean
from mer_lib.models.blocks_fusion import CrossModalAttention, PredictionHead, pad_and_concat, padding_mask

CHANNELS = (32, 64, 128, 256, 128)
N_MELS = 40


class AudioConvNet(nn.Module):
    """Five Conv2D layers on a log-mel spectrogram → a feature sequence along time.

    Input batch norm, then per layer a 3×3 convolution (stride 1) → batch norm → ReLU → 2×2
    max-pool. The output map ``(B, 128, n_mels / 32, frames / 32)`` is flattened over channels
    and frequency: ``(B, frames // 32, 128 · (n_mels // 32))`` — with 40 bands one
    128-dimensional vector per 32 input frames (1.5 s at 22.05 kHz).

    Reference: Zhao et al., ICME 2022, Sec. 3.1 (the input batch norm is ours: it replaces a
    dataset-level standardisation of the dB values).
    Notebook: ``04_zhao2022_hierarchical_attention``.

    Args:
        n_mels: Mel bands of the input (≥ 32).
        channels: Filters of the five layers.
    """

    def __init__(self, n_mels: int = N_MELS, channels: Sequence[int] = CHANNELS):
        super().__init__()
        reduction = 2 ** len(channels)
        if n_mels < reduction:
            raise ValueError(f"n_mels must be at least {reduction} to survive {len(channels)} 2x2 pools")
        self.input_norm = nn.BatchNorm2d(1)
        widths = (1, *channels)
        self.layers = nn.Sequential(*[ConvBlock(widths[i], widths[i + 1], (2, 2), "relu")
                                      for i in range(len(channels))])
        self.reduction = reduction
        self.out_dim = channels[-1] * (n_mels // reduction)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """``(B, n_mels, frames)`` → ``(B, frames // 32, out_dim)``; needs ≥ 32 frames."""
        if mel.shape[-1] < self.reduction:
            raise ValueError(f"the audio ConvNet needs at least {self.reduction} frames, got {mel.shape[-1]}")
        x = self.layers(self.input_norm(mel.unsqueeze(1)))          # (B, C, F', T')
        return x.flatten(1, 2).transpose(1, 2)                        # (B, T', C·F')


class HierarchicalCMANet(nn.Module):
    """HCMAN: the audio sequence attends to each text modality in turn (one CMA block each).

    ``order=("lyrics", "context")`` is the proposed model (Fig. 2): CMA(audio, lyrics), then
    CMA(that, context). ``("context", "lyrics")`` is the *non-hierarchical* ablation (audio
    with the context first) and ``("lyrics",)`` the *bi-modal* one. The fused sequence is
    averaged over time and fed to a :class:`PredictionHead`.

    Reference: Zhao et al., ICME 2022, Sec. 3.3–3.4 and Table 3.
    Notebook: ``04_zhao2022_hierarchical_attention``.

    Args:
        text_dim: Hidden size of the text encoder (384 for MiniLM, 768 for BERT-base).
        order: Text modalities in the order they are fused.
        n_regression: Regression outputs (2: valence, arousal; 0: none).
        n_classes: Classes of the classification layer (0: none).
        n_mels: Mel bands of the audio input.
        heads: Heads of every CMA block (8 in the paper).
        dropout: Dropout in the CMA blocks.
        head_dropout: Dropout in the prediction head.
    """

    def __init__(self, text_dim: int = 384, order: Sequence[str] = ("lyrics", "context"),
                 n_regression: int = 2, n_classes: int = 0, n_mels: int = N_MELS, heads: int = 8,
                 dropout: float = 0.1, head_dropout: float = 0.3):
        super().__init__()
        order = tuple(order)
        if not order or not set(order) <= {"lyrics", "context"} or len(set(order)) != len(order):
            raise ValueError(f"order must list 'lyrics' and/or 'context' once each, got {order}")
        self.order = order
        self.modalities = ("audio", *order)
        self.audio = AudioConvNet(n_mels)
        dim = self.audio.out_dim
        self.cma = nn.ModuleDict({m: CrossModalAttention(dim, text_dim, heads, dropout=dropout) for m in order})
        self.head = PredictionHead(dim, n_regression, n_classes, dropout=head_dropout)

    def stages(self, audio: torch.Tensor, **texts: torch.Tensor) -> dict:
        """Every intermediate result, for teaching: ``{"mel", "audio_sequence",
        "after_<modality>"..., "pooled", "output"}`` and ``"attention"``:
        ``{modality: (B, heads, audio steps, text tokens)}``."""
        out = {"mel": audio, "audio_sequence": self.audio(audio), "attention": {}}
        fused = out["audio_sequence"]
        for modality in self.order:
            features = texts[modality]
            fused, out["attention"][modality] = self.cma[modality](
                fused, features, padding_mask(features), return_attention=True)
            out[f"after_{modality}"] = fused
        out["pooled"] = fused.mean(dim=1)
        out["output"] = self.head(out["pooled"])
        return out

    def forward(self, audio: torch.Tensor, lyrics: torch.Tensor | None = None,
                context: torch.Tensor | None = None) -> torch.Tensor:
        texts = {"lyrics": lyrics, "context": context}
        missing = [m for m in self.order if texts[m] is None]
        if missing:
            raise ValueError(f"{type(self).__name__} with order {self.order} needs {missing}")
        return self.stages(audio, **{m: texts[m] for m in self.order})["output"]


class DirectFusionNet(nn.Module):
    """The *direct fusion* ablation: padded sequences concatenated, no attention.

    The audio sequence and the two text sequences (each projected to the audio width) are
    zero-padded to one length and concatenated along the features; the result is averaged
    over time (padding included, as a plain concatenation does) into the head.

    Reference: Zhao et al., ICME 2022, Sec. 4.4 ("we directly concatenate the output of each
    modality after padding").
    Notebook: ``04_zhao2022_hierarchical_attention``.

    Args:
        text_dim: Hidden size of the text encoder.
        n_regression: Regression outputs.
        n_classes: Classes of the classification layer.
        n_mels: Mel bands of the audio input.
        head_dropout: Dropout in the prediction head.
    """

    modalities = ("audio", "lyrics", "context")

    def __init__(self, text_dim: int = 384, n_regression: int = 2, n_classes: int = 0,
                 n_mels: int = N_MELS, head_dropout: float = 0.3):
        super().__init__()
        self.audio = AudioConvNet(n_mels)
        dim = self.audio.out_dim
        self.lyrics = nn.Linear(text_dim, dim)
        self.context = nn.Linear(text_dim, dim)
        self.head = PredictionHead(3 * dim, n_regression, n_classes, dropout=head_dropout)

    def forward(self, audio: torch.Tensor, lyrics: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        # Projected padding rows are set back to zero, so padding stays padding.
        texts = [proj(x) * padding_mask(x).unsqueeze(-1)
                 for proj, x in ((self.lyrics, lyrics), (self.context, context))]
        fused = pad_and_concat([self.audio(audio), *texts])
        return self.head(fused.mean(dim=1))


class ContextOnlyNet(nn.Module):
    """The context branch alone: frozen-encoder features of "title - artist" → head.

    Token features ``(B, L, D)`` are averaged over their real tokens; an already pooled
    ``(B, D)`` vector (the ``pooling="mean"`` extractor output, the same numbers) is used as is.

    Reference: Zhao et al., ICME 2022, Sec. 3.2/3.4 (the context modality); the paper does not
    report this model.
    Notebook: ``04_zhao2022_hierarchical_attention``.

    Args:
        text_dim: Hidden size of the text encoder.
        n_regression: Regression outputs.
        n_classes: Classes of the classification layer.
        head_dropout: Dropout in the prediction head.
    """

    modalities = ("context",)

    def __init__(self, text_dim: int = 384, n_regression: int = 2, n_classes: int = 0,
                 head_dropout: float = 0.3):
        super().__init__()
        self.head = PredictionHead(text_dim, n_regression, n_classes, hidden=128, dropout=head_dropout)

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        if context.dim() == 3:
            context = masked_mean(context, padding_mask(context)[..., None], dim=1)
        return self.head(context)


@register("zhao2022_hcman")
def hcman(**options) -> HierarchicalCMANet:
    """The proposed model: CMA(audio, lyrics), then CMA(that, context)."""
    return HierarchicalCMANet(order=("lyrics", "context"), **options)


@register("zhao2022_non_hierarchical")
def non_hierarchical(**options) -> HierarchicalCMANet:
    """Ablation: the context is fused first, then the lyrics."""
    return HierarchicalCMANet(order=("context", "lyrics"), **options)


@register("zhao2022_bimodal")
def bimodal(**options) -> HierarchicalCMANet:
    """Ablation: audio and lyrics only (one CMA block)."""
    return HierarchicalCMANet(order=("lyrics",), **options)


@register("zhao2022_direct_fusion")
def direct_fusion(**options) -> DirectFusionNet:
    """Ablation: padded sequences concatenated instead of cross-modal attention."""
    return DirectFusionNet(**options)


@register("zhao2022_context_only")
def context_only(**options) -> ContextOnlyNet:
    """Title + artist alone."""
    return ContextOnlyNet(**options)
