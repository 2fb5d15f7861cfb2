"""Losses with torch's definitions: ``forward(input, target) -> float``, ``backward() -> dinput``.

``reduction="mean"`` (the default) averages over every element of the loss, as torch does
(so ``MSELoss`` on ``(N, D)`` divides by ``N*D``, not ``N``); ``reduction="sum"`` adds.
The loss value is returned as a Python float computed in the input's dtype; the gradient
has the input's shape and dtype. ``forward`` checks types, shapes and target values; a
non-finite input is allowed (a diverging network's output), and gives a non-finite loss.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from ._checks import check_float_array
from .activations import sigmoid

REDUCTIONS = ("mean", "sum")


class Loss(ABC):
    """The loss protocol: ``reduction``, call syntax, what backward needs (``cache``)."""

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {reduction!r}; valid: {', '.join(REDUCTIONS)}")
        self.reduction = reduction
        self.cache: tuple[np.ndarray, ...] | None = None

    def __call__(self, input: np.ndarray, target: np.ndarray) -> float:
        return self.forward(input, target)

    @abstractmethod
    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        """The reduced loss, caching what ``backward`` needs."""

    @abstractmethod
    def backward(self) -> np.ndarray:
        """``dL/dinput`` for the last ``forward``."""

    def reduce(self, per_element: np.ndarray) -> float:
        total = per_element.sum()  # () from (*)
        return float(total / per_element.size if self.reduction == "mean" else total)

    def scale(self, n: int) -> float:
        """d(reduced)/d(per-element loss): 1/n for the mean, 1 for the sum."""
        return 1.0 / n if self.reduction == "mean" else 1.0

    def cached(self) -> tuple[np.ndarray, ...]:
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self.cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


def check_pair(input: Any, target: Any, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """``input`` and a finite float ``target`` of the same shape and dtype."""
    input = check_float_array(input, f"{owner} input", finite=False)
    if target is None:
        raise TypeError(f"{owner} target must be an array, got None")
    target = check_float_array(target, f"{owner} target")
    if target.shape != input.shape:
        raise ValueError(
            f"{owner}: target shape {target.shape} does not match input shape {input.shape}"
        )
    if target.dtype != input.dtype:
        raise TypeError(f"{owner}: target dtype {target.dtype} differs from input {input.dtype}")
    if owner != "MSELoss" and (target.min() < 0 or target.max() > 1):
        raise ValueError(f"{owner}: target values must lie in [0, 1]")
    return input, target


class MSELoss(Loss):
    """``l = (x - y)^2``; ``dl/dx = 2 (x - y)``; input (*), target (*); twin: ``nn.MSELoss``."""

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        x, y = check_pair(input, target, "MSELoss")
        diff = x - y  # (*)
        self.cache = (diff,)
        return self.reduce(diff * diff)  # (*) -> ()

    def backward(self) -> np.ndarray:
        (diff,) = self.cached()  # (*)
        return diff * (2 * self.scale(diff.size))  # (*)


class BCELoss(Loss):
    """Binary cross-entropy on probabilities; twin: ``nn.BCELoss``.

    ``l = -(y log p + (1-y) log(1-p))`` with each log clamped at -100, as torch does, so
    ``p = 0`` or ``1`` gives a finite loss. Backward, torch's formula:
    ``dl/dp = (p - y) / max(p (1-p), 1e-12)`` (that 1e-12 rounded to float32, as in torch).
    input (*) in [0, 1], target (*) in [0, 1].
    """

    # torch's EPSILON in binary_cross_entropy_backward is a float literal 1e-12 stored as
    # float32 (9.99999996e-13), in float64 too; matching it keeps clamped gradients equal
    EPS = float(np.float32(1e-12))

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        p, y = check_pair(input, target, "BCELoss")
        if p.min() < 0 or p.max() > 1:  # a model's output may lack its sigmoid
            raise ValueError(
                "BCELoss: input must be probabilities in [0, 1] (apply a sigmoid "
                "first, or use BCEWithLogitsLoss on logits)"
            )
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped to -100 on the next line
            log_p = np.maximum(np.log(p), -100)  # (*)
            log_1mp = np.maximum(np.log1p(-p), -100)  # (*)
        self.cache = (p, y)
        return self.reduce(-(y * log_p + (1 - y) * log_1mp))  # (*) -> ()

    def backward(self) -> np.ndarray:
        p, y = self.cached()  # (*), (*)
        denom = np.maximum(p * (1 - p), self.EPS)  # (*)
        return (p - y) / denom * self.scale(p.size)  # (*)


class BCEWithLogitsLoss(Loss):
    """Sigmoid + binary cross-entropy fused on logits; twin: ``nn.BCEWithLogitsLoss``.

    Stable form: ``l = max(x, 0) - x y + log(1 + e^{-|x|})``; nothing large is exponentiated.
    Backward: ``dl/dx = sigmoid(x) - y``. input (*) logits, target (*) in [0, 1].
    """

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        x, y = check_pair(input, target, "BCEWithLogitsLoss")
        self.cache = (x, y)
        return self.reduce(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))))  # (*) -> ()

    def backward(self) -> np.ndarray:
        x, y = self.cached()  # (*), (*)
        return (sigmoid(x) - y) * self.scale(x.size)  # (*)


class CrossEntropyLoss(Loss):
    """Softmax + negative log-likelihood on logits; twin: ``nn.CrossEntropyLoss``.

    ``l_n = -log softmax(x_n)[y_n] = log sum_j e^{x_nj} - x_{n,y_n}`` (log-sum-exp around the
    row max). Backward: ``dl/dx_n = softmax(x_n) - onehot(y_n)``, from the exponentials
    forward already computed. input (N, C) logits, target (N,) integer class indices in [0, C).
    """

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        x = check_float_array(input, "CrossEntropyLoss input", ndim=2, finite=False)
        target = check_class_indices(target, x.shape)
        rows = np.arange(len(target))  # (N,)
        shifted = x - x.max(axis=1, keepdims=True)  # (N, C), max 0: exp cannot overflow
        e = np.exp(shifted)  # (N, C)
        total = e.sum(axis=1, keepdims=True)  # (N, 1)
        self.cache = (e, total, target)  # backward's softmax is e / total
        log_p = shifted[rows, target] - np.log(total[:, 0])  # (N,)
        s = log_p.sum()  # (): the sum of -log_p is exactly -s
        return float(-s / log_p.size if self.reduction == "mean" else -s)

    def backward(self) -> np.ndarray:
        e, total, target = self.cached()  # (N, C), (N, 1), (N,)
        dx = e / total  # (N, C): softmax(x)
        dx[np.arange(len(target)), target] -= 1  # in place on our own array: softmax - onehot
        return dx * self.scale(len(target))  # (N, C)


def check_class_indices(target: Any, shape: tuple[int, int]) -> np.ndarray:
    """``target`` if it is (N,) integer class indices in [0, C) for logits of ``shape`` (N, C)."""
    n, c = shape
    if not isinstance(target, np.ndarray):
        raise TypeError(
            f"CrossEntropyLoss target must be a numpy.ndarray of class indices, "
            f"got {type(target).__name__}"
        )
    integer = np.issubdtype(target.dtype, np.integer)
    if target.ndim == 2 and not integer:
        raise TypeError(  # one-hot rows or class probabilities: torch accepts, we do not
            f"CrossEntropyLoss target must be integer class indices of shape ({n},); got a "
            f"{target.shape} {target.dtype} array — for one-hot targets use "
            f"target.argmax(axis=1)"
        )
    if not integer:
        raise TypeError(
            f"CrossEntropyLoss target must hold integer class indices, got dtype "
            f"{target.dtype} (use .astype(np.int64) for whole-number labels)"
        )
    if target.shape != (n,):
        hint = " (one-hot rows? use target.argmax(axis=1))" if target.shape == shape else ""
        raise ValueError(
            f"CrossEntropyLoss: target shape {target.shape} does not match "
            f"input shape {shape}; expected ({n},){hint}"
        )
    bad = target[(target < 0) | (target >= c)]
    if bad.size:
        raise ValueError(
            f"CrossEntropyLoss: class index {int(bad[0])} out of range "
            f"[0, {c}) for input with {c} classes"
        )
    return target


LOSSES: dict[str, type[Loss]] = {
    "mse": MSELoss,
    "bce": BCELoss,
    "bce_with_logits": BCEWithLogitsLoss,
    "cross_entropy": CrossEntropyLoss,
}


def make_loss(name: str, reduction: str = "mean") -> Loss:
    """Build a loss by name (one of ``LOSSES``); twin: ``torch_impl.make_loss``."""
    if not isinstance(name, str) or name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; valid: {', '.join(LOSSES)}")
    return LOSSES[name](reduction)
