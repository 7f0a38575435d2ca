"""The VGG-ish mood/theme tagger of MediaEval 2020 and its attention variants.

The organisers' baseline (after Choi et al. 2016): input batch norm, five layers of 3×3
convolution → BatchNorm → ELU → max-pool with 64/128/128/128/64 channels, dropout 0.5 and
one dense layer to the tags with sigmoid outputs. On the paper's input (96 mel bands × the
first 1,400 frames) the pools reduce the map to 64×1×1: exactly 448,122 parameters for the
56 MediaEval tags. Rajamani et al. derive from it

* ``sa_layer3`` / ``sa_layer4`` / ``sa_layer5``: stand-alone self-attention instead of the
  convolution of layer 3, 4 or 5;
* ``arelu``: AReLU instead of ELU in all five layers (+2 parameters per layer).

Their late fusions average the sigmoid scores of several of these models
(:func:`mer_lib.models.late_fusion`).

Reference: Rajamani, Rajamani & Schuller, "Emotion and Theme Recognition in Music Using
Attention-Based Methods", MediaEval 2020 Workshop.
Notebook: ``02_rajamani2020_attention_tagging``.
"""

from __future__ import annotations

import torch
from torch import nn

from mer_lib.models import register
from mer_lib.models.blocks import ConvBlock

#: The paper's input: 96 mel bands × the first 1,400 frames of each track.
REAL_INPUT = (96, 1400)
CHANNELS = (64, 128, 128, 128, 64)
#: Max-pool sizes (frequency, time) of layers 1–4; layer 5 pools what is left to 1×1
#: (on the real input a 4×4 map: the baseline's MaxPool(4, 4)).
POOLS = ((2, 4), (2, 4), (2, 4), (3, 5))

#: The paper's variants as options of :class:`VGGishTagger` (Table 1, rows 1–5).
VARIANTS = {
    "baseline": {},
    "sa_layer3": {"attention_layers": (3,)},
    "sa_layer4": {"attention_layers": (4,)},
    "sa_layer5": {"attention_layers": (5,)},
    "arelu": {"activation": "arelu"},
}
#: Late fusions of Table 1 (rows 6–7): averaged sigmoid scores of these variants.
FUSIONS = {
    "fusion_sa3_arelu": ("sa_layer3", "arelu"),
    "fusion_all": ("baseline", "sa_layer3", "arelu"),
}
#: Table 1 of the paper (test set of MediaEval 2020).
PAPER_TABLE1 = {
    "baseline": {"gflops": 3.32, "params": 448122, "roc_auc": 0.725, "pr_auc": 0.107},
    "sa_layer3": {"gflops": 2.94, "params": 350074, "roc_auc": 0.716, "pr_auc": 0.108},
    "sa_layer4": {"gflops": 3.28, "params": 350074, "roc_auc": 0.723, "pr_auc": 0.108},
    "sa_layer5": {"gflops": 3.32, "params": 399098, "roc_auc": 0.716, "pr_auc": 0.101},
    "arelu": {"gflops": 3.32, "params": 448132, "roc_auc": 0.728, "pr_auc": 0.107},
    "fusion_sa3_arelu": {"roc_auc": 0.732, "pr_auc": 0.114},
    "fusion_all": {"roc_auc": 0.735, "pr_auc": 0.118},
}


class VGGishTagger(nn.Module):
    """Five-layer VGG-ish multi-label tagger on log-mel spectrograms, sigmoid outputs.

    Reference: Rajamani, Rajamani & Schuller, MediaEval 2020 (the baseline of Bogdanov et al.,
    MediaEval 2020, after Choi, Fazekas & Sandler, ISMIR 2016).
    Notebook: ``02_rajamani2020_attention_tagging``.

    Args:
        n_tags: Number of output tags (56 for MediaEval).
        n_mels: Mel bands of the input (96); must survive the frequency pools (≥ 24).
        activation: ``"elu"`` (baseline) or ``"arelu"`` (in all five layers).
        attention_layers: Layers (1–5) whose convolution becomes stand-alone self-attention.
        heads: Attention heads (1 in the paper's code).
        dropout: Dropout before the dense layer.
        channels: Output channels of the five layers.
        pools: Max-pool sizes of layers 1–4 (layer 5 pools globally).

    Input ``(batch, n_mels, frames)`` (or with a channel axis); frames ≥ 320 so that the
    time pools leave at least one frame. Output ``(batch, n_tags)`` probabilities.
    """

    def __init__(self, n_tags: int = 56, n_mels: int = REAL_INPUT[0], activation: str = "elu",
                 attention_layers=(), heads: int = 1, dropout: float = 0.5,
                 channels=CHANNELS, pools=POOLS):
        super().__init__()
        attention_layers = tuple(int(i) for i in attention_layers)
        if any(not 1 <= i <= len(channels) for i in attention_layers):
            raise ValueError(f"attention_layers must be in 1..{len(channels)}, got {attention_layers}")
        self.input_norm = nn.BatchNorm2d(1)
        widths = (1, *channels)
        layer_pools = (*pools, None)
        self.layers = nn.Sequential(*[
            ConvBlock(widths[i], widths[i + 1], layer_pools[i], activation,
                      attention=(i + 1) in attention_layers, heads=heads)
            for i in range(len(channels))
        ])
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(channels[-1], n_tags)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 3:
            x = x.unsqueeze(1)
        x = self.layers(self.input_norm(x))
        return torch.sigmoid(self.dense(self.dropout(x.flatten(1))))


@register("rajamani2020_vggish")
def vggish_tagger(variant: str = "baseline", n_tags: int = 56, **options) -> VGGishTagger:
    """A variant of Table 1 (:data:`VARIANTS`), other options passed to :class:`VGGishTagger`."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown rajamani2020 variant {variant!r}; choose from {list(VARIANTS)}")
    return VGGishTagger(n_tags=n_tags, **{**VARIANTS[variant], **options})


def mel_inputs(dataset, n_frames: int = REAL_INPUT[1], track_ids=None, n_jobs: int = -1,
               progress: bool = True) -> dict:
    """The models' inputs, ``{track_id: (96, n_frames) log-mel in dB}``.

    MTG-Jamendo's official mel-spectrograms (``melspec_path``: the dataset's own 96-band
    12 kHz features) are used when the table has them, else the ``rajamani2020_mel`` feature
    preset computes the same representation from the audio (cached on disk). Shorter clips
    are padded with the -100 dB silence floor; longer ones keep their first ``n_frames``.

    Args:
        dataset: A :class:`~mer_lib.data.MERDataset`.
        n_frames: Frames per input (the paper: 1,400).
        track_ids: Only these clips (default: every clip of the table).
        n_jobs: Parallel workers for feature extraction.
        progress: Show a progress bar.
    """
    import numpy as np

    from mer_lib import features
    from mer_lib.features.audio import SILENCE_DB, fix_frames

    table = dataset.table
    if track_ids is not None:
        table = table[table["track_id"].astype(str).isin({str(t) for t in track_ids})]
    if "melspec_path" in table.columns and table["melspec_path"].notna().all():
        return {str(t): fix_frames(np.load(p, mmap_mode="r")[:, :n_frames].astype(np.float32), n_frames, SILENCE_DB)
                for t, p in zip(table["track_id"], table["melspec_path"])}
    return features.extract(table, "rajamani2020_mel", dataset_name=dataset.name, n_frames=n_frames,
                            n_jobs=n_jobs, progress=progress)
