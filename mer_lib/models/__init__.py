"""Networks only: shared blocks (:mod:`.blocks`, :mod:`.blocks_fusion`, :mod:`.blocks_sequence`),
one module per paper with its architectures, and one registry.

Usage::

    from mer_lib import models
    models.available()                                           # registered names
    net = models.build("rajamani2020_vggish", attention_layers=(3,), n_tags=56)
    models.count_parameters(net), models.gflops(net, (1, 96, 1400))

A paper module registers its constructors with :func:`register`; adding a model is one new
module plus one import line at the bottom of this file. How a paper's models are trained and
scored (its result rows, data preparation, metrics) is in :mod:`mer_lib.experiments`.
"""

from __future__ import annotations

import copy
import difflib
from typing import Callable

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register(name: str):
    """Decorator that registers a model constructor ``constructor(**options) -> nn.Module``."""
    def wrap(constructor):
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} registered twice")
        _REGISTRY[name] = constructor
        return constructor
    return wrap


def available() -> list[str]:
    """Names of every registered model."""
    return sorted(_REGISTRY)


def build(name: str, **options) -> nn.Module:
    """Build a registered model; an unknown name raises with the closest match."""
    if name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), _REGISTRY, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown model {name!r}.{hint} Available: {', '.join(available())}")
    return _REGISTRY[name](**options)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def gflops(model: nn.Module, input_shape) -> float:
    """Forward-pass GFLOPs for one input of ``input_shape``, measured by PyTorch.

    Counted by :class:`torch.utils.flop_counter.FlopCounterMode` on a copy of the model on
    the ``meta`` device (shapes only: instant, no memory): 2 FLOPs per multiply–add of
    convolutions, matrix products and einsums; element-wise operations (bias, batch norm,
    activations, pooling, softmax) are not counted — the usual convention of papers that
    report "FLOPs" as twice the multiply–accumulates.

    Args:
        model: The model (counted in ``eval`` mode, without gradients; left unchanged).
        input_shape: Shape of one batch, e.g. ``(1, 96, 1400)``.
    """
    probe = copy.deepcopy(model).to("meta").eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        probe(torch.zeros(tuple(input_shape), device="meta"))
    return counter.get_total_flops() / 1e9


# Paper modules register themselves on import.
from mer_lib.models import rajamani2020  # noqa: E402,F401

# --- zhao2022 (notebook 04): HCMAN, its ablations and the Delbouys/Pyrovolakis baselines ------
from mer_lib.models import zhao2022, mer_baselines  # noqa: E402,F401

# --- zhao2023 (notebook 03): the multifaceted piano model, its ablations and EMOPIA's baselines --
from mer_lib.models import zhao2023, emopia_baselines  # noqa: E402,F401

# --- jeon2017 (notebook 01): end-to-end audio + lyrics polarity, Table 1 rows --------------------
from mer_lib.models import jeon2017  # noqa: E402,F401

# --- mmer_analysis (notebook 05): unimodal audio/lyrics/comments CNNs and their fusions ---------
from mer_lib.models import mmer_analysis  # noqa: E402,F401
