"""Zhao & Yoshii 2023: multimodal multifaceted piano emotion recognition.

Three branches read three views of a performance, each standing for musical factors that
music psychology ties to emotion:

* **symbolic** (melody, rhythm, dynamics): MIDI-like event tokens → embedding → two-layer
  bidirectional GRU with 256 units → mean of the hidden states over time (512 values);
* **harmony**: chromagram → three convolutions with (12, 1) *vertical* kernels (chords:
  which pitch classes sound together) → three with (1, 48) *horizontal* kernels (their
  progression over ~1–4 s) → mean over time;
* **tone colour**: 25 MFCCs → seven residual blocks of two 3×3 convolutions (Won et al.'s
  short-chunk ResNet), stride 2 in frequency while the 25 rows allow it (five blocks:
  25 → 13 → 7 → 4 → 2 → 1), stride 2 in time in all seven → global max-pool.

The **fusion** head projects each branch's vector to a common width (the paper concatenates
features of one width; ours differ, so each gets a linear map and layer norm), treats the
three as a sequence of three tokens, applies four-head self-attention, flattens, and ends in
two fully connected layers with a sigmoid: P(high valence), P(high arousal). The quadrant is
read from the two (Q1 = +V+A, Q2 = −V+A, Q3 = −V−A, Q4 = +V−A). The attention weights say how
much each branch's token draws on each other branch — the paper's interpretability claim.

Long inputs are read in windows (:class:`~mer_lib.models.blocks_sequence.WindowedEncoder`):
a branch trained on random crops of one window encodes a whole excerpt as the mean of its
windows' vectors.

This module holds the networks only; how the paper is run (its result rows, the clips cut
to windows, two-stage training, reading the attention) is :mod:`mer_lib.experiments.zhao2023`.

Reference: Zhao & Yoshii, "Multimodal Multifaceted Music Emotion Recognition Based on
Self-Attentive Fusion of Psychology-Inspired Symbolic and Acoustic Features", APSIPA ASC 2023.
Notebook: ``03_zhao2023_multifaceted_piano``.
"""

from __future__ import annotations

import torch
from torch import nn

from mer_lib.features.symbolic import PAD_ID, VOCAB_SIZE
from mer_lib.models import register
from mer_lib.models.blocks import masked_mean
from mer_lib.models.blocks_sequence import ResidualCNN, WindowedEncoder, autocast

#: Branch name → the input it reads.
BRANCH_INPUTS = {"symbolic": "tokens", "harmony": "chroma", "tone": "mfcc"}
BRANCHES = tuple(BRANCH_INPUTS)
#: Channels of the tone-colour ResNet (Won et al.'s c, c, 2c, 2c, 2c, 2c, 4c with c = 32).
TONE_CHANNELS = (32, 32, 64, 64, 64, 64, 128)
#: Frames of a 10 s window at 22,050 Hz with hop 512 (the acoustic branches' training crop).
FRAME_WINDOW = 431
#: MIDI-like tokens per window of the symbolic branch.
TOKEN_WINDOW = 128


class SymbolicBranch(nn.Module):
    """MIDI-like tokens → embedding → stacked bidirectional GRU → mean over real time steps.

    Padding (:data:`~mer_lib.features.symbolic.PAD_ID`) is masked out of the mean. Sequences
    are not packed (packing is 2.5× slower on CPU): in a right-padded window the backward GRU
    starts on padding embeddings (zeros), which only touches a clip's last window.

    Reference: Zhao & Yoshii 2023, Sec. III-A (Eqs. 1–3). Notebook: ``03_zhao2023_multifaceted_piano``.

    Args:
        embedding_dim: Token embedding size (the paper does not give it).
        hidden_size: GRU units per direction (256 in the paper).
        num_layers: Stacked GRU layers (2 in the paper).
        dropout: Dropout between the GRU layers.
    """

    def __init__(self, embedding_dim: int = 128, hidden_size: int = 256, num_layers: int = 2,
                 dropout: float = 0.2):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB_SIZE + 1, embedding_dim, padding_idx=PAD_ID)
        self.gru = nn.GRU(embedding_dim, hidden_size, num_layers, batch_first=True,
                          bidirectional=True, dropout=dropout if num_layers > 1 else 0.0)
        self.out_dim = 2 * hidden_size

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(self.embedding(tokens))
        return masked_mean(states, (tokens != PAD_ID)[..., None], dim=1)


class HarmonyBranch(nn.Module):
    """Chromagram ``(B, 12, T)`` → vertical then horizontal convolutions → ``(B, C)``.

    The first two (12, 1) convolutions wrap around the pitch-class circle (circular padding,
    so a chord shape is detected alike in every key); the third has no padding and folds
    the 12 rows into channels. Each (1, 48) convolution (48 frames ≈ 1.1 s at hop 512) is
    followed by batch norm, ReLU and a (1, 2) max-pool, so the three see ≈ 1, 2 and 4 s;
    the result is averaged over time. The paper gives the kernels, not the channels, padding
    or pooling: those are ours.

    Reference: Zhao & Yoshii 2023, Sec. III-B. Notebook: ``03_zhao2023_multifaceted_piano``.

    Args:
        vertical_channels: Channels of the three (12, 1) convolutions.
        horizontal_channels: Channels of the three (1, 48) convolutions.
        time_kernel: Width of the horizontal kernels.
    """

    def __init__(self, vertical_channels: int = 16, horizontal_channels: int = 32, time_kernel: int = 48):
        super().__init__()
        layers, width = [], 1
        for i in range(3):
            wrap = dict(padding="same", padding_mode="circular") if i < 2 else {}
            layers += [nn.Conv2d(width, vertical_channels, (12, 1), **wrap),
                       nn.BatchNorm2d(vertical_channels), nn.ReLU()]
            width = vertical_channels
        for _ in range(3):
            layers += [nn.Conv2d(width, horizontal_channels, (1, time_kernel), padding=(0, time_kernel // 2)),
                       nn.BatchNorm2d(horizontal_channels), nn.ReLU(), nn.MaxPool2d((1, 2), ceil_mode=True)]
            width = horizontal_channels
        self.layers = nn.Sequential(*layers)
        self.out_dim = horizontal_channels

    def forward(self, chroma: torch.Tensor) -> torch.Tensor:
        return self.layers(chroma.unsqueeze(1)).mean(dim=(2, 3))


def tone_colour_branch(n_mfcc: int = 25, channels=TONE_CHANNELS) -> ResidualCNN:
    """MFCCs ``(B, n_mfcc, T)`` → seven residual blocks → ``(B, channels[-1])``.

    Reference: Zhao & Yoshii 2023, Sec. III-C (after Won et al. 2020).
    Notebook: ``03_zhao2023_multifaceted_piano``.
    """
    return ResidualCNN(n_mfcc, channels, input_norm="rows")


class FusionHead(nn.Module):
    """Branch vectors → per-branch projection → self-attention (or not) → flatten → 2 FC → sigmoid.

    Reference: Zhao & Yoshii 2023, Sec. III-D (Eqs. 4–7). Notebook: ``03_zhao2023_multifaceted_piano``.

    Args:
        in_dims: Width of each branch's vector, in branch order.
        fusion: ``"mhsa"`` (multi-head self-attention over the branch tokens) or ``"concat"``
            (the "without MHSA" ablation: the projected tokens are concatenated as they are).
        d_model: Common token width.
        heads: Attention heads (4 in the paper).
        hidden: Width of the first fully connected layer.
        dropout: Dropout before each fully connected layer.
        n_outputs: Sigmoid outputs (2: valence, arousal).
    """

    def __init__(self, in_dims, fusion: str = "mhsa", d_model: int = 128, heads: int = 4,
                 hidden: int = 128, dropout: float = 0.3, n_outputs: int = 2):
        super().__init__()
        if fusion not in ("mhsa", "concat"):
            raise ValueError(f"fusion must be 'mhsa' or 'concat', got {fusion!r}")
        self.fusion = fusion
        self.project = nn.ModuleList(nn.Sequential(nn.Linear(d, d_model), nn.LayerNorm(d_model))
                                     for d in in_dims)
        self.attention = nn.MultiheadAttention(d_model, heads, batch_first=True) if fusion == "mhsa" else None
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(len(in_dims) * d_model, hidden), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(hidden, n_outputs))

    def forward(self, *features: torch.Tensor, return_attention: bool = False):
        """Probabilities ``(B, n_outputs)``; with ``return_attention`` also the weights
        ``(B, heads, n_branches, n_branches)`` (rows: queries, columns: keys; None for concat)."""
        if len(features) != len(self.project):
            raise ValueError(f"expected {len(self.project)} branch features, got {len(features)}")
        tokens = torch.stack([p(f.float()) for p, f in zip(self.project, features)], dim=1)
        weights = None
        if self.attention is not None:
            tokens, weights = self.attention(tokens, tokens, tokens, need_weights=return_attention,
                                             average_attn_weights=False)
        probabilities = torch.sigmoid(self.classifier(tokens))
        return (probabilities, weights) if return_attention else probabilities


class Zhao2023Net(nn.Module):
    """The full model (or a subset of its branches) from raw inputs to (valence, arousal).

    Inputs by keyword: ``tokens`` ``(B, T)`` int64 (MIDI-like ids, padded with ``PAD_ID``),
    ``chroma`` ``(B, 12, frames)``, ``mfcc`` ``(B, 25, frames)``, and optionally
    ``chroma_length`` / ``mfcc_length`` (real frames per clip, so windows of padding are left
    out). Output ``(B, 2)``: P(high valence), P(high arousal).

    Reference: Zhao & Yoshii 2023, Fig. 2. Notebook: ``03_zhao2023_multifaceted_piano``.

    Args:
        branches: Which of :data:`BRANCHES` to use (one branch: the Table III ablations).
        fusion: ``"mhsa"`` or ``"concat"`` (see :class:`FusionHead`).
        token_window: Tokens per window of the symbolic branch.
        frame_window: Frames per window of the acoustic branches.
        mixed_precision: Run the branches under bfloat16 autocast (a speed setting).
        **head_options: Passed to :class:`FusionHead` (``d_model``, ``heads``, ``hidden``, ``dropout``).
    """

    def __init__(self, branches=BRANCHES, fusion: str = "mhsa", token_window: int = TOKEN_WINDOW,
                 frame_window: int = FRAME_WINDOW, mixed_precision: bool = False, **head_options):
        super().__init__()
        unknown = [b for b in branches if b not in BRANCH_INPUTS]
        if unknown or not branches:
            raise ValueError(f"branches must be a non-empty subset of {BRANCHES}, got {tuple(branches)}")
        builders = {"symbolic": (SymbolicBranch, token_window, PAD_ID),
                    "harmony": (HarmonyBranch, frame_window, 0.0),
                    "tone": (tone_colour_branch, frame_window, 0.0)}
        self.encoders = nn.ModuleDict({
            name: WindowedEncoder(builders[name][0](), builders[name][1], builders[name][2])
            for name in BRANCHES if name in branches})
        self.head = FusionHead([e.out_dim for e in self.encoders.values()], fusion, **head_options)
        self.mixed_precision = mixed_precision

    @property
    def branches(self) -> tuple[str, ...]:
        return tuple(self.encoders)

    def branch_features(self, tokens=None, chroma=None, mfcc=None, chroma_length=None,
                        mfcc_length=None) -> list[torch.Tensor]:
        """Each branch's vector ``(B, out_dim)``, float32, in branch order."""
        inputs = {"tokens": tokens, "chroma": chroma, "mfcc": mfcc}
        lengths = {"tokens": None if tokens is None else (tokens != PAD_ID).sum(-1),
                   "chroma": chroma_length, "mfcc": mfcc_length}
        out = []
        for name, encoder in self.encoders.items():
            key = BRANCH_INPUTS[name]
            if inputs[key] is None:
                raise ValueError(f"the {name} branch needs the {key!r} input")
            with autocast(self.mixed_precision, inputs[key].device):
                out.append(encoder(inputs[key], lengths[key]).float())
        return out

    def forward(self, tokens=None, chroma=None, mfcc=None, chroma_length=None, mfcc_length=None,
                return_attention: bool = False):
        features = self.branch_features(tokens, chroma, mfcc, chroma_length, mfcc_length)
        return self.head(*features, return_attention=return_attention)

    @classmethod
    def assemble(cls, branch_models: dict, head: FusionHead, **options) -> "Zhao2023Net":
        """A full model from trained single-branch models and a fusion head trained on their
        (frozen) features: the two-stage training of the notebook, as one module.

        Args:
            branch_models: ``{branch name: single-branch Zhao2023Net}``, in branch order.
            head: The fusion head trained on those branches' vectors.
            **options: Constructor options of the new model (``token_window``...).
        """
        net = cls(branches=tuple(branch_models), fusion=head.fusion, **options)
        for name, model in branch_models.items():
            net.encoders[name].load_state_dict(model.encoders[name].state_dict())
        net.head = head
        return net


@register("zhao2023")
def zhao2023(branches=BRANCHES, fusion: str = "mhsa", **options) -> Zhao2023Net:
    """The Zhao & Yoshii model (``branches``/``fusion`` select the Table III ablations)."""
    return Zhao2023Net(tuple(branches), fusion, **options)


@register("zhao2023_fusion_head")
def zhao2023_fusion_head(in_dims, fusion: str = "mhsa", **options) -> FusionHead:
    """The fusion head alone, trained on frozen branch features."""
    return FusionHead(in_dims, fusion, **options)
