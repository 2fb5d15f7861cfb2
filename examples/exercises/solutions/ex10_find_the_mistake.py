"""Solution of exercise 10. SoftmaxCrossEntropy takes logits and applies the softmax itself (as
nn.CrossEntropyLoss): a Softmax layer before it applies a second one.

    nn-parity check examples/exercises/solutions/ex10_find_the_mistake.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # parts.py is one folder up

from parity.check import Layers

from parts import ReLU, layered, network


def implementation() -> Layers:
    layers = network(ReLU)
    return layered(layers)
