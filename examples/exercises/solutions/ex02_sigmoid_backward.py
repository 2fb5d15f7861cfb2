"""Solution of exercise 2. sigmoid'(x) = y (1 - y), both factors, written with the cached output.

    nn-parity check examples/exercises/solutions/ex02_sigmoid_backward.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # parts.py is one folder up

import numpy as np

from parity.check import Layers

from parts import layered, network


class Sigmoid:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * self.y * (1 - self.y)


def implementation() -> Layers:
    return layered(network(Sigmoid))
