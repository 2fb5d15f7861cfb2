"""Losses with torch's definitions: ``forward(input, target) -> float``, ``backward() -> dinput``.

``reduction="mean"`` (the default) averages over every element of the loss, as torch does
(so ``MSELoss`` on ``(N, D)`` divides by ``N*D``, not ``N``); ``reduction="sum"`` adds.
The loss value is returned as a Python float computed in the input's dtype; the gradient
has the input's shape and dtype.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from ._checks import check_float_array
from .activations import sigmoid

REDUCTIONS = ("mean", "sum")


class _Loss(ABC):
    """Shared plumbing: reduction, call syntax, the ``backward`` guard.

    ``forward`` is ``_check`` then the unchecked ``_forward``; a training step that feeds the
    model's own output checks only the target (``_check(..., check_input=False)``).
    """

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {reduction!r}; valid: {', '.join(REDUCTIONS)}")
        self.reduction = reduction
        self._cache: tuple[np.ndarray, ...] | None = None

    def __call__(self, input: np.ndarray, target: np.ndarray) -> float:
        return self.forward(input, target)

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        """The reduced loss, caching what ``backward`` needs."""
        return self._forward(*self._check(input, target, True))

    @abstractmethod
    def _check(self, input: Any, target: Any, check_input: bool) -> tuple[np.ndarray, np.ndarray]:
        """``(input, target)`` checked (``input`` trusted when ``check_input`` is False)."""

    @abstractmethod
    def _forward(self, input: np.ndarray, target: np.ndarray) -> float:
        """``forward`` on checked arrays."""

    @abstractmethod
    def backward(self) -> np.ndarray:
        """``dL/dinput`` for the last ``forward``."""

    def _reduce(self, per_element: np.ndarray) -> float:
        total = per_element.sum()  # () from (*)
        return float(total / per_element.size if self.reduction == "mean" else total)  # ()

    def _scale(self, n: int) -> float:
        """d(reduced)/d(per-element loss): 1/n for the mean, 1 for the sum."""
        return 1.0 / n if self.reduction == "mean" else 1.0

    def _cached(self) -> tuple[np.ndarray, ...]:
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


def _check_pair(
    input: Any, target: Any, owner: str, check_input: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``input`` and a float ``target`` of the same shape and dtype."""
    if check_input:
        input = check_float_array(input, f"{owner} input")
    if target is None:
        raise TypeError(f"{owner} target must be an array, got None")
    target = check_float_array(target, f"{owner} target")
    if target.shape != input.shape:
        raise ValueError(
            f"{owner}: target shape {target.shape} does not match input shape {input.shape}"
        )
    if target.dtype != input.dtype:
        raise TypeError(f"{owner}: target dtype {target.dtype} differs from input {input.dtype}")
    return input, target


def _check_probability_target(target: np.ndarray, owner: str) -> None:
    if target.min() < 0 or target.max() > 1:
        raise ValueError(f"{owner}: target values must lie in [0, 1]")


class MSELoss(_Loss):
    """``l = (x - y)^2``; ``dl/dx = 2 (x - y)``; input (*), target (*); twin: ``nn.MSELoss``."""

    def _check(self, input: Any, target: Any, check_input: bool) -> tuple[np.ndarray, np.ndarray]:
        return _check_pair(input, target, "MSELoss", check_input)

    def _forward(self, input: np.ndarray, target: np.ndarray) -> float:
        diff = input - target  # (*)
        self._cache = (diff,)
        return self._reduce(diff * diff)  # (*) -> ()

    def backward(self) -> np.ndarray:
        (diff,) = self._cached()  # (*)
        return diff * (2 * self._scale(diff.size))  # (*)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities; twin: ``nn.BCELoss``.

    ``l = -(y log p + (1-y) log(1-p))`` with each log clamped at -100, as torch does, so
    ``p = 0`` or ``1`` gives a finite loss. Backward, torch's formula:
    ``dl/dp = (p - y) / max(p (1-p), 1e-12)`` (that 1e-12 rounded
    to float32, as in torch). input (*) in [0, 1], target (*) in [0, 1].
    """

    # torch's EPSILON in binary_cross_entropy_backward is a float literal 1e-12 stored as
    # float32 (9.99999996e-13), in float64 too; matching it keeps clamped gradients equal
    EPS = float(np.float32(1e-12))

    def _check(self, input: Any, target: Any, check_input: bool) -> tuple[np.ndarray, np.ndarray]:
        p, y = _check_pair(input, target, "BCELoss", check_input)
        if p.min() < 0 or p.max() > 1:  # also for a model's output: it may lack a sigmoid
            raise ValueError(
                "BCELoss: input must be probabilities in [0, 1] (apply a sigmoid "
                "first, or use BCEWithLogitsLoss on logits)"
            )
        _check_probability_target(y, "BCELoss")
        return p, y

    def _forward(self, input: np.ndarray, target: np.ndarray) -> float:
        p, y = input, target
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped to -100 on the next line
            log_p = np.maximum(np.log(p), -100)  # (*)
            log_1mp = np.maximum(np.log1p(-p), -100)  # (*)
        self._cache = (p, y)
        return self._reduce(-(y * log_p + (1 - y) * log_1mp))  # (*) -> ()

    def backward(self) -> np.ndarray:
        p, y = self._cached()  # (*), (*)
        denom = np.maximum(p * (1 - p), self.EPS)  # (*)
        return (p - y) / denom * self._scale(p.size)  # (*)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy fused on logits; twin: ``nn.BCEWithLogitsLoss``.

    Stable form: ``l = max(x, 0) - x y + log(1 + e^{-|x|})``; nothing large is exponentiated.
    Backward: ``dl/dx = sigmoid(x) - y``. input (*) logits, target (*) in [0, 1].
    """

    def _check(self, input: Any, target: Any, check_input: bool) -> tuple[np.ndarray, np.ndarray]:
        x, y = _check_pair(input, target, "BCEWithLogitsLoss", check_input)
        _check_probability_target(y, "BCEWithLogitsLoss")
        return x, y

    def _forward(self, input: np.ndarray, target: np.ndarray) -> float:
        x, y = input, target
        self._cache = (x, y)
        return self._reduce(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))))  # (*) -> ()

    def backward(self) -> np.ndarray:
        x, y = self._cached()  # (*), (*)
        return (sigmoid(x) - y) * self._scale(x.size)  # (*)


class CrossEntropyLoss(_Loss):
    """Softmax + negative log-likelihood on logits; twin: ``nn.CrossEntropyLoss``.

    ``l_n = -log softmax(x_n)[y_n] = log sum_j e^{x_nj} - x_{n,y_n}`` (log-sum-exp around the
    row max). Backward: ``dl/dx_n = softmax(x_n) - onehot(y_n)``, from the exponentials
    forward already computed. input (N, C) logits, target (N,) integer class indices in [0, C).
    """

    _arange = np.arange(0)

    def _rows(self, n: int) -> np.ndarray:
        """``np.arange(n)``, kept between calls (the batch size rarely changes)."""
        if len(self._arange) != n:
            self._arange = np.arange(n)
        return self._arange

    def _check(self, input: Any, target: Any, check_input: bool) -> tuple[np.ndarray, np.ndarray]:
        x = check_float_array(input, "CrossEntropyLoss input", ndim=2) if check_input else input
        return x, _check_class_indices(target, x.shape)

    def _forward(self, input: np.ndarray, target: np.ndarray) -> float:
        shifted = input - input.max(axis=1, keepdims=True)  # (N, C), max 0: exp cannot overflow
        e = np.exp(shifted)  # (N, C)
        total = e.sum(axis=1, keepdims=True)  # (N, 1)
        self._cache = (e, total, target)  # backward's softmax is e / total
        log_p = shifted[self._rows(len(target)), target] - np.log(total[:, 0])  # (N,)
        s = log_p.sum()  # (): the sum of -log_p is exactly -s
        return float(-s / log_p.size if self.reduction == "mean" else -s)

    def backward(self) -> np.ndarray:
        e, total, target = self._cached()  # (N, C), (N, 1), (N,)
        dx = e / total  # (N, C): softmax(x)
        dx[self._rows(len(target)), target] -= 1  # (N, C): softmax - onehot
        dx *= self._scale(len(target))
        return dx  # (N, C)


def _check_class_indices(target: Any, shape: tuple[int, int]) -> np.ndarray:
    """``target`` if it is an (N,) integer array of class indices in [0, C) for logits of
    ``shape`` (N, C)."""
    n, c = shape
    if not isinstance(target, np.ndarray):
        raise TypeError(
            f"CrossEntropyLoss target must be a numpy.ndarray of class indices, "
            f"got {type(target).__name__}"
        )
    integer = target.dtype.kind in "iu"  # np.issubdtype(dtype, np.integer), without its cost
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
    # one pass for both bounds: seen as unsigned, a negative index is huge, so >= c too
    as_unsigned = target.view(f"u{target.itemsize}") if target.dtype.kind == "i" else target
    if np.maximum.reduce(as_unsigned) >= c:
        bad = target[(target < 0) | (target >= c)]
        raise ValueError(
            f"CrossEntropyLoss: class index {int(bad[0])} out of range "
            f"[0, {c}) for input with {c} classes"
        )
    return target


LOSSES: dict[str, type[_Loss]] = {
    "mse": MSELoss,
    "bce": BCELoss,
    "bce_with_logits": BCEWithLogitsLoss,
    "cross_entropy": CrossEntropyLoss,
}


def make_loss(name: str, reduction: str = "mean") -> _Loss:
    """Build a loss by name (one of ``LOSSES``); twin: ``torch_impl.make_loss``."""
    if not isinstance(name, str) or name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; valid: {', '.join(LOSSES)}")
    return LOSSES[name](reduction)
