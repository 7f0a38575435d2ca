"""Training losses shared by the paper notebooks.

:class:`MultiTaskLoss` trains regression and/or classification outputs in one layout;
:data:`PROBABILITY_LOSSES` names the losses of models whose outputs are already
probabilities (V/A sigmoid outputs) or log-probabilities (4-class log-softmax).

Notebook: ``01_jeon2017_end_to_end_polarity``, ``03_zhao2023_multifaceted_piano``,
``04_zhao2022_hierarchical_attention``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MultiTaskLoss(nn.Module):
    """MSE on the regression outputs plus cross-entropy on the class logits.

    Layout: outputs ``(B, n_regression + n_classes)`` (regression values, then logits);
    targets ``(B, n_regression + 1)`` when there are classes (the class index last, as a
    float), else ``(B, n_regression)``.

    Args:
        n_regression: Regression outputs.
        n_classes: Classes (0: no classification).
        class_weight: Weight of the cross-entropy term.
    """

    def __init__(self, n_regression: int, n_classes: int = 0, class_weight: float = 1.0):
        super().__init__()
        self.n_regression, self.n_classes, self.class_weight = n_regression, n_classes, class_weight

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        r = self.n_regression
        loss = outputs.new_zeros(())
        if r:
            loss = loss + F.mse_loss(outputs[:, :r], targets[:, :r])
        if self.n_classes:
            loss = loss + self.class_weight * F.cross_entropy(outputs[:, r:], targets[:, r].long())
        return loss


#: Target kind → loss of a model that outputs probabilities: ``"va"`` → binary cross-entropy
#: on the (high valence, high arousal) probabilities; ``"quadrant"`` → negative
#: log-likelihood of 4-class log-probabilities.
PROBABILITY_LOSSES = {"va": F.binary_cross_entropy, "quadrant": F.nll_loss}
