"""Step 5's torch port, as ``nn-parity check`` takes it: a function returning a Torch.

Run: nn-parity check examples/port/check_torch.py --dataset moons --steps 5 --lr 0.5
"""

from parity.check import Torch

from step5_optim import loss_fn, model, optimizer


def implementation() -> Torch:
    return Torch(model, loss_fn, head="binary", optimizer=optimizer)
