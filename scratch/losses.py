"""Losses with torch's definitions: ``forward(input, target) -> float``, ``backward() -> dinput``.
``reduction="mean"`` averages over every element, as torch does (``MSELoss`` on (N, D) divides
by N*D); ``"sum"`` adds. A non-finite input (a diverging network's) gives a non-finite loss."""

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from ._checks import check_float_array
from .activations import sigmoid

REDUCTIONS = ("mean", "sum")


class Loss(ABC):
    """The loss protocol: ``reduction``, call syntax, what backward needs (``cache``)."""

    input_ndim: int | None = None  # 2 for cross-entropy's (N, C) logits

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {reduction!r}; valid: {', '.join(REDUCTIONS)}")
        self.reduction = reduction
        self.cache: tuple[np.ndarray, ...] | None = None

    def __call__(self, input: np.ndarray, target: np.ndarray) -> float:
        name = f"{type(self).__name__} input"
        x = check_float_array(input, name, ndim=self.input_ndim, finite=False)
        return self.forward(x, check_target(self, target, x.shape, x.dtype))

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


class MSELoss(Loss):
    """``l = (x - y)^2``; ``dl/dx = 2 (x - y)``; input (*), target (*); twin: ``nn.MSELoss``."""

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        diff = input - target  # (*)
        self.cache = (diff,)
        return self.reduce(diff * diff)  # (*) -> ()

    def backward(self) -> np.ndarray:
        (diff,) = self.cached()  # (*)
        return diff * (2 * self.scale(diff.size))  # (*)


class BCELoss(Loss):
    """``l = -(y log p + (1-y) log(1-p))``, each log clamped at -100 as torch does;
    ``dl/dp = (p - y) / max(p (1-p), 1e-12)``; input (*) and target (*) in [0, 1];
    twin: ``nn.BCELoss``."""

    # torch's EPSILON in binary_cross_entropy_backward is a float literal 1e-12 stored as
    # float32 (9.99999996e-13), in float64 too; matching it keeps clamped gradients equal
    EPS = float(np.float32(1e-12))

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        p, y = input, target
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
    """Sigmoid and BCE fused on logits, in the stable form ``l = max(x, 0) - x y +
    log(1 + e^{-|x|})``; ``dl/dx = sigmoid(x) - y``; input (*), target (*) in [0, 1];
    twin: ``nn.BCEWithLogitsLoss``."""

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        x, y = input, target
        self.cache = (x, y)
        return self.reduce(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))))  # (*) -> ()

    def backward(self) -> np.ndarray:
        x, y = self.cached()  # (*), (*)
        return (sigmoid(x) - y) * self.scale(x.size)  # (*)


class CrossEntropyLoss(Loss):
    """``l_n = -log softmax(x_n)[y_n] = log sum_j e^{x_nj} - x_{n,y_n}`` (log-sum-exp around
    the row max); ``dl/dx_n = softmax(x_n) - onehot(y_n)``; input (N, C) logits, target (N,)
    class indices; twin: ``nn.CrossEntropyLoss``."""

    input_ndim = 2

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        x = input
        rows = np.arange(len(target))  # (N,)
        shifted = x - x.max(axis=1, keepdims=True)  # (N, C), max 0: exp cannot overflow
        e = np.exp(shifted)  # (N, C)
        total = e.sum(axis=1, keepdims=True)  # (N, 1)
        self.cache = (e, total, target)  # backward's softmax is e / total
        return self.reduce(np.log(total[:, 0]) - shifted[rows, target])  # (N,) -> ()

    def backward(self) -> np.ndarray:
        e, total, target = self.cached()  # (N, C), (N, 1), (N,)
        dx = e / total  # (N, C): softmax(x)
        dx[np.arange(len(target)), target] -= 1  # in place on our own array: softmax - onehot
        return dx * self.scale(len(target))  # (N, C)


def check_target(
    loss: Loss, target: Any, shape: tuple[int, ...], dtype: np.dtype, name: str = "target"
) -> np.ndarray:
    """``target`` as ``loss`` needs it for an input of ``shape`` and ``dtype``: (N,) integer
    class indices in [0, C) for cross-entropy, otherwise finite floats of the input's shape
    and dtype (in [0, 1] for the BCE losses). ``fit`` checks its ``y`` here, named ``"y"``."""
    owner = type(loss).__name__
    if not isinstance(target, np.ndarray):
        raise TypeError(f"{owner} {name} must be a numpy.ndarray, got {type(target).__name__}")
    if isinstance(loss, CrossEntropyLoss):
        n, c = shape
        hint = f" (for one-hot rows use {name}.argmax(axis=1))" if target.ndim == 2 else ""
        if not np.issubdtype(target.dtype, np.integer):
            raise TypeError(
                f"CrossEntropyLoss {name} must hold integer class indices, got dtype "
                f"{target.dtype} and shape {target.shape}{hint}"
            )
        if target.shape != (n,):
            raise ValueError(
                f"CrossEntropyLoss: {name} shape {target.shape} does not match input shape "
                f"{shape}; expected ({n},){hint}"
            )
        bad = target[(target < 0) | (target >= c)]
        if bad.size:
            raise ValueError(
                f"CrossEntropyLoss: class index {bad[0]} in {name} out of range [0, {c}) "
                f"for an input with {c} classes"
            )
        return target
    if not np.issubdtype(target.dtype, np.floating):
        raise TypeError(f"{owner} needs float targets, got {name} of dtype {target.dtype}")
    check_float_array(target, name, dtype=dtype)
    if target.shape != shape:
        raise ValueError(
            f"{owner}: {name} shape {target.shape} does not match input shape {shape}; "
            f"reshape it to match (e.g. {name}[:, None])"
        )
    if isinstance(loss, (BCELoss, BCEWithLogitsLoss)) and (target.min() < 0 or target.max() > 1):
        raise ValueError(
            f"{owner}: target values must lie in [0, 1], got {name} in "
            f"[{target.min():g}, {target.max():g}]"
        )
    return target


LOSSES: dict[str, type[Loss]] = {
    "mse": MSELoss,
    "bce": BCELoss,
    "bce_with_logits": BCEWithLogitsLoss,
    "cross_entropy": CrossEntropyLoss,
}


def make_loss(name: str, reduction: str = "mean") -> Loss:
    """A loss by name (one of ``LOSSES``); twin: ``torch_impl.make_loss``."""
    if not isinstance(name, str) or name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; valid: {', '.join(LOSSES)}")
    return LOSSES[name](reduction)
