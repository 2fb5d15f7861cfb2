"""The losses by name: torch's own modules, the twins of ``scratch.losses``.

``reduction="mean"`` (torch's default) averages over every element of the loss. The
contracts are torch's: ``MSELoss`` and ``BCEWithLogitsLoss`` take a float target of the
output's shape, ``BCELoss`` probabilities and such a target, ``CrossEntropyLoss`` logits
``(N, C)`` and int64 class indices ``(N,)``.
"""

from __future__ import annotations

from torch import nn

REDUCTIONS = ("mean", "sum")

LOSSES: dict[str, type[nn.Module]] = {
    "mse": nn.MSELoss,
    "bce": nn.BCELoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
    "cross_entropy": nn.CrossEntropyLoss,
}


def make_loss(name: str, reduction: str = "mean") -> nn.Module:
    """Build a loss by name (one of ``LOSSES``); twin: ``scratch.make_loss``."""
    if not isinstance(name, str) or name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; valid: {', '.join(LOSSES)}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; valid: {', '.join(REDUCTIONS)}")
    return LOSSES[name](reduction=reduction)
