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
(:func:`mer_lib.models.blocks.late_fusion`); the variants and fusions as rows of Table 1 are in
:mod:`mer_lib.experiments.rajamani2020`.

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
        sigmoid: Output per-tag probabilities (multi-label, as the paper); ``False`` gives the
            dense layer's logits, for a softmax over single-label classes.

    Input ``(batch, n_mels, frames)`` (or with a channel axis); frames ≥ 320 so that the
    time pools leave at least one frame. Output ``(batch, n_tags)`` probabilities (or logits).
    """

    def __init__(self, n_tags: int = 56, n_mels: int = REAL_INPUT[0], activation: str = "elu",
                 attention_layers=(), heads: int = 1, dropout: float = 0.5,
                 channels=CHANNELS, pools=POOLS, sigmoid: bool = True):
        super().__init__()
        self.sigmoid = sigmoid
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
        logits = self.dense(self.dropout(x.flatten(1)))
        return torch.sigmoid(logits) if self.sigmoid else logits


@register("rajamani2020_vggish")
def vggish_tagger(n_tags: int = 56, **options) -> VGGishTagger:
    """The VGG-ish tagger; ``options`` are :class:`VGGishTagger`'s (``attention_layers``,
    ``activation``...). Table 1's variants are the rows of :mod:`mer_lib.experiments.rajamani2020`."""
    return VGGishTagger(n_tags=n_tags, **options)
