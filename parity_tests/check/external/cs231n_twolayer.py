"""A CS231n-assignment-style TwoLayerNet, as a student would write it.

A class holding ``self.params`` ('W1', 'b1', 'W2', 'b2'; weights (in, out)) and a ``loss``
method returning ``(loss, grads)``. Multiclass, ReLU. Written in the style of the course,
not of this repository. Planted mistakes: ``bug_no_mean`` (forgets to divide dscores by N),
``bug_db1_rows`` (db1 not summed), ``bug_reg_form`` (loss has reg*sum(W^2) but the gradient
adds reg*W: half the derivative).
"""

# ruff: noqa: NPY002, UP004, RUF059  (another person's style, on purpose)

import numpy as np

from parity.check import Functional


class TwoLayerNet(object):
    def __init__(self, input_size, hidden_size, output_size, std=1e-1, reg=0.0, mistake=None):
        np.random.seed(3)
        self.params = {}
        self.params["W1"] = std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = std * np.random.randn(hidden_size)
        self.params["W2"] = std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = std * np.random.randn(output_size)
        self.reg = reg
        self.mistake = mistake

    def loss(self, X, y=None, params=None):
        p = self.params if params is None else params
        W1, b1 = p["W1"], p["b1"]
        W2, b2 = p["W2"], p["b2"]
        N, D = X.shape

        hidden = np.maximum(0, X.dot(W1) + b1)
        scores = hidden.dot(W2) + b2
        if y is None:
            return scores

        scores = scores - np.max(scores, axis=1, keepdims=True)
        exp_scores = np.exp(scores)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        loss = -np.sum(np.log(probs[np.arange(N), y])) / N
        loss += self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

        grads = {}
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        if self.mistake != "no_mean":
            dscores /= N
        grads["W2"] = hidden.T.dot(dscores)
        grads["b2"] = np.sum(dscores, axis=0)
        dhidden = dscores.dot(W2.T)
        dhidden[hidden <= 0] = 0
        grads["W1"] = X.T.dot(dhidden)
        grads["b1"] = dhidden if self.mistake == "db1_rows" else np.sum(dhidden, axis=0)
        factor = 1 if self.mistake == "reg_form" else 2
        grads["W2"] += factor * self.reg * W2
        grads["W1"] += factor * self.reg * W1
        return loss, grads


def _wrap(net):
    return Functional(
        lambda X, y, params: net.loss(X, y, params),
        net.params,
        activation="relu",
        head="multiclass",
    )


def implementation():
    return _wrap(TwoLayerNet(64, 20, 10))


def bug_no_mean():
    return _wrap(TwoLayerNet(64, 20, 10, mistake="no_mean"))


def bug_db1_rows():
    return _wrap(TwoLayerNet(64, 20, 10, mistake="db1_rows"))


def bug_reg_form():
    return _wrap(TwoLayerNet(64, 20, 10, reg=0.05, mistake="reg_form"))


def correct_with_reg():
    """The reg as the course writes it (loss reg*W^2, gradient 2*reg*W): a different
    definition from torch's loss, consistent in itself."""
    return _wrap(TwoLayerNet(64, 20, 10, reg=0.05))
