"""Solution of exercise 9. After the step, clear the accumulated gradients, as
optimizer.zero_grad() does.

    nn-parity check examples/exercises/solutions/ex09_zero_grad.py --steps 3
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # parts.py is one folder up

from typing import Any

import numpy as np

from parity.check import Layers

from parts import ReLU, layered, network


class AccumulatingLinear:
    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator) -> None:
        bound = 1 / np.sqrt(n_in)
        self.W = rng.uniform(-bound, bound, (n_in, n_out))
        self.b = rng.uniform(-bound, bound, n_out)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.W + self.b

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self.dW += self.x.T @ dy  # adds, as torch does into .grad
        self.db += dy.sum(axis=0)
        return dy @ self.W.T


def update(layers: list[Any], lr: float) -> None:
    for layer in layers:
        if isinstance(layer, AccumulatingLinear):
            layer.W -= lr * layer.dW
            layer.b -= lr * layer.db
            layer.dW[...] = 0  # zero_grad: the next backward adds into zeros
            layer.db[...] = 0


def implementation() -> Layers:
    return layered(network(ReLU, linear=AccumulatingLinear), update=update)
