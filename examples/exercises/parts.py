"""The correct pieces the exercises are built from; each exercise writes one piece itself.

Layer objects in the style of many courses and blog posts: ``forward(x)`` keeps what the
backward needs; ``backward(dy)`` gets ``dy = dL/dy`` and returns ``dx = dL/dx``, and a
``Linear`` also stores its parameters' gradients ``dW`` and ``db``. Weights are stored
``(in, out)``: ``y = x @ W + b``. The network classifies the 8x8 ``digits`` images
(64 pixels, 10 classes): ``64 -> 32 -> act -> 16 -> act -> 10``, softmax cross-entropy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from parity.check import Functional, Layers

SIZES = (64, 32, 16, 10)


class Linear:
    """``y = x @ W + b``; ``W (in, out)``, ``b (out,)``."""

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator) -> None:
        bound = 1 / np.sqrt(n_in)  # torch's default: U(-1/sqrt(in), 1/sqrt(in))
        self.W = rng.uniform(-bound, bound, (n_in, n_out))
        self.b = rng.uniform(-bound, bound, n_out)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x  # (N, in)
        return x @ self.W + self.b  # (N, out)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self.dW = self.x.T @ dy  # (in, N) @ (N, out) = (in, out), the shape of W
        self.db = dy.sum(axis=0)  # b is added to every row: sum over the batch
        return dy @ self.W.T  # (N, out) @ (out, in) = (N, in)


class ReLU:
    """``y = max(0, x)``; ``dx = dy`` where ``x > 0``, else 0."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * (self.x > 0)


class Softmax:
    """``y_i = e^{x_i} / sum_j e^{x_j}`` per row."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(axis=1, keepdims=True))  # shifted by the row max: exp <= 1
        self.y = e / e.sum(axis=1, keepdims=True)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return self.y * (dy - (dy * self.y).sum(axis=1, keepdims=True))


class SoftmaxCrossEntropy:
    """Mean cross-entropy of the logits (N, C) against class indices (N,), as torch's
    ``nn.CrossEntropyLoss``; ``backward() = (softmax - onehot) / N``."""

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        self.p, self.y = e / e.sum(axis=1, keepdims=True), y  # (N, C), (N,)
        return float(-np.log(self.p[np.arange(len(y)), y]).mean())

    def backward(self) -> np.ndarray:
        d = self.p.copy()
        d[np.arange(len(self.y)), self.y] -= 1
        return d / len(self.y)


def network(act: type, linear: type = Linear, seed: int = 0) -> list[Any]:
    """``Linear, act, Linear, act, Linear`` for ``SIZES``, weights drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    return [
        linear(SIZES[0], SIZES[1], rng), act(),
        linear(SIZES[1], SIZES[2], rng), act(),
        linear(SIZES[2], SIZES[3], rng),
    ]  # fmt: skip


def layered(layers: list[Any], loss: Any = None, update: Any = None) -> Layers:
    """The layers and the loss (default: ``SoftmaxCrossEntropy``) as ``nn-parity check``
    takes them; ``update(layers, lr)``, when given, is your own update rule."""
    loss = SoftmaxCrossEntropy() if loss is None else loss
    return Layers(layers, loss, head="multiclass", update=update)


# ------------------------------------------------------------- the function style (CS231n)


def init_params(sizes: tuple[int, ...] = (64, 32, 10), seed: int = 0) -> dict[str, np.ndarray]:
    """``W1 (in, out)``, ``b1``, ``W2``, ``b2``... drawn like torch's default."""
    rng = np.random.default_rng(seed)
    params = {}
    for k in range(1, len(sizes)):
        bound = 1 / np.sqrt(sizes[k - 1])
        params[f"W{k}"] = rng.uniform(-bound, bound, (sizes[k - 1], sizes[k]))
        params[f"b{k}"] = rng.uniform(-bound, bound, sizes[k])
    return params


def two_layer(X: np.ndarray, y: np.ndarray, params: dict) -> tuple[float, dict]:
    """Loss and gradients of ``X -> @ W1 + b1 -> ReLU -> @ W2 + b2 -> softmax
    cross-entropy`` (mean over the batch)."""
    n = len(y)
    z = X @ params["W1"] + params["b1"]  # (N, H)
    h = np.maximum(z, 0)
    scores = h @ params["W2"] + params["b2"]  # (N, C)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dz = (dscores @ params["W2"].T) * (z > 0)
    grads = {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ dscores, "b2": dscores.sum(axis=0)}
    return float(loss), grads


def functional(loss_fn: Any, params: dict, update: Any = None) -> Functional:
    """``loss_fn(X, y, params) -> (loss, grads)`` as ``nn-parity check`` takes it."""
    return Functional(loss_fn, params, activation="relu", head="multiclass", update=update)
