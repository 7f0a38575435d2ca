"""Building blocks shared by the paper models.

* :class:`AReLU` — the attention-based rectified linear unit (learnable α, β per layer).
* :class:`StandAloneSelfAttention2d` — local self-attention over a k×k neighbourhood with
  relative position embeddings, a drop-in replacement for a k×k convolution.
* :class:`ConvBlock` — (convolution or self-attention) → batch norm → activation → max-pool,
  the layer of VGG-ish tagging networks.
* :func:`masked_mean` — the mean over the real (masked-in) positions of a tensor.
* :func:`late_fusion` — average of several models' prediction scores.

Notebook: ``02_rajamani2020_attention_tagging``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class AReLU(nn.Module):
    """Attention-based Rectified Linear Unit.

    ``f(x) = (1 + sigmoid(β)) · x`` for ``x ≥ 0`` and ``C(α) · x`` for ``x < 0``, where
    ``C`` clamps α to ``[0.01, 0.99]``. The two scalars are learnt per layer: the positive
    part is amplified (gain in (1, 2)), the negative part suppressed but kept, which the
    authors show speeds up training under small learning rates.

    Reference: Chen, Li & Xu, "AReLU: Attention-based Rectified Linear Unit", arXiv:2006.13858
    (2020); initial values α = 0.9, β = 2.0 as in the authors' and Rajamani et al.'s code.
    Notebook: ``02_rajamani2020_attention_tagging``.

    Args:
        alpha: Initial α (negative-part slope before clamping).
        beta: Initial β (the positive-part gain is ``1 + sigmoid(β)``).
    """

    ALPHA_RANGE = (0.01, 0.99)

    def __init__(self, alpha: float = 0.90, beta: float = 2.0):
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor([float(alpha)]))
        self.beta = nn.Parameter(torch.tensor([float(beta)]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        negative_slope = self.alpha.clamp(*self.ALPHA_RANGE)
        positive_gain = 1.0 + torch.sigmoid(self.beta)
        # gain · PReLU(x, slope / gain) is the same function in two fused passes over x
        # (relu(x)·gain − relu(−x)·slope would take six).
        return positive_gain * F.prelu(x, negative_slope / positive_gain)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha.item():.3f}, beta={self.beta.item():.3f}"


#: Activations by name, so a model's configuration stays a plain string.
ACTIVATIONS = {"elu": nn.ELU, "relu": nn.ReLU, "arelu": AReLU}


def activation(name: str) -> nn.Module:
    """A fresh activation module from its name (see :data:`ACTIVATIONS`)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


class StandAloneSelfAttention2d(nn.Module):
    """Local self-attention that replaces a k×k convolution (same input/output shapes).

    For every output position (i, j), a query ``q_ij = W_Q x_ij`` attends to the keys and
    values of the k×k neighbourhood around it::

        y_ij = Σ_ab softmax_ab(q_ij · (k_ab + r_{a−i, b−j})) v_ab

    with ``k_ab = W_K x_ab``, ``v_ab = W_V x_ab`` (1×1 projections without bias) and a
    relative position embedding ``r``: half of the channels get a row-offset embedding, the
    other half a column-offset embedding, concatenated. With several heads the channels are
    split into groups, each with its own softmax. Parameters: ``3 · C_in · C_out`` for the
    projections plus ``C_out · k`` for the embeddings — independent of the number of heads.

    Reference: Ramachandran, Parmar, Vaswani, Bello, Levskaya & Shlens, "Stand-Alone
    Self-Attention in Vision Models", NeurIPS 2019 (Sec. 2.2, Eq. 3); zero padding at the
    borders as in Rajamani et al.'s code.
    Notebook: ``02_rajamani2020_attention_tagging``.

    Args:
        in_channels: Input channels.
        out_channels: Output channels (even, divisible by ``heads``).
        kernel_size: Side k of the (odd) neighbourhood.
        heads: Attention heads (groups of channels with their own attention weights).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, heads: int = 1):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        if out_channels % 2 or out_channels % heads:
            raise ValueError(f"out_channels ({out_channels}) must be even and divisible by heads ({heads})")
        self.out_channels, self.kernel_size, self.heads = out_channels, kernel_size, heads
        self.query = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.key = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.value = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.rel_rows = nn.Parameter(torch.empty(out_channels // 2, kernel_size))
        self.rel_cols = nn.Parameter(torch.empty(out_channels // 2, kernel_size))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for projection in (self.query, self.key, self.value):
            nn.init.kaiming_normal_(projection.weight, mode="fan_out", nonlinearity="relu")
        nn.init.normal_(self.rel_rows, 0.0, 1.0)
        nn.init.normal_(self.rel_cols, 0.0, 1.0)

    def relative_embedding(self) -> torch.Tensor:
        """``r`` as a ``(C_out, k·k)`` tensor: row offsets on the first half of the channels,
        column offsets on the second, window positions in row-major order."""
        k, half = self.kernel_size, self.out_channels // 2
        rows = self.rel_rows[:, :, None].expand(half, k, k)
        cols = self.rel_cols[:, None, :].expand(half, k, k)
        return torch.cat([rows, cols], dim=0).reshape(self.out_channels, k * k)

    def neighbourhoods(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, k·k, H, W)``: each position's zero-padded k×k window."""
        batch, channels, height, width = x.shape
        windows = F.unfold(x, self.kernel_size, padding=self.kernel_size // 2)
        return windows.view(batch, channels, self.kernel_size ** 2, height, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = x.shape
        heads, per_head = self.heads, self.out_channels // self.heads
        query = self.query(x).view(batch, heads, per_head, height, width)
        keys = self.neighbourhoods(self.key(x)) + self.relative_embedding()[None, :, :, None, None]
        keys = keys.view(batch, heads, per_head, -1, height, width)
        values = self.neighbourhoods(self.value(x)).view(batch, heads, per_head, -1, height, width)
        # einsum (not q * k then sum) so the FLOP counter sees the dot products.
        logits = torch.einsum("bgchw,bgcnhw->bgnhw", query, keys)
        weights = logits.softmax(dim=2)
        out = torch.einsum("bgnhw,bgcnhw->bgchw", weights, values)
        return out.reshape(batch, self.out_channels, height, width)

    def extra_repr(self) -> str:
        return f"out_channels={self.out_channels}, kernel_size={self.kernel_size}, heads={self.heads}"


class ConvBlock(nn.Module):
    """One VGG-ish layer: k×k convolution (or self-attention) → BatchNorm → activation → max-pool.

    Notebook: ``02_rajamani2020_attention_tagging``.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        pool: Max-pool size ``(freq, time)``; ``None`` pools globally to 1×1.
        activation_name: A name of :data:`ACTIVATIONS`.
        attention: Use :class:`StandAloneSelfAttention2d` instead of the convolution.
        kernel_size: Convolution / attention neighbourhood size.
        heads: Attention heads (when ``attention``).
    """

    def __init__(self, in_channels: int, out_channels: int, pool, activation_name: str = "elu",
                 attention: bool = False, kernel_size: int = 3, heads: int = 1):
        super().__init__()
        if attention:
            self.mixer = StandAloneSelfAttention2d(in_channels, out_channels, kernel_size, heads)
        else:
            self.mixer = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.norm = nn.BatchNorm2d(out_channels)
        self.activation = activation(activation_name)
        self.pool = nn.AdaptiveMaxPool2d(1) if pool is None else nn.MaxPool2d(tuple(pool))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.activation(self.norm(self.mixer(x))))


def masked_mean(values: torch.Tensor, mask: torch.Tensor, dim: int) -> torch.Tensor:
    """Mean of ``values`` over ``dim`` where ``mask`` is true (``mask`` broadcasts to ``values``).

    Positions with an empty mask give 0 instead of NaN.
    """
    mask = mask.to(values.dtype)
    return (values * mask).sum(dim) / mask.sum(dim).clamp(min=1.0)


def late_fusion(*scores, weights=None):
    """Late fusion: the (weighted) mean of several models' prediction scores.

    Args:
        *scores: Score arrays of one shape (NumPy arrays or tensors), e.g. ``(clips, tags)``.
        weights: Optional weight per model (normalised to sum 1); default equal weights.

    Returns:
        The fused scores, same shape and type family as the inputs.
    """
    if not scores:
        raise ValueError("late_fusion needs at least one score array")
    shapes = {tuple(s.shape) for s in scores}
    if len(shapes) != 1:
        raise ValueError(f"late_fusion needs scores of one shape, got {sorted(shapes)}")
    weights = [1.0] * len(scores) if weights is None else [float(w) for w in weights]
    if len(weights) != len(scores) or min(weights) < 0 or sum(weights) <= 0:
        raise ValueError(f"need one non-negative weight per score array (positive sum), got {weights}")
    # Sum first, divide once: with equal weights this is exactly the arithmetic mean
    # (multiplying by 1.0 is exact), so fused published scores are reproduced bit for bit.
    fused = scores[0] * weights[0]
    for score, weight in zip(scores[1:], weights[1:]):
        fused = fused + score * weight
    return fused / sum(weights)
