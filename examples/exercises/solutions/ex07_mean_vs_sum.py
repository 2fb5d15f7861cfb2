"""Solution of exercise 7. torch's losses take the mean over the batch by default
(reduction='mean'): the loss and its gradient both get the 1/N.

    nn-parity check examples/exercises/solutions/ex07_mean_vs_sum.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # parts.py is one folder up

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
    loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dz = (dscores @ params["W2"].T) * (z > 0)
    grads = {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ dscores, "b2": dscores.sum(axis=0)}
    return float(loss), grads


def implementation() -> Functional:
    return functional(loss_fn, init_params())
