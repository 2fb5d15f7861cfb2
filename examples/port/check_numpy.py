"""Step 1's network, as ``nn-parity check`` takes it: a function returning a Functional.

Run: nn-parity check examples/port/check_numpy.py --dataset moons --steps 5 --lr 0.5
"""

from parity.check import Functional

from common import initial_weights
from step1_numpy import loss_and_grads


def implementation() -> Functional:
    return Functional(loss_and_grads, initial_weights(), activation="tanh", head="binary")
