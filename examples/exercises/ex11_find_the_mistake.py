"""Exercise 11: find the mistake.

Each of this network's gradients agrees with finite differences of its own loss, and still
it is not the network torch builds from the same weights. One line of ``loss_fn`` is wrong
(its hidden layer has 10 units, as many as there are classes). Run

    nn-parity check examples/exercises/ex11_find_the_mistake.py

find it, and fix it (and what follows from it) until the check says "no divergence".
A solution: solutions/ex11_find_the_mistake.py.
"""

import numpy as np

from parity.check import Functional

from parts import functional, init_params


def loss_fn(X: np.ndarray, y: np.ndarray, params: dict) -> tuple[float, dict]:
    n = len(y)
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]  # W: (in, out)
    z = X @ W1 + b1  # (N, 10)
    h = np.maximum(z, 0)
    scores = h @ W2.T + b2  # (N, 10)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dz = (dscores @ W2) * (z > 0)
    grads = {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": dscores.T @ h, "b2": dscores.sum(axis=0)}
    return float(loss), grads


def implementation() -> Functional:
    return functional(loss_fn, init_params((64, 10, 10)))
