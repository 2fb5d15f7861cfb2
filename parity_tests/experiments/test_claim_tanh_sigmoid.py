"""The seed's remark (``parity/experiments/claims/tanh_sigmoid.py``): ``tanh(x) =
2 sigmoid(2x) - 1`` on both sides' activations, and a tanh network equals a sigmoid network
with rescaled weights until gradient descent moves them.

The numbers are the claim's quick-mode ones (``quick`` in this folder's conftest).
"""

from __future__ import annotations

import numpy as np
import torch

import scratch
import torch_impl
from parity.experiments.claims import tanh_sigmoid


def test_tanh_is_a_scaled_sigmoid(quick, both):
    n = quick("tanh_is_scaled_sigmoid")
    eps = np.finfo(np.float64).eps
    assert max(both(n, "identity.max_abs_diff")) <= 2 * eps  # float64 digits, extremes included
    assert both(n, "identity.extremes_exact") == [1.0, 1.0]
    assert max(both(n, "twin.start_max_abs_diff")) < 1e-12  # the same function
    assert both(n, "twin.first_layer_grad_ratio") == [0.5, 0.5]  # W' = 2W halves dL/dW'
    # gradient descent at one learning rate does not keep them equal: the twin is slower
    assert min(both(n, "twin.after_1_step_max_abs_diff")) > 1e-3
    tanh, sig = both(n, "twin.tanh.steps_to_target"), both(n, "twin.sigmoid.steps_to_target")
    assert tanh == sig[::-1] or tanh[0] == tanh[1]  # sides agree (checked in test_claims too)
    assert 0 < tanh[0] < sig[0]


def test_sigmoid_twin_state_both_sides():
    rng = np.random.default_rng(3)
    tanh_net = scratch.build_model(4, [5, 3, 6], 2, "tanh", rng=rng)
    twin = scratch.build_model(4, [5, 3, 6], 2, "sigmoid", rng=rng)
    twin.load_state_dict(tanh_sigmoid.sigmoid_twin_state(tanh_net.state_dict()))
    x = 3 * rng.standard_normal((9, 4))
    assert np.abs(tanh_net(x) - twin(x)).max() < 1e-13
    t_tanh = torch_impl.build_model(4, [5, 3, 6], 2, "tanh", dtype="float64")
    t_twin = torch_impl.build_model(4, [5, 3, 6], 2, "sigmoid", dtype="float64")
    torch_impl.load_numpy_state_dict(t_tanh, tanh_net.state_dict())
    torch_impl.load_numpy_state_dict(t_twin, twin.state_dict())
    with torch.no_grad():
        assert (t_tanh(torch.tensor(x)) - t_twin(torch.tensor(x))).abs().max() < 1e-13
