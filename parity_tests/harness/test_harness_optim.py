"""The optimizers step by step: scratch.SGD / scratch.Adam against torch.optim.

The same small network and data on both sides (``lockstep`` in conftest.py), trained for
60 steps; the loss at every step and every parameter after every step are compared, so a
mismatch names the parameter and the first step where it exceeds the tolerance.
"""

from __future__ import annotations

import pytest
import torch

import scratch

STEPS = 60
LR_DROP_STEP = 30  # the schedule below: a constant lr, then a tenth of it

# (optimizer class name, shared keyword arguments): scratch and torch take the same ones
CASES = {
    "sgd": ("SGD", dict(lr=0.05)),
    "momentum": ("SGD", dict(lr=0.05, momentum=0.9)),
    "dampening": ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    "nesterov": ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    "weight_decay": ("SGD", dict(lr=0.05, weight_decay=0.1)),
    "momentum_weight_decay": ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
    "nesterov_weight_decay": ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    "adam": ("Adam", dict(lr=0.01)),
    "adam_weight_decay": ("Adam", dict(lr=0.01, weight_decay=0.1)),
    "adam_betas_eps": ("Adam", dict(lr=0.01, betas=(0.5, 0.8), eps=1e-3)),
}


def lr_schedule(lr: float) -> object:
    return lambda step: lr if step < LR_DROP_STEP else lr / 10


@pytest.mark.parametrize("dtype", ("float64", "float32"))
@pytest.mark.parametrize("schedule", (False, True), ids=("constant_lr", "lr_drop"))
@pytest.mark.parametrize("case", CASES)
def test_optimizer_step_by_step(lockstep, case, schedule, dtype):
    name, kw = CASES[case]
    comparisons = lockstep(
        lambda params: getattr(scratch, name)(params, **kw),
        lambda params: getattr(torch.optim, name)(params, **kw),
        dtype,
        steps=STEPS,
        lr_at=lr_schedule(kw["lr"]) if schedule else None,
    )
    assert len(comparisons) == 1 + 4  # the loss curve, then 0.weight 0.bias 2.weight 2.bias
    failures = [c.message for c in comparisons if not c.ok]
    assert not failures, "\n".join(failures)
