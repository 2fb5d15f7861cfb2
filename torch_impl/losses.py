"""The losses by name: torch's own modules, the twins of ``scratch.losses``, and the check of
the targets ``fit`` hands them.

``reduction="mean"`` (torch's default) averages over every element of the loss.
"""

from typing import Any

import torch
from torch import nn

from ._checks import as_tensor, check_float_tensor, dtype_name

REDUCTIONS = ("mean", "sum")

LOSSES: dict[str, type[nn.Module]] = {
    "mse": nn.MSELoss,
    "bce": nn.BCELoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
    "cross_entropy": nn.CrossEntropyLoss,
}


def make_loss(name: str, reduction: str = "mean") -> nn.Module:
    """A loss by name (one of ``LOSSES``); twin: ``scratch.make_loss``."""
    if not isinstance(name, str) or name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; valid: {', '.join(LOSSES)}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; valid: {', '.join(REDUCTIONS)}")
    return LOSSES[name](reduction=reduction)


def check_target(
    loss: nn.Module, target: Any, shape: tuple[int, int], like: torch.Tensor, name: str
) -> torch.Tensor:
    """``target`` as ``loss`` needs it for outputs of ``shape``, copied to ``like``'s device:
    (N,) class indices in [0, C) for cross-entropy (or torch's (N, C) class probabilities),
    otherwise finite floats of ``shape`` and ``like``'s dtype, in [0, 1] for the BCE losses.
    Twin: ``scratch.losses.check_target``."""
    owner, y = type(loss).__name__, as_tensor(target, name)
    if isinstance(loss, nn.CrossEntropyLoss) and not (y.is_floating_point() and y.ndim == 2):
        n, c = shape
        if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
            raise TypeError(
                f"CrossEntropyLoss {name} must hold integer class indices, got dtype "
                f"{dtype_name(y.dtype)}"
            )
        if tuple(y.shape) != (n,):
            raise ValueError(
                f"CrossEntropyLoss: {name} shape {tuple(y.shape)} does not match input shape "
                f"{shape}; expected ({n},)"
            )
        if y.min() < 0 or y.max() >= c:
            bad = int(y[(y < 0) | (y >= c)][0])
            raise ValueError(f"CrossEntropyLoss: class index {bad} in {name} out of range [0, {c})")
        return y.to(device=like.device, dtype=torch.int64, copy=True)
    if not y.is_floating_point():
        raise TypeError(f"{owner} needs float targets, got {name} of dtype {dtype_name(y.dtype)}")
    y = check_float_tensor(y, name, like)
    if tuple(y.shape) != shape:
        raise ValueError(
            f"{owner}: {name} shape {tuple(y.shape)} does not match input shape {shape}"
        )
    if isinstance(loss, (nn.BCELoss, nn.BCEWithLogitsLoss)) and (y.min() < 0 or y.max() > 1):
        raise ValueError(
            f"{owner}: target values must lie in [0, 1], got {name} in "
            f"[{y.min().item():g}, {y.max().item():g}]"
        )
    return y
