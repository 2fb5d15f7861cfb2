"""Exercise 3: the tanh derivative.

``tanh'(x) = 1 - tanh(x)^2``. The forward below keeps both its input ``x`` and its output
``y = tanh(x)``. Write ``Tanh.backward``: given ``dy = dL/dy``, return ``dx = dL/dx``. The
line there now is wrong. Run

    nn-parity check examples/exercises/ex03_tanh_derivative.py

and correct the backward until the check says "no divergence".
A solution: solutions/ex03_tanh_derivative.py.
"""

import numpy as np

from parity.check import Layers

from parts import layered, network


class Tanh:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x, self.y = x, np.tanh(x)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        # YOUR CODE: dx = dL/dx
        return dy * (1 - self.x**2)


def implementation() -> Layers:
    return layered(network(Tanh))
