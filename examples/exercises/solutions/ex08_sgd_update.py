"""Solution of exercise 8. Gradient descent steps *against* the gradient: p -= lr * g, in place.

    nn-parity check examples/exercises/solutions/ex08_sgd_update.py --steps 3
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # parts.py is one folder up

from parity.check import Functional

from parts import functional, init_params, two_layer


def update(params: dict, grads: dict, lr: float) -> None:
    for name, grad in grads.items():
        params[name] -= lr * grad


def implementation() -> Functional:
    return functional(two_layer, init_params(), update=update)
