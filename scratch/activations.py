"""Activation functions ``a = f(z)``, each with its hand-written derivative. Each caches the
cheapest thing its backward needs: the output for Sigmoid, Tanh and Softmax, the mask
``x > 0`` for ReLU and Leaky ReLU."""

from typing import Any

import numpy as np

from ._checks import check_real, check_upstream
from .module import Module


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1/(1+e^{-x})`` split by sign, so ``exp`` never overflows: with ``e = e^{-|x|}`` in
    (0, 1], it is ``1/(1+e)`` for x >= 0 and the same value ``e/(1+e)`` for x < 0."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """``e^{x_i} / sum_j e^{x_j}`` along ``dim``, shifted by the max so ``exp`` <= 1."""
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


class Activation(Module):
    """A function without parameters; it caches ``y`` or ``mask``, of the output's shape."""

    y: Any = None  # the output, for Sigmoid, Tanh, Softmax and Identity
    mask: Any = None  # x > 0, for ReLU and LeakyReLU

    def check_dy(self, dy: np.ndarray, cached: np.ndarray | None) -> np.ndarray:
        shape = None if cached is None else cached.shape
        return check_upstream(dy, shape, type(self).__name__)


class Sigmoid(Activation):
    """``f(x) = 1/(1+e^{-x})``; ``f'(x) = f(x)(1-f(x))``; x (*) -> y (*); twin: ``nn.Sigmoid``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = sigmoid(x)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return self.check_dy(dy, self.y) * self.y * (1 - self.y)


class Tanh(Activation):
    """``f(x) = tanh(x)``; ``f'(x) = 1 - f(x)^2``; x (*) -> y (*); twin: ``nn.Tanh``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(x)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return self.check_dy(dy, self.y) * (1 - self.y * self.y)


class ReLU(Activation):
    """``f(x) = max(0, x)``; ``f'(x) = 1 if x > 0 else 0`` (``f'(0) = 0``, as torch);
    x (*) -> y (*); twin: ``nn.ReLU``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return self.check_dy(dy, self.mask) * self.mask


class LeakyReLU(Activation):
    """``f(x) = x if x > 0 else a*x``; ``f'(x) = 1 if x > 0 else a`` (``f'(0) = a``, as
    torch), ``a = negative_slope``; x (*) -> y (*); twin: ``nn.LeakyReLU``."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = check_real(negative_slope, "LeakyReLU negative_slope")

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return np.where(self.mask, x, self.negative_slope * x)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return np.where(self.mask, self.check_dy(dy, self.mask), self.negative_slope * dy)


class Identity(Activation):
    """``f(x) = x``; ``f'(x) = 1``; x (*) -> y (*); twin: ``nn.Identity``. Without a
    non-linearity, a stack of Linear layers collapses to one Linear."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = x
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return self.check_dy(dy, self.y)


class Softmax(Activation):
    """``y_i = e^{x_i} / sum_j e^{x_j}`` along ``dim``; ``dx = y * (dy - sum_j dy_j y_j)``
    (the Jacobian ``diag(y) - y y^T`` applied to ``dy``); x (*) -> y (*); twin: ``nn.Softmax``."""

    def __init__(self, dim: int = -1) -> None:
        self.dim = dim

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = softmax(x, self.dim)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        y = self.y
        dot = (self.check_dy(dy, y) * y).sum(axis=self.dim, keepdims=True)  # size 1 along dim
        return y * (dy - dot)  # (*)


ACTIVATIONS: dict[str, type[Module]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "identity": Identity,
}


def make_activation(name: str) -> Module:
    """A hidden-layer activation by name; twin: ``torch_impl.make_activation``."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()
