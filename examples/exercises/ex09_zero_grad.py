"""Exercise 9: clearing the gradients, as optimizer.zero_grad() does.

These linear layers *add* their gradients into ``dW`` and ``db``, as torch adds into
``.grad``. Write ``update(layers, lr)``: one SGD step for every linear layer, leaving the
layers ready for the next step. The update there now is wrong. Run

    nn-parity check examples/exercises/ex09_zero_grad.py --steps 3

and correct it until the check says "no divergence".
A solution: solutions/ex09_zero_grad.py.
"""

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
            # YOUR CODE: one SGD step, and the layer ready for the next backward
            layer.W -= lr * layer.dW
            layer.b -= lr * layer.db


def implementation() -> Layers:
    return layered(network(ReLU, linear=AccumulatingLinear), update=update)
