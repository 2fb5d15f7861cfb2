"""Exercise 5: the bias gradient.

A linear layer computes ``y = x @ W + b`` for a batch of rows ``x`` (N, in); the same bias
``b`` (out,) is added to every row. Write the bias gradient ``self.db`` in
``Linear.backward``: it must have the shape of ``b``. The line there now is wrong. Run

    nn-parity check examples/exercises/ex05_bias_gradient.py

and correct it until the check says "no divergence".
A solution: solutions/ex05_bias_gradient.py.
"""

import numpy as np

from parity.check import Layers

from parts import ReLU, layered, network


class Linear:
    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator) -> None:
        bound = 1 / np.sqrt(n_in)
        self.W = rng.uniform(-bound, bound, (n_in, n_out))
        self.b = rng.uniform(-bound, bound, n_out)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x  # (N, in)
        return x @ self.W + self.b  # (N, out)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self.dW = self.x.T @ dy  # (in, out)
        # YOUR CODE: self.db, shape (out,)
        self.db = dy
        return dy @ self.W.T


def implementation() -> Layers:
    return layered(network(ReLU, linear=Linear))
