"""Solution of exercise 11. W2 is stored (in, out), so the forward is h @ W2; h @ W2.T is torch's
(out, in) formula, and W2 being square let it run.

    nn-parity check examples/exercises/solutions/ex11_find_the_mistake.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # parts.py is one folder up

import numpy as np

from parity.check import Functional

from parts import functional, init_params


def loss_fn(X: np.ndarray, y: np.ndarray, params: dict) -> tuple[float, dict]:
    n = len(y)
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]  # W: (in, out)
    z = X @ W1 + b1  # (N, 10)
    h = np.maximum(z, 0)
    scores = h @ W2 + b2  # (N, 10)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dz = (dscores @ W2.T) * (z > 0)
    grads = {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ dscores, "b2": dscores.sum(axis=0)}
    return float(loss), grads


def implementation() -> Functional:
    return functional(loss_fn, init_params((64, 10, 10)))
