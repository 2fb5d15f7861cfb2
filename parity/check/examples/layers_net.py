"""A blog-style network of layer objects: ``forward(x)``, ``backward(dy)``, weights ``(in, out)``.

The classes first are correct. Each mistake in ``MISTAKES`` is a small subclass overriding
the one method that makes it, marked ``# MISTAKE``. ``build(...)`` assembles a network of
them; ``update_rule(name)`` gives update rules ``update(layers, lr)``.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np


class Linear:
    """``y = x @ W + b`` with ``W (in, out)``; backward stores ``dW``, ``db`` (assigned)."""

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator) -> None:
        bound = 1 / np.sqrt(n_in)
        self.W = rng.uniform(-bound, bound, (n_in, n_out))
        self.b = rng.uniform(-bound, bound, n_out)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.W + self.b

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self.dW = self.x.T @ dy
        self.db = dy.sum(axis=0)
        return dy @ self.W.T


class ReLU:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return x * self.mask

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * self.mask


class LeakyReLU:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.slope = np.where(x > 0, 1.0, 0.01)
        return x * self.slope

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * self.slope


class Tanh:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x, self.y = x, np.tanh(x)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * (1 - self.y**2)


class Sigmoid:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x, self.y = x, 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * self.y * (1 - self.y)


class Softmax:
    def forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y = e / e.sum(axis=1, keepdims=True)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return self.y * (dy - (dy * self.y).sum(axis=1, keepdims=True))


class SoftmaxCrossEntropy:
    """Mean cross-entropy on logits; ``backward() = (softmax - onehot) / N``."""

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        self.p, self.y = e / e.sum(axis=1, keepdims=True), y
        return float(-np.log(self.p[np.arange(len(y)), y]).mean())

    def backward(self) -> np.ndarray:
        d = self.p.copy()
        d[np.arange(len(self.y)), self.y] -= 1
        return d / len(self.y)


class MeanSquaredError:
    """``mean((out - y)^2)`` for an ``(N, 1)`` output and ``(N,)`` targets."""

    def forward(self, out: np.ndarray, y: np.ndarray) -> float:
        self.diff = out - y.reshape(-1, 1)
        return float((self.diff**2).mean())

    def backward(self) -> np.ndarray:
        return 2 * self.diff / self.diff.size


# ----------------------------------------------------------------------- the planted mistakes


class ReLUMaskFromGradient(ReLU):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * (dy > 0)  # MISTAKE: the mask of the gradient, not of the input


class LeakyReLUAsReLU(LeakyReLU):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * (self.slope == 1)  # MISTAKE: 0 where torch passes 0.01 * dy


class TanhFromInput(Tanh):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * (1 - self.x**2)  # MISTAKE: derivative of the input x, not the output y


class SigmoidMissingFactor(Sigmoid):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * self.y  # MISTAKE: y (1 - y) without the (1 - y)


class LinearBiasNotSummed(Linear):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx = super().backward(dy)
        self.db = dy  # MISTAKE: per-example rows, not summed over the batch
        return dx


class LinearCastsToFloat32(Linear):
    def forward(self, x: np.ndarray) -> np.ndarray:
        return super().forward(x.astype(np.float32))  # MISTAKE (of precision): a cast

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return super().backward(dy.astype(np.float32))


class LinearFloat32Params(Linear):
    """Parameters created in float32, gradients written into buffers made from them."""

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator) -> None:
        super().__init__(n_in, n_out, rng)
        self.W, self.b = self.W.astype(np.float32), self.b.astype(np.float32)  # MISTAKE
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self.dW[...] = self.x.T @ dy  # in place: the float32 buffer keeps its dtype
        self.db[...] = dy.sum(axis=0)
        return dy @ self.W.T


class LinearTransposedGrad(Linear):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx = super().backward(dy)
        self.dW = dy.T @ self.x  # MISTAKE: torch's (out, in) formula on an (in, out) W
        return dx


class LinearTransposedForward(Linear):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.W.T + self.b  # MISTAKE: torch's x @ W.T on an (in, out) W (square)


class LinearAccumulating(Linear):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        self.dW = self.dW + self.x.T @ dy  # adds, as torch does: the update must clear it
        self.db = self.db + dy.sum(axis=0)
        return dy @ self.W.T


class CrossEntropyMissingMean(SoftmaxCrossEntropy):
    def backward(self) -> np.ndarray:
        d = self.p.copy()
        d[np.arange(len(self.y)), self.y] -= 1
        return d  # MISTAKE: the mean's 1/N left out


class HalfMeanSquaredError(MeanSquaredError):
    def forward(self, out: np.ndarray, y: np.ndarray) -> float:
        return 0.5 * super().forward(out, y)  # MISTAKE (of definition): ½·MSE

    def backward(self) -> np.ndarray:
        return self.diff / self.diff.size  # consistent with the ½


class TanhAtOutput(Tanh):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * (1 - np.tanh(self.y) ** 2)  # MISTAKE: tanh'(y), not tanh'(x) = 1 - y²


class BCEOnEveryOutput:
    """A binary cross-entropy on every softmax output, summed over the classes."""

    def forward(self, p: np.ndarray, y: np.ndarray) -> float:
        self.p, self.t = p, np.eye(p.shape[1])[y]
        bce = -(self.t * np.log(p) + (1 - self.t) * np.log(1 - p))
        return float(bce.sum() / len(p))  # MISTAKE (of definition): not -log p[y]

    def backward(self) -> np.ndarray:
        return (self.p - self.t) / (self.p * (1 - self.p)) / len(self.p)


class LinearL2(Linear):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx = super().backward(dy)
        self.dW = self.dW + 0.01 * self.W  # MISTAKE (of definition): an L2 weight penalty
        return dx


class ProbsCrossEntropy:
    """Cross-entropy on probabilities (after a ``Softmax`` layer): ``-mean log p[y]``."""

    def forward(self, p: np.ndarray, y: np.ndarray) -> float:
        self.p, self.y = p, y
        return float(-np.log(p[np.arange(len(y)), y]).mean())

    def backward(self) -> np.ndarray:
        d = np.zeros_like(self.p)
        d[np.arange(len(self.y)), self.y] = -1 / self.p[np.arange(len(self.y)), self.y]
        return d / len(self.y)


class ProbsCrossEntropyLogitGrad(ProbsCrossEntropy):
    def backward(self) -> np.ndarray:
        d = self.p.copy()
        d[np.arange(len(self.y)), self.y] -= 1
        return d / len(self.y)  # MISTAKE: dL/dlogits, and the Softmax layer applies its own


class QuadraticCost(ProbsCrossEntropy):
    def forward(self, p: np.ndarray, y: np.ndarray) -> float:
        self.p, self.y = p, y
        self.t = np.eye(p.shape[1])[y]
        return float(0.5 * ((p - self.t) ** 2).sum() / len(y))  # MISTAKE (of definition)

    def backward(self) -> np.ndarray:
        return (self.p - self.t) / len(self.y)


class MeanSquaredErrorOnProbs:
    """``mean((p - y)^2)`` on a sigmoid's output: a regression loss on a binary head."""

    def forward(self, p: np.ndarray, y: np.ndarray) -> float:
        self.diff = p - y.reshape(-1, 1)
        return float((self.diff**2).mean())  # MISTAKE (of definition): not the BCE

    def backward(self) -> np.ndarray:
        return 2 * self.diff / self.diff.size


ACTIVATIONS: dict[str, type] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
}


def build(
    sizes: tuple[int, ...],
    activation: str = "relu",
    *,
    seed: int = 0,
    linear: type = Linear,
    act: type | None = None,
    output: type | None = None,
    linear_at: dict[int, type] | None = None,
) -> list[Any]:
    """``Linear, act, ..., Linear[, output]`` with the given classes (``linear_at``: a
    different class for the k-th Linear)."""
    rng = np.random.default_rng(seed)
    layers: list[Any] = []
    for k, (fan_in, fan_out) in enumerate(pairwise(sizes)):
        if k:
            layers.append((act or ACTIVATIONS[activation])())
        layers.append((linear_at or {}).get(k, linear)(fan_in, fan_out, rng))
    if output is not None:
        layers.append(output())
    return layers


def update_rule(name: str = "sgd") -> Callable[[list[Any], float], None]:
    """``update(layers, lr)``: ``"sgd"`` (clears the gradients after the step), ``"sgd_no_zero"``
    (does not clear them: with accumulating layers a mistake), ``"adam_eps_inside"`` (Adam with
    eps inside the square root: a mismatch)."""
    state: dict[tuple[int, str], Any] = {}

    def update(layers: list[Any], lr: float) -> None:
        for layer in (x for x in layers if hasattr(x, "W")):
            for attr, grad in (("W", "dW"), ("b", "db")):
                g = getattr(layer, grad)
                if name == "adam_eps_inside":
                    t, m, v = state.get((id(layer), attr), (0, 0, 0))
                    t, m, v = t + 1, 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
                    state[(id(layer), attr)] = (t, m, v)
                    mhat, vhat = m / (1 - 0.9**t), v / (1 - 0.999**t)
                    g = mhat / np.sqrt(vhat + 1e-8)  # MISTAKE: torch adds eps after the sqrt
                getattr(layer, attr)[...] -= lr * g
                if name != "sgd_no_zero":
                    getattr(layer, grad)[...] = 0  # clear for the next step (zero_grad)

    return update
