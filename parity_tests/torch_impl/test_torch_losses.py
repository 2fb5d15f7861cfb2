"""torch_impl.losses: torch's loss modules by name, the twins of scratch.losses."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from torch_impl import LOSSES, make_loss

CLASSES = {
    "mse": nn.MSELoss,
    "bce": nn.BCELoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
    "cross_entropy": nn.CrossEntropyLoss,
}


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", list(CLASSES))
def test_make_loss_builds_torchs_module(name, reduction):
    loss = make_loss(name, reduction)
    assert type(loss) is CLASSES[name] is LOSSES[name]
    assert loss.reduction == reduction


def test_default_reduction_is_the_mean_over_every_element():
    x, t = torch.arange(6.0).reshape(2, 3), torch.zeros(2, 3)
    assert make_loss("mse")(x, t).item() == pytest.approx((x**2).sum().item() / 6)
    assert make_loss("mse", "sum")(x, t).item() == pytest.approx((x**2).sum().item())


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("hinge",), "unknown loss 'hinge'; valid: mse, bce, bce_with_logits, cross_entropy"),
        ((None,), "unknown loss None"),
        ((["mse"],), r"unknown loss \['mse'\]"),
        (("mse", "none"), "unknown reduction 'none'; valid: mean, sum"),
    ],
    ids=["unknown-name", "none-name", "list-name", "unknown-reduction"],
)
def test_make_loss_rejects(args, match):
    with pytest.raises(ValueError, match=match):
        make_loss(*args)
