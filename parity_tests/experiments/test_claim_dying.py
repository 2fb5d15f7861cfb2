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
    for side in range(2):  # of the units pushed below zero, a larger share comes back: Leaky
        share = {
            act: sum(both(n, f"{setting}.{act}.layer{k}.recovered")[side] for k in (1, 2))
            / sum(both(n, f"{setting}.{act}.layer{k}.pushed_below")[side] for k in (1, 2))
            for act in ("relu", "leaky_relu")
        }
        assert share["leaky_relu"] > share["relu"]
    if setting == "bias_shift":
        assert min(both(n, "bias_shift.relu.dead_initial")) > 0.3  # born dead
    else:
        assert max(both(n, "large_lr.relu.dead_initial")) == 0.0  # killed by the updates


def test_pushed_units_come_back_under_leaky_relu_only(quick, both):
    n = quick("dying_relu")
    assert both(n, "pushed.relu.layer1.pushed_below") == [16, 16]
    assert both(n, "pushed.relu.layer1.recovered") == [0, 0]  # no gradient, fixed input
    assert both(n, "pushed.leaky_relu.layer1.pushed_below") == [16, 16]
    assert min(both(n, "pushed.leaky_relu.layer1.recovered")) > 8


def test_below_zero_and_recovered_both_sides():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((20, 3))
    model = scratch.build_model(3, [4, 2], 1, "leaky_relu", rng=rng)
    state = dying.push_below(model.state_dict(), x, 2, 0.5)
    model.load_state_dict(state)
    z = x @ state["0.weight"].T + state["0.bias"]
    assert np.allclose(z[:, :2].max(axis=0), -0.5)
    twin = torch_impl.build_model(3, [4, 2], 1, "leaky_relu", dtype="float64")
    torch_impl.load_numpy_state_dict(twin, state)
    for masks in (dying.below_zero(model, x), dying.below_zero_torch(twin, x)):
        assert [m.shape for m in masks] == [(4,), (2,)]
        assert masks[0][:2].all() and not masks[0][2:].any()
    t0, t1 = np.array([True, True, False]), np.array([True, False, False])
    assert dying.recovered([t0, t1, np.array([False, True, False])]) == (2, 1)


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
