"""Training losses: the multi-task layout and the probability losses."""

import pytest
import torch
import torch.nn.functional as F

from mer_lib import losses


def test_multitask_loss_is_mse_plus_weighted_cross_entropy():
    outputs = torch.tensor([[0.5, 2.0, -1.0], [0.0, -1.0, 1.0]])
    targets = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    expected = F.mse_loss(outputs[:, :1], targets[:, :1]) + 0.5 * F.cross_entropy(outputs[:, 1:], targets[:, 1].long())
    assert losses.MultiTaskLoss(1, 2, class_weight=0.5)(outputs, targets) == pytest.approx(float(expected))
    assert losses.MultiTaskLoss(0, 2)(outputs[:, 1:], targets[:, 1:]) == pytest.approx(
        float(F.cross_entropy(outputs[:, 1:], targets[:, 1].long())))
    assert losses.MultiTaskLoss(1)(outputs[:, :1], targets[:, :1]) == pytest.approx(
        float(F.mse_loss(outputs[:, :1], targets[:, :1])))


def test_probability_losses_cover_both_target_kinds():
    assert set(losses.PROBABILITY_LOSSES) == {"va", "quadrant"}
    p = torch.tensor([[0.9, 0.2]])
    assert losses.PROBABILITY_LOSSES["va"](p, torch.tensor([[1.0, 0.0]])) < 0.2
