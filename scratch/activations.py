"""Activation functions: ``a = f(z)``, each with its hand-written derivative.

Every class caches the cheapest thing its backward needs: the output for Sigmoid, Tanh,
ReLU and Softmax (their derivatives are functions of the output; ReLU's mask is ``y > 0``),
the slope ``f'(x)`` for Leaky ReLU. Shapes are elementwise, ``x (*) -> y (*)``, except
Softmax, which normalises along ``dim``. Inside a network (``Sequential``) the activations
write in place into the temporaries the layer before them made, forward and backward.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_float_array, check_real, check_upstream
from .module import Builtin, Module


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically stable ``1/(1+e^{-x})``, split by sign so ``exp`` never overflows.

    ``e = e^{-|x|}`` is in (0, 1]; for x >= 0 the result is ``1/(1+e)``, for x < 0 it is
    ``e/(1+e)``, the same value written so that nothing large is exponentiated.
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """``e^{x_i} / sum_j e^{x_j}`` along ``dim``, shifted by the max so ``exp`` <= 1."""
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """``x_i - log sum_j e^{x_j}`` via log-sum-exp around the max (never ``log(0)``)."""
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


class _Elementwise(Builtin):
    """Shared plumbing: validate the input, remember the output shape for backward."""

    def __init__(self) -> None:
        self._shape: tuple[int, ...] | None = None

    def _check_input(self, x: Any) -> np.ndarray:
        return check_float_array(x, f"{type(self).__name__} input")

    def _check_upstream(self, dy: Any) -> np.ndarray:
        return check_upstream(dy, self._shape, type(self).__name__)

    def _start(self, x: np.ndarray) -> np.ndarray:
        """``forward``'s check (kept for subclasses that override ``forward``)."""
        x = self._check_input(x)
        self._shape = x.shape
        return x

    def _dy(self, dy: np.ndarray) -> np.ndarray:
        """``backward``'s check (kept for subclasses that override ``backward``)."""
        return self._check_upstream(dy)


class Sigmoid(_Elementwise):
    """``f(x) = 1/(1+e^{-x})``; ``f'(x) = f(x)(1-f(x))``; x (*) -> y (*); twin: ``nn.Sigmoid``."""

    fresh_dx = True

    def _forward(self, x: np.ndarray, owned: bool) -> np.ndarray:
        self._shape = x.shape
        self.y = sigmoid(x)
        return self.y

    def _backward(self, dy: np.ndarray, owned: bool, need_dx: bool) -> np.ndarray | None:
        return dy * self.y * (1 - self.y) if need_dx else None


class Tanh(_Elementwise):
    """``f(x) = tanh(x)``; ``f'(x) = 1 - f(x)^2``; x (*) -> y (*); twin: ``nn.Tanh``."""

    fresh_dx = True

    def _forward(self, x: np.ndarray, owned: bool) -> np.ndarray:
        self._shape = x.shape
        self.y = np.tanh(x, out=x if owned else None)
        return self.y

    def _backward(self, dy: np.ndarray, owned: bool, need_dx: bool) -> np.ndarray | None:
        return dy * (1 - self.y * self.y) if need_dx else None


class ReLU(_Elementwise):
    """``f(x) = max(0, x)``; ``f'(x) = 1 if x > 0 else 0``; x (*) -> y (*); twin: ``nn.ReLU``.

    At the kink torch uses ``f'(0) = 0``, and so do we. Backward is ``dy * (y > 0)``: a
    blocked entry is a zero carrying ``dy``'s sign. Inside a network both passes work in
    place on the temporaries around them.
    """

    fresh_dx = True

    def _forward(self, x: np.ndarray, owned: bool) -> np.ndarray:
        self._shape = x.shape
        self.y = np.maximum(x, 0, out=x if owned else None)  # the mask is y > 0
        return self.y

    def _backward(self, dy: np.ndarray, owned: bool, need_dx: bool) -> np.ndarray | None:
        if not need_dx:
            return None
        return np.multiply(dy, self.y > 0, out=dy if owned else None)


class LeakyReLU(_Elementwise):
    """``f(x) = x if x > 0 else a*x``; ``f'(x) = 1 if x > 0 else a``; twin: ``nn.LeakyReLU``.

    ``a = negative_slope`` (0.01, torch's default). At the kink torch uses ``f'(0) = a``, and
    so do we. Forward and backward multiply by the cached slope ``f'(x)`` (1 or ``a``: the
    same products as a branch). x (*) -> y (*).
    """

    fresh_output = True  # y is x's buffer or a new array; the cache is the slope
    fresh_dx = True

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_real(negative_slope, "LeakyReLU negative_slope")

    def _forward(self, x: np.ndarray, owned: bool) -> np.ndarray:
        self._shape = x.shape
        slopes = np.array([self.negative_slope, 1], dtype=x.dtype)  # f' where x <= 0, x > 0
        self.slope = slopes.take((x > 0).view(np.uint8))  # (*)
        return np.multiply(x, self.slope, out=x if owned else None)

    def _backward(self, dy: np.ndarray, owned: bool, need_dx: bool) -> np.ndarray | None:
        if not need_dx:
            return None
        return np.multiply(dy, self.slope, out=dy if owned else None)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Identity(_Elementwise):
    """``f(x) = x``; ``f'(x) = 1``; x (*) -> y (*); twin: ``nn.Identity``.

    The "no non-linearity" activation: a stack of Linear + Identity collapses to one Linear.
    """

    def _forward(self, x: np.ndarray, owned: bool) -> np.ndarray:
        self._shape = x.shape
        return x

    def _backward(self, dy: np.ndarray, owned: bool, need_dx: bool) -> np.ndarray | None:
        return dy if need_dx else None


class Softmax(_Elementwise):
    """``y_i = e^{x_i} / sum_j e^{x_j}`` along ``dim``; twin: ``nn.Softmax(dim)``.

    Backward (the Jacobian ``diag(y) - y y^T`` applied to ``dy`` without forming it):
    ``dx = y * (dy - sum_j dy_j y_j)``. x (*) -> y (*), each slice along ``dim`` sums to 1.
    """

    fresh_dx = True

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def _forward(self, x: np.ndarray, owned: bool) -> np.ndarray:
        self._shape = x.shape
        self.y = softmax(x, self.dim)
        return self.y

    def _backward(self, dy: np.ndarray, owned: bool, need_dx: bool) -> np.ndarray | None:
        if not need_dx:
            return None
        dot = (dy * self.y).sum(axis=self.dim, keepdims=True)  # (*) with size 1 along dim
        return self.y * (dy - dot)  # (*)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


ACTIVATIONS: dict[str, type[Module]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "identity": Identity,
}


def make_activation(name: str) -> Module:
    """Build a hidden-layer activation by name (one of ``ACTIVATIONS``); twin:
    ``torch_impl.make_activation``."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()
