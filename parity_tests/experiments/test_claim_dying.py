"""Claim 4 (``parity/experiments/claims/dying.py``): ReLU units die under a large learning
rate or a negative bias shift; Leaky ReLU's never do.

The numbers are the claim's quick-mode ones (``quick`` in this folder's conftest).
"""

from __future__ import annotations

import numpy as np
import pytest

import scratch
import torch_impl
from parity.experiments.claims import dying


@pytest.mark.parametrize("setting", ["large_lr", "bias_shift"])
def test_dying_relu(quick, both, setting):
    n = quick("dying_relu")
    assert min(both(n, f"{setting}.relu.dead_final")) > 0.1
    assert max(both(n, f"{setting}.leaky_relu.dead_max")) == 0.0
    if setting == "bias_shift":
        assert min(both(n, "bias_shift.relu.dead_initial")) > 0.3  # born dead
    else:
        assert max(both(n, "large_lr.relu.dead_initial")) == 0.0  # killed by the updates


def test_dead_fraction_both_sides():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((20, 3))
    for act, dead in (("relu", 1.0), ("leaky_relu", 0.0)):
        model = scratch.build_model(3, [4], 1, act, rng=rng)
        model[0].bias.data[:] = -1e3  # every unit's input is negative on every example
        twin = torch_impl.build_model(3, [4], 1, act, dtype="float64")
        torch_impl.load_numpy_state_dict(twin, model.state_dict())
        assert dying.dead_fraction(model, x) == dead
        assert dying.dead_fraction_torch(twin, x) == dead
