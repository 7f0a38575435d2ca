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

Training helpers used by the notebook with :func:`mer_lib.train.fit`: :func:`usable_clips`,
:func:`stack_token_features`, :func:`fit_and_score`; the generic ones (:class:`ClipTensors`,
:class:`MultiTaskLoss`, :func:`task_scores`...) are in :mod:`mer_lib.models.experiments`.

Reference: Zhao, Ru, Yu, Wu, Li & Li, "Multimodal Music Emotion Recognition with
Hierarchical Cross-Modal Attention Network", ICME 2022.
Notebook: ``04_zhao2022_hierarchical_attention``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from mer_lib.models import register
from mer_lib.models.blocks import ConvBlock
from mer_lib.models.blocks_fusion import (CrossModalAttention, PredictionHead, masked_mean,
                                          pad_and_concat, padding_mask)
from mer_lib.models.experiments import (  # noqa: F401  (re-exported for the notebook)
    SPLITS, ClipTensors, MultiTaskLoss, Trained, selection_metric, split_ids, stack_split, target_arrays,
    task_scores)

CHANNELS = (32, 64, 128, 256, 128)
N_MELS = 40
#: Paper Table 2 and 3: R² (Eq. 4) on MSDD, F1 on MoodyLyrics; our row names.
PAPER_TABLES = {
    "hcman": {"r2eq4_valence": 0.306, "r2eq4_arousal": 0.311, "r2eq4_mean": 0.309, "f1_macro": 0.9614},
    "delbouys2018": {"r2eq4_valence": 0.219, "r2eq4_arousal": 0.232, "r2eq4_mean": 0.226},
    "delbouys2018_reproduced": {"r2eq4_valence": 0.197, "r2eq4_arousal": 0.242, "r2eq4_mean": 0.220,
                                "f1_macro": 0.8623},
    "pyrovolakis2021": {"r2eq4_valence": 0.258, "r2eq4_arousal": 0.270, "r2eq4_mean": 0.264,
                        "f1_macro": 0.9432},
    "non_hierarchical": {"r2eq4_valence": 0.289, "r2eq4_arousal": 0.297, "r2eq4_mean": 0.293,
                         "f1_macro": 0.9562},
    "direct_fusion": {"r2eq4_valence": 0.263, "r2eq4_arousal": 0.279, "r2eq4_mean": 0.271, "f1_macro": 0.9387},
    "bimodal": {"r2eq4_valence": 0.278, "r2eq4_arousal": 0.291, "r2eq4_mean": 0.285, "f1_macro": 0.9528},
}
#: Result row → registered model; the order of Tables 2 and 3.
ROW_MODELS = {
    "hcman": "zhao2022_hcman",
    "non_hierarchical": "zhao2022_non_hierarchical",
    "direct_fusion": "zhao2022_direct_fusion",
    "bimodal": "zhao2022_bimodal",
    "delbouys2018": "delbouys2018",
    "pyrovolakis2021": "pyrovolakis2021",
    "context_only": "zhao2022_context_only",
}


def paper_results() -> dict[str, float]:
    """The paper's Tables 2 and 3 as ``{"row.metric": value}`` (for ``Run.write_results``)."""
    return {f"{row}.{metric}": value for row, values in PAPER_TABLES.items() for metric, value in values.items()}


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
            context = masked_mean(context, padding_mask(context))
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


# --- data and training helpers -----------------------------------------------------------------
# The generic ones (splits, targets, the multi-task loss, scores) live in experiments.py and are
# re-exported here, so ``zhao2022.split_ids`` keeps working in the notebook.

#: Dataset modalities each result row reads (``words`` come from the lyrics).
ROW_SOURCES = {
    "hcman": ("audio", "lyrics", "context"),
    "non_hierarchical": ("audio", "lyrics", "context"),
    "direct_fusion": ("audio", "lyrics", "context"),
    "bimodal": ("audio", "lyrics"),
    "delbouys2018": ("audio", "lyrics"),
    "pyrovolakis2021": ("audio", "lyrics"),
    "context_only": ("context",),
}
#: Table columns that provide a modality for the feature extractors (any one suffices).
SOURCE_COLUMNS = {"audio": ("audio_path", "midi_path"), "lyrics": ("lyrics", "lyrics_path"),
                  "context": ("title", "artist")}


def usable_clips(table: pd.DataFrame, modalities: Sequence[str], targets: Sequence[str]):
    """The clips that have every modality and target a comparison needs, and a count per split.

    A clip lacking one is left out of the whole comparison (every model sees the same clips).

    Returns:
        ``(kept rows, counts)``; ``counts`` is indexed by split with the columns ``clips``,
        ``kept`` and ``without_<modality or target>`` (clips lacking it).
    """
    lacking = {}
    for modality in modalities:
        columns = [c for c in SOURCE_COLUMNS[modality] if c in table.columns]
        present = table[columns].apply(lambda col: col.notna() & col.astype(str).str.strip().ne("")).any(axis=1)
        lacking[f"without_{modality}"] = ~present
    for target in targets:
        lacking[f"without_{target}"] = table[target].isna()
    lacking = pd.DataFrame(lacking, index=table.index)
    keep = ~lacking.any(axis=1)
    counts = pd.concat([table["split"].rename("split"), lacking, keep.rename("kept")], axis=1)
    counts = counts.groupby("split").sum().reindex(list(SPLITS)).fillna(0).astype(int)
    counts.insert(0, "clips", table["split"].value_counts().reindex(list(SPLITS)).fillna(0).astype(int))
    return table[keep], counts


def stack_token_features(features: Mapping[str, np.ndarray], track_ids: Sequence[str],
                         length: int | None = None) -> np.ndarray:
    """``(clips, length, dim)`` float32 from per-clip ``(rows, dim)`` token features.

    Trailing all-zero rows are padding (the BERT extractor pads to its segment length), so
    by default the stack is cut to the longest real length in ``features``: the same model
    outputs, less attention compute. A clip absent from ``features`` gets all-zero rows.
    """
    some = next(iter(features.values()))
    if length is None:
        length = max(int(real_rows(x).max(initial=-1)) + 1 for x in features.values())
    out = np.zeros((len(track_ids), max(length, 1), some.shape[-1]), dtype=np.float32)
    for row, tid in enumerate(track_ids):
        if tid in features:
            x = features[tid][:length]
            out[row, :len(x)] = x
    return out


def real_rows(x: np.ndarray) -> np.ndarray:
    """Indices of the real (not all-zero) rows of a ``(rows, dim)`` array."""
    return np.flatnonzero(np.abs(x).sum(axis=-1) > 0)


def fit_and_score(row: str, arrays: Mapping[str, Mapping[str, object]], targets: Mapping[str, np.ndarray], *,
                  n_regression: int, n_classes: int, seed: int, device, epochs: int, patience: int,
                  batch_size: int = 32, learning_rate: float = 1e-3, crop_frames: int | None = None,
                  regression_names: Sequence[str] = ("valence", "arousal"), progress: bool = False,
                  **model_options) -> Trained:
    """Train one result row's model with :func:`mer_lib.train.fit` and score it on the test split.

    Early stopping and the restored weights use the validation split only
    (:func:`selection_metric`); the test split is predicted once, at the end.

    Args:
        row: A key of :data:`ROW_MODELS` (``"hcman"``, ``"delbouys2018"``...).
        arrays: ``{split: {input name: array}}`` for ``train``/``validation``/``test``; the
            training ``"audio"`` may be a list of versions (original + augmented copies).
            Only the inputs the model uses (its ``modalities``) are taken.
        targets: ``{split: (clips, k)}`` in the layout of :class:`MultiTaskLoss`.
        n_regression: Regression outputs (2 for V/A, 0 for none).
        n_classes: Classes (0 for none).
        seed: Seeds the weights, the batch order and the augmentation draws.
        device: Torch device.
        epochs: Maximum epochs.
        patience: Early-stopping patience (epochs without validation improvement).
        batch_size: Clips per batch.
        learning_rate: Adam learning rate.
        crop_frames: Random audio crop length for training (None: whole excerpt).
        regression_names: Names of the regression targets in the scores.
        progress: Show tqdm bars.
        **model_options: Passed to the model constructor (``text_dim``, ``embeddings``...).

    Returns:
        :class:`Trained` with the test scores (:func:`task_scores`), the model (best
        validation epoch), the training history, the wall time and the test targets and
        outputs (for further analysis; the test split is not used for anything else).
    """
    import time

    from torch.utils.data import DataLoader

    from mer_lib import models
    from mer_lib.repro import seed_everything
    from mer_lib.train import fit, predict

    started = time.time()
    seed_everything(seed)
    model = models.build(ROW_MODELS[row], n_regression=n_regression, n_classes=n_classes, **model_options)
    classes = n_classes > 0

    def loader(split: str, train: bool) -> DataLoader:
        inputs = {name: arrays[split][name] for name in model.modalities}
        data = ClipTensors(inputs, targets[split], crop_frames if train else None, seed)
        return DataLoader(data, batch_size=batch_size, shuffle=train,
                          generator=torch.Generator().manual_seed(seed))

    optimizer = torch.optim.Adam((p for p in model.parameters() if p.requires_grad), lr=learning_rate)
    history = fit(model, loader("train", True), loader("validation", False),
                  MultiTaskLoss(n_regression, n_classes), optimizer, max_epochs=epochs, patience=patience,
                  val_metric=selection_metric(n_regression, classes), device=device, progress=progress)
    y_true, y_score = predict(model, loader("test", False), device)
    scores = task_scores(y_true, y_score, n_regression, regression_names, classes)
    return Trained(scores, model, history, time.time() - started, y_true, y_score)
