"""Exercise 1: the ReLU backward.

ReLU computes ``y = max(0, x)``. Write ``ReLU.backward``: given ``dy = dL/dy`` (N, H), return
``dx = dL/dx`` (N, H). The line there now is a first try many people write, and it is wrong.
Run

    nn-parity check examples/exercises/ex01_relu_backward.py

read the first divergence and its diagnosis, and correct the backward until the check says
"no divergence". A solution: solutions/ex01_relu_backward.py.
"""

import numpy as np

from parity.check import Layers

from parts import layered, network


class ReLU:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        # YOUR CODE: dx = dL/dx
        return dy * (dy > 0)


def implementation() -> Layers:
    return layered(network(ReLU))
