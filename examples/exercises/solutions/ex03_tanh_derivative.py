"""Solution of exercise 3. tanh'(x) = 1 - y², with y = tanh(x) the output, not the input x.

    nn-parity check examples/exercises/solutions/ex03_tanh_derivative.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # parts.py is one folder up

import numpy as np

from parity.check import Layers

from parts import layered, network


class Tanh:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x, self.y = x, np.tanh(x)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * (1 - self.y**2)


def implementation() -> Layers:
    return layered(network(Tanh))
