"""Logistic regression the way many people write it: a weight *vector* ``w`` (D,) and a
Python float bias ``c``, ``z = X @ w + c``; no hidden layer (``activation=[]``). Binary
(breast_cancer).

Planted mistakes: ``bug_float32_inside`` (casts everything to float32 inside, whatever it
is given: correct numbers, float32 rounding), ``bug_bias_mean`` (the bias gradient is the
mean of the per-example terms, where the loss's mean already divided by N).
"""

import numpy as np

from parity.check import Functional


def make(dtype=None, bias_mean=False):
    def loss_fn(X, y, params):
        w, c = params["w"], params["c"]
        if dtype is not None:
            X, y, w, c = (np.asarray(a, dtype) for a in (X, y, w, c))
        z = X @ w + c  # (N,)
        p = 1 / (1 + np.exp(-z))
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        dz = (p - y) / len(y)
        dc = dz.mean() if bias_mean else dz.sum()
        return float(loss), {"w": X.T @ dz, "c": dc}

    return loss_fn


def _params(seed=2):
    return {"w": 0.01 * np.random.default_rng(seed).standard_normal(30), "c": 0.0}


def implementation():
    return Functional(make(), _params(), activation=[], head="binary")


def bug_float32_inside():
    return Functional(make(np.float32), _params(), activation=[], head="binary")


def bug_bias_mean():
    return Functional(make(bias_mean=True), _params(), activation=[], head="binary")
