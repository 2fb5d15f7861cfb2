"""Exercise 2: the sigmoid backward.

The sigmoid computes ``y = 1 / (1 + e^-x)``; its forward keeps its output ``y``. Write
``Sigmoid.backward``: given ``dy = dL/dy``, return ``dx = dL/dx``, using the cached ``y``.
The line there now is wrong. Run

    nn-parity check examples/exercises/ex02_sigmoid_backward.py

and correct the backward until the check says "no divergence".
A solution: solutions/ex02_sigmoid_backward.py.
"""

import numpy as np

from parity.check import Layers

from parts import layered, network


class Sigmoid:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        # YOUR CODE: dx = dL/dx, from the cached output self.y
        return dy * self.y


def implementation() -> Layers:
    return layered(network(Sigmoid))
