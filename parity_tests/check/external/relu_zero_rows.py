"""A one-hidden-layer ReLU classifier as one function, weights (in, out), zero biases, checked
on rows of which every fourth is all zeros (padding, an empty document): there every hidden
pre-activation is exactly 0, a kink of the loss, where torch's ReLU gradient is 0 by
convention. ``data()`` gives those rows (8 features, 3 classes).

Planted mistakes: ``bug_mask_ge`` (the mask ``z >= 0`` lets gradient through at exactly 0),
``bug_accumulating_grads`` (the gradient dict lives between calls and is added into, never
reset), ``bug_activation_name`` (the network computes tanh, ``activation`` was left at relu).
"""

import numpy as np

from parity.check import Functional


def data(n=64, d=8, c=3, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[::4] = 0.0
    return X, rng.integers(0, c, n)


def params(d=8, h=16, c=3, seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(0, 0.3, (d, h)), "b1": np.zeros(h),
            "W2": rng.normal(0, 0.3, (h, c)), "b2": np.zeros(c)}  # fmt: skip


def net(X, y, P, mask=">", act="relu"):
    n = len(y)
    z = X @ P["W1"] + P["b1"]
    h = np.maximum(z, 0) if act == "relu" else np.tanh(z)
    s = h @ P["W2"] + P["b2"]
    s = s - s.max(1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    d = p.copy()
    d[np.arange(n), y] -= 1
    d /= n
    grads = {"W2": h.T @ d, "b2": d.sum(0)}
    dh = d @ P["W2"].T
    if act == "tanh":
        dz = dh * (1 - h**2)
    else:
        dz = dh * ((z >= 0) if mask == ">=" else (z > 0))
    grads["W1"] = X.T @ dz
    grads["b1"] = dz.sum(0)
    return loss, grads


def implementation():
    return Functional(net, params(), activation="relu")


def bug_mask_ge():
    return Functional(lambda X, y, P: net(X, y, P, mask=">="), params(), activation="relu")


def bug_accumulating_grads():
    kept = {}

    def loss_fn(X, y, P):
        loss, grads = net(X, y, P)
        for k, g in grads.items():
            if k in kept:
                kept[k] += g  # MISTAKE: never reset between calls
            else:
                kept[k] = g.copy()
        return loss, kept

    return Functional(loss_fn, params(), activation="relu")


def bug_activation_name():
    return Functional(lambda X, y, P: net(X, y, P, act="tanh"), params())  # relu by default
