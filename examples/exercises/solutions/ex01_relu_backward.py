"""Solution of exercise 1. ReLU passes the gradient where its *input* was positive: the mask comes
from x, never from dy.

    nn-parity check examples/exercises/solutions/ex01_relu_backward.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # parts.py is one folder up

import numpy as np

from parity.check import Layers

from parts import layered, network


class ReLU:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * (self.x > 0)  # torch: 0 where x <= 0, x = 0 included


def implementation() -> Layers:
    return layered(network(ReLU))
