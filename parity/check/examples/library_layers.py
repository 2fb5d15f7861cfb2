"""Layer objects as libraries and books write them, checked through ``Wrapped`` and
``WrappedLoss`` (``parity.check.adapters.wrappers``), each in a builder returning ``Layers``:

- ``stored()``: nnfs ("Neural Networks from Scratch"): ``forward`` stores ``self.output``,
  ``backward`` stores ``self.dinputs`` / ``self.dweights`` / ``self.dbiases``, both return
  nothing; the loss's ``calculate(output, y)`` and ``backward(dvalues, y)``;
- ``renamed()``: ``forward_pass`` / ``backward_pass``;
- ``in_place()``: ``backward(grad, lr)`` updates the weights itself and keeps no gradient;
- ``optimizer_inside()``: each layer holds its optimizer and steps it in ``backward``.

``mistake="bias_not_summed"`` plants one mistake in any of them (the bias gradient kept per
example, marked ``# MISTAKE``), to show that the wrapped layers are judged as any other.
A 64-32-10 ReLU classifier for ``digits`` in each.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from parity.check.adapters.layers import Layers
from parity.check.adapters.wrappers import Wrapped, WrappedLoss


def _db(dvalues: np.ndarray, mistake: str | None) -> np.ndarray:
    if mistake == "bias_not_summed":
        return dvalues  # MISTAKE: kept per example
    return np.sum(dvalues, axis=0, keepdims=True)


class DenseStored:
    """nnfs's ``Layer_Dense``: weights ``(in, out)``, biases ``(1, out)``."""

    def __init__(self, n_inputs: int, n_neurons: int, rng: Any, mistake: str | None = None) -> None:
        self.weights = 0.1 * rng.standard_normal((n_inputs, n_neurons))
        self.biases = np.zeros((1, n_neurons))
        self.mistake = mistake

    def forward(self, inputs: np.ndarray) -> None:
        self.inputs = inputs
        self.output = inputs @ self.weights + self.biases

    def backward(self, dvalues: np.ndarray) -> None:
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = _db(dvalues, self.mistake)
        self.dinputs = dvalues @ self.weights.T


class ReLUStored:
    def forward(self, inputs: np.ndarray) -> None:
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues: np.ndarray) -> None:
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


class SoftmaxCrossEntropyStored:
    """nnfs's combined softmax and categorical cross-entropy."""

    def calculate(self, output: np.ndarray, y: np.ndarray) -> float:
        e = np.exp(output - output.max(axis=1, keepdims=True))
        self.probs = e / e.sum(axis=1, keepdims=True)
        return float(np.mean(-np.log(self.probs[range(len(y)), y])))

    def backward(self, dvalues: np.ndarray, y_true: np.ndarray) -> None:
        n = len(dvalues)
        self.dinputs = self.probs.copy()
        self.dinputs[range(n), y_true] -= 1
        self.dinputs = self.dinputs / n


def stored(mistake: str | None = None, seed: int = 0) -> Layers:
    rng = np.random.default_rng(seed)
    raw = [DenseStored(64, 32, rng, mistake), ReLUStored(), DenseStored(32, 10, rng)]
    layers = [Wrapped(layer, output="output", dinput="dinputs") for layer in raw]
    loss = WrappedLoss(SoftmaxCrossEntropyStored(), forward="calculate", dinput="dinputs",
                       backward_args=True)  # fmt: skip
    return Layers(layers, loss, weight="weights", bias="biases", grad_weight="dweights",
                  grad_bias="dbiases")  # fmt: skip


class DenseRenamed:
    def __init__(self, n_in: int, n_out: int, rng: Any, mistake: str | None = None) -> None:
        self.W = rng.uniform(-1, 1, (n_in, n_out)) / np.sqrt(n_in)
        self.b = np.zeros(n_out)
        self.mistake = mistake

    def forward_pass(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.W + self.b

    def backward_pass(self, grad: np.ndarray) -> np.ndarray:
        self.dW = self.x.T @ grad
        self.db = grad if self.mistake else grad.sum(axis=0)  # MISTAKE (bias_not_summed)
        return grad @ self.W.T


class ReLURenamed:
    def forward_pass(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return x * self.mask

    def backward_pass(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.mask


class CrossEntropy:
    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        self.p, self.y = e / e.sum(axis=1, keepdims=True), y
        return float(-np.log(self.p[np.arange(len(y)), y]).mean())

    def backward(self) -> np.ndarray:
        d = self.p.copy()
        d[np.arange(len(self.y)), self.y] -= 1
        return d / len(self.y)


def renamed(mistake: str | None = None, seed: int = 0) -> Layers:
    rng = np.random.default_rng(seed)
    raw = [DenseRenamed(64, 32, rng, mistake), ReLURenamed(), DenseRenamed(32, 10, rng)]
    layers = [Wrapped(layer, forward="forward_pass", backward="backward_pass") for layer in raw]
    return Layers(layers, CrossEntropy())


class DenseInPlace(DenseRenamed):
    """``backward(grad, lr)``: SGD on its own weights, no gradient kept."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.forward_pass(x)

    def backward(self, grad: np.ndarray, lr: float) -> np.ndarray:
        dx = grad @ self.W.T
        self.W -= lr * (self.x.T @ grad)
        db = grad if self.mistake else grad.sum(axis=0)  # MISTAKE (bias_not_summed): per example
        self.b = self.b - lr * db
        return dx


class ReLUInPlace(ReLURenamed):
    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.forward_pass(x)

    def backward(self, grad: np.ndarray, lr: float) -> np.ndarray:
        return self.backward_pass(grad)


def in_place(mistake: str | None = None, seed: int = 0) -> Layers:
    rng = np.random.default_rng(seed)
    raw = [DenseInPlace(64, 32, rng, mistake), ReLUInPlace(), DenseInPlace(32, 10, rng)]
    layers = [Wrapped(layer, in_place_lr=1.0) for layer in raw]
    return Layers(layers, CrossEntropy(), grad_weight="grad_W", grad_bias="grad_b")


class SGD:
    def __init__(self, lr: float) -> None:
        self.lr = lr

    def step(self, param: np.ndarray, grad: np.ndarray) -> None:
        param -= self.lr * grad


class DenseWithOptimizer(DenseInPlace):
    """The optimizer lives in the layer; ``backward(grad)`` steps it."""

    def __init__(
        self, n_in: int, n_out: int, rng: Any, optimizer: SGD, mistake: str | None
    ) -> None:
        super().__init__(n_in, n_out, rng, mistake)
        self.optimizer = optimizer

    def backward(self, grad: np.ndarray) -> np.ndarray:  # type: ignore[override]
        dx = grad @ self.W.T
        self.optimizer.step(self.W, self.x.T @ grad)
        db = grad if self.mistake else grad.sum(axis=0)  # MISTAKE (bias_not_summed): per example
        self.b = self.b - self.optimizer.lr * db
        return dx


def optimizer_inside(mistake: str | None = None, seed: int = 0) -> Layers:
    rng = np.random.default_rng(seed)
    opt = SGD(lr=1.0)  # plain SGD during the check: the gradient is read from the change
    raw = [DenseWithOptimizer(64, 32, rng, opt, mistake), ReLURenamed(),
           DenseWithOptimizer(32, 10, rng, opt, None)]  # fmt: skip
    layers = [
        Wrapped(raw[0], in_place_lr=opt.lr, pass_lr=False),
        Wrapped(raw[1], forward="forward_pass", backward="backward_pass"),
        Wrapped(raw[2], in_place_lr=opt.lr, pass_lr=False),
    ]
    return Layers(layers, CrossEntropy(), grad_weight="grad_W", grad_bias="grad_b")
