"""Exercise 7: a mean, not a sum.

``loss_fn`` below is a two-layer classifier in the CS231n style: it returns the loss and the
gradient of every parameter. Its gradients are right for its loss, and still the check
fails: its loss is not the one torch's ``nn.CrossEntropyLoss`` computes by default. Run

    nn-parity check examples/exercises/ex07_mean_vs_sum.py

read the verdict, and change the loss (and, to match, its gradient) until the check says
"no divergence". A solution: solutions/ex07_mean_vs_sum.py.
"""

import numpy as np

from parity.check import Functional

from parts import functional, init_params


def loss_fn(X: np.ndarray, y: np.ndarray, params: dict) -> tuple[float, dict]:
    n = len(y)
    z = X @ params["W1"] + params["b1"]  # (N, H)
    h = np.maximum(z, 0)
    scores = h @ params["W2"] + params["b2"]  # (N, C)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    # YOUR CODE: the loss and dL/dscores
    loss = -np.log(probs[np.arange(n), y]).sum()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dz = (dscores @ params["W2"].T) * (z > 0)
    grads = {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ dscores, "b2": dscores.sum(axis=0)}
    return float(loss), grads


def implementation() -> Functional:
    return functional(loss_fn, init_params())
