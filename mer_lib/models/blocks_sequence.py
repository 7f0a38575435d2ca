"""Generic blocks for sequence and spectrogram encoders.

* :class:`ResidualBlock2d` — two 3×3 convolutions with batch norm and a residual shortcut
  (the ``Res_2d`` block of Won et al.'s short-chunk ResNet).
* :class:`ResidualCNN` — a stack of those blocks that halves each axis as long as the axis
  allows, then max-pools globally: one vector per input.
* :class:`StructuredSelfAttention` — Lin et al.'s multi-hop attention pooling of a sequence.
* :class:`WindowedEncoder` — encodes a long input as the mean of its fixed-size windows, so
  a model trained on short random crops reads a whole excerpt at evaluation.
* :func:`native_bfloat16` — whether a device computes in bfloat16 natively.
* :func:`autocast` — bfloat16 autocast where asked and native, a no-op elsewhere.

Notebook: ``03_zhao2023_multifaceted_piano``.
"""

from __future__ import annotations

import contextlib
import math
import os

import torch
import torch.nn.functional as F
from torch import nn

from mer_lib.models.blocks import masked_mean


#: oneDNN's instruction-set caps (``ONEDNN_MAX_CPU_ISA``) that keep its bfloat16 kernels.
ONEDNN_BFLOAT16_ISAS = frozenset({"ALL", "DEFAULT", "AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX512_CORE_AMX",
                                  "AVX512_CORE_AMX_FP16", "AVX10_1_512", "AVX10_1_512_AMX", "AVX10_1_512_AMX_FP16",
                                  "AVX10_2_512", "AVX10_2_512_AMX_2"})


def native_bfloat16(device: torch.device | str) -> bool:
    """Whether ``device`` computes in bfloat16 natively: a CUDA GPU that supports it, or a CPU
    whose oneDNN has bfloat16 kernels (AVX-512 BF16 or AMX) and is not capped below them
    (``ONEDNN_MAX_CPU_ISA``, which the runner pins to AVX2: :data:`mer_lib.repro.PINNED_NUMERICS`).
    On an AVX2 CPU oneDNN has no bfloat16 LSTM, so a bfloat16 autocast fails there ("could not
    create a primitive descriptor for the LSTM forward propagation primitive")."""
    device_type = torch.device(device).type
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type == "cpu":
        cap = os.environ.get("ONEDNN_MAX_CPU_ISA", os.environ.get("DNNL_MAX_CPU_ISA", "ALL")).upper()
        return (cap in ONEDNN_BFLOAT16_ISAS and torch.backends.mkldnn.is_available()
                and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def autocast(enabled: bool, device: torch.device | str):
    """bfloat16 autocast on ``device`` when ``enabled`` and the device computes in bfloat16
    natively (:func:`native_bfloat16`); a no-op context otherwise, so the model runs in
    float32 and its numbers differ slightly from a bfloat16 run's.

    Recurrent layers and convolutions run 2–3× faster in bfloat16 on CPUs with AVX-512 BF16
    and on recent GPUs; weights and optimizer state stay float32.
    """
    if not (enabled and native_bfloat16(device)):
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16)


class ResidualBlock2d(nn.Module):
    """Conv 3×3 (stride) → BN → ReLU → conv 3×3 → BN, plus the shortcut, → ReLU.

    The shortcut is a strided 3×3 convolution with batch norm when the shape changes, the
    identity otherwise.

    Reference: Won, Ferraro, Bogdanov & Serra, "Evaluation of CNN-based automatic music
    tagging models", SMC 2020 (``Res_2d``); He et al., CVPR 2016.
    Notebook: ``03_zhao2023_multifaceted_piano``.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        stride: Stride of the first convolution, an int or ``(freq, time)``.
    """

    def __init__(self, in_channels: int, out_channels: int, stride=2):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride not in (1, (1, 1)) or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1),
                                          nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + self.shortcut(x))


def halving_strides(size: int, n_blocks: int) -> list[int]:
    """Stride per block along one axis: 2 while the axis is longer than 1, then 1.

    A 3×3 convolution with padding 1 and stride 2 maps a length ``n`` to ``ceil(n / 2)``, so
    25 MFCCs shrink 25 → 13 → 7 → 4 → 2 → 1 in five blocks and the last two keep 1.
    """
    strides = []
    for _ in range(n_blocks):
        strides.append(2 if size > 1 else 1)
        size = math.ceil(size / 2)
    return strides


class ResidualCNN(nn.Module):
    """Stack of :class:`ResidualBlock2d` with global max pooling: ``(B, H, W)`` → ``(B, C)``.

    Each block halves the frequency axis (height) while it is longer than 1 and always halves
    the time axis (width), as in the short-chunk ResNet; what is left is max-pooled.

    Reference: Won et al., SMC 2020 (short-chunk ResNet: 7 blocks, channels c, c, 2c, 2c, 2c,
    2c, 4c). Notebook: ``03_zhao2023_multifaceted_piano``.

    Args:
        in_height: Frequency bins (rows) of the input, e.g. 128 mel bands or 25 MFCCs.
        channels: Output channels of each block (its length is the number of blocks).
        input_norm: How the input is batch-normalised first: ``"global"`` (one mean and
            variance, the short-chunk ResNet's ``spec_bn``), ``"rows"`` (one per frequency row,
            e.g. per MFCC coefficient, whose scales differ by orders of magnitude) or ``"none"``.
    """

    def __init__(self, in_height: int, channels=(32, 32, 64, 64, 64, 64, 128), input_norm: str = "global"):
        super().__init__()
        norms = {"global": lambda: nn.BatchNorm2d(1), "rows": lambda: _RowNorm(in_height), "none": nn.Identity}
        if input_norm not in norms:
            raise ValueError(f"input_norm must be one of {sorted(norms)}, got {input_norm!r}")
        widths = (1, *channels)
        strides = zip(halving_strides(in_height, len(channels)), [2] * len(channels))
        self.input_norm = norms[input_norm]()
        self.blocks = nn.Sequential(*[ResidualBlock2d(widths[i], widths[i + 1], stride)
                                      for i, stride in enumerate(strides)])
        self.out_dim = channels[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.input_norm(x.unsqueeze(1)))
        return x.amax(dim=(2, 3))


class _RowNorm(nn.Module):
    """Batch norm with one mean and variance per row of a ``(B, 1, rows, time)`` input."""

    def __init__(self, rows: int):
        super().__init__()
        self.norm = nn.BatchNorm1d(rows)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.squeeze(1)).unsqueeze(1)


class StructuredSelfAttention(nn.Module):
    """Multi-hop attention pooling: ``A = softmax(W_s2 tanh(W_s1 Hᵀ))``, ``M = A H``.

    Each of the ``hops`` rows of ``A`` is a distribution over time steps; ``M`` stacks the
    ``hops`` weighted sums of the hidden states (``(B, hops, dim)``). The orthogonality
    penalty of the paper is not used (nor is it in EMOPIA's LSTM-Attn classifier).

    Reference: Lin, Feng, dos Santos, Yu, Xiang, Zhou & Bengio, "A Structured Self-attentive
    Sentence Embedding", ICLR 2017. Notebook: ``03_zhao2023_multifaceted_piano``.

    Args:
        in_dim: Size of each hidden state.
        attention_dim: ``d_a``, the hidden size of the scoring MLP.
        hops: ``r``, the number of attention rows.
    """

    def __init__(self, in_dim: int, attention_dim: int = 128, hops: int = 16):
        super().__init__()
        self.score = nn.Sequential(nn.Linear(in_dim, attention_dim, bias=False), nn.Tanh(),
                                   nn.Linear(attention_dim, hops, bias=False))
        self.hops = hops

    def forward(self, states: torch.Tensor, mask: torch.Tensor | None = None):
        """``states`` ``(B, T, dim)``, ``mask`` ``(B, T)`` true at real steps → ``(M, A)``."""
        logits = self.score(states).transpose(1, 2)  # (B, hops, T)
        if mask is not None:
            logits = logits.masked_fill(~mask[:, None, :], float("-inf"))
        weights = logits.float().softmax(dim=-1).to(states.dtype)
        return weights @ states, weights


class WindowedEncoder(nn.Module):
    """Encode an input as the mean of the encodings of its consecutive windows.

    The last axis (time) is cut into windows of ``window`` steps (the last one padded with
    ``pad_value``); windows that start at or after a clip's length are left out of its mean.
    An input of at most one window is encoded directly, so training on random crops of one
    window and evaluating on a whole excerpt use the same encoder.

    Notebook: ``03_zhao2023_multifaceted_piano``.

    Args:
        encoder: Module mapping ``(N, ..., window)`` to ``(N, dim)``; it has ``out_dim``.
        window: Steps per window.
        pad_value: Value that pads the last window.
    """

    def __init__(self, encoder: nn.Module, window: int, pad_value: float = 0.0):
        super().__init__()
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        self.encoder, self.window, self.pad_value = encoder, int(window), pad_value
        self.out_dim = encoder.out_dim

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        batch, steps = x.shape[0], x.shape[-1]
        if steps <= self.window:
            return self.encoder(x)
        n_windows = math.ceil(steps / self.window)
        x = F.pad(x, (0, n_windows * self.window - steps), value=self.pad_value)
        windows = x.unfold(-1, self.window, self.window).movedim(-2, 1)  # (B, n, ..., window)
        windows = windows.reshape(batch * n_windows, *windows.shape[2:])
        if lengths is None:
            lengths = torch.full((batch,), steps, device=x.device)
        starts = torch.arange(n_windows, device=x.device) * self.window
        valid = starts[None, :] < lengths.to(x.device)[:, None]
        valid[:, 0] = True  # every clip keeps its first window, even an empty one
        encoded = self.encoder(windows[valid.flatten()])
        out = encoded.new_zeros(batch * n_windows, encoded.shape[-1])
        out[valid.flatten()] = encoded
        return masked_mean(out.view(batch, n_windows, -1), valid[..., None], dim=1)
