"""A binary classifier written to look like PyTorch: ``Dense`` modules with ``weight`` of
shape (out, in), ``bias``, and gradients in ``weight_grad`` / ``bias_grad``; tanh then
sigmoid hidden layers; a ``BCEWithLogits`` loss on (N, 1) logits.

Planted mistakes: ``bug_sigmoid_from_input`` (sigmoid' computed from the pre-activation),
``bug_dW_transposed`` (``x.T @ dy``: the (in, out) formula on an (out, in) weight),
``bug_bce_sum`` (the BCE gradient without the 1/N of the mean).
"""

from __future__ import annotations

import numpy as np

from parity.check import Layers


class Dense:
    def __init__(self, in_features, out_features, generator, transposed_grad=False):
        k = 1.0 / np.sqrt(in_features)
        self.weight = generator.uniform(-k, k, size=(out_features, in_features))
        self.bias = generator.uniform(-k, k, size=(out_features,))
        self.weight_grad = None
        self.bias_grad = None
        self.transposed_grad = transposed_grad

    def forward(self, inputs):
        self._inputs = inputs
        return inputs @ self.weight.T + self.bias

    def backward(self, grad_output):
        if self.transposed_grad:
            self.weight_grad = self._inputs.T @ grad_output
        else:
            self.weight_grad = grad_output.T @ self._inputs
        self.bias_grad = grad_output.sum(0)
        return grad_output @ self.weight


class TanhModule:
    def forward(self, inputs):
        self._out = np.tanh(inputs)
        return self._out

    def backward(self, grad_output):
        return grad_output * (1.0 - self._out * self._out)


class SigmoidModule:
    def __init__(self, from_input=False):
        self.from_input = from_input

    def forward(self, inputs):
        self._in = inputs
        self._out = np.where(
            inputs >= 0,
            1 / (1 + np.exp(-np.abs(inputs))),
            np.exp(-np.abs(inputs)) / (1 + np.exp(-np.abs(inputs))),
        )
        return self._out

    def backward(self, grad_output):
        s = self._in if self.from_input else self._out
        return grad_output * s * (1.0 - s)


class BCEWithLogits:
    def __init__(self, mean_grad=True):
        self.mean_grad = mean_grad

    def forward(self, logits, targets):
        self._z, self._t = logits, targets.reshape(logits.shape)
        losses = np.maximum(self._z, 0) - self._z * self._t + np.log1p(np.exp(-np.abs(self._z)))
        return float(losses.mean())

    def backward(self):
        p = np.where(
            self._z >= 0, 1 / (1 + np.exp(-self._z)), np.exp(self._z) / (1 + np.exp(self._z))
        )
        grad = p - self._t
        return grad / grad.size if self.mean_grad else grad


def _model(*, sigmoid_from_input=False, transposed_grad=False, mean_grad=True):
    gen = np.random.default_rng(42)
    modules = [
        Dense(30, 24, gen, transposed_grad),
        TanhModule(),
        Dense(24, 12, gen, transposed_grad),
        SigmoidModule(sigmoid_from_input),
        Dense(12, 1, gen, transposed_grad),
    ]
    return Layers(
        modules,
        BCEWithLogits(mean_grad),
        head="binary",
        weight="weight",
        bias="bias",
        grad_weight="weight_grad",
        grad_bias="bias_grad",
    )


def implementation():
    return _model()


def bug_sigmoid_from_input():
    return _model(sigmoid_from_input=True)


def bug_dW_transposed():
    return _model(transposed_grad=True)


def bug_bce_sum():
    return _model(mean_grad=False)
