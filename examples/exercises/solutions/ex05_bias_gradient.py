"""Solution of exercise 5. The bias is added to every row, so its gradient is the sum of dy over
the batch.

    nn-parity check examples/exercises/solutions/ex05_bias_gradient.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # parts.py is one folder up

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
        self.db = dy.sum(axis=0)  # (out,)
        return dy @ self.W.T


def implementation() -> Layers:
    return layered(network(ReLU, linear=Linear))
