"""Exercise 6: the weight gradient, and which way round it goes.

A linear layer computes ``y = x @ W + b`` with ``x`` (N, in) and ``W`` stored (in, out)
(torch's ``nn.Linear`` stores its weight the other way, (out, in)). Write the weight
gradient ``self.dW`` in ``Linear.backward``: it must have the shape of ``W``. The line there
now is wrong. Run

    nn-parity check examples/exercises/ex06_weight_gradient.py

and correct it until the check says "no divergence".
A solution: solutions/ex06_weight_gradient.py.
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
        # YOUR CODE: self.dW, shape (in, out)
        self.dW = dy.T @ self.x
        self.db = dy.sum(axis=0)
        return dy @ self.W.T


def implementation() -> Layers:
    return layered(network(ReLU, linear=Linear))
