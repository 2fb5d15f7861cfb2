"""Claim 3's cause (``parity/experiments/claims/centring.py``): tanh against sigmoid, sigmoid at
4x the learning rate and the zero-centred ``sigmoid(x) - 1/2``, over several seeds.

The numbers are the claim's quick-mode ones (``quick`` in this folder's conftest).
"""

from __future__ import annotations

import numpy as np
import torch

from parity.experiments.claims import centring


def test_what_makes_tanh_faster(quick, both):
    n = quick("zero_centring")
    assert n["seeds"] == 2
    med = {r: both(n, f"{r}.median_steps") for r in centring.RACERS}
    for side in range(2):
        m = {r: v[side] for r, v in med.items()}
        assert min(m.values()) > 0  # every racer reaches the target on every seed
        assert both(n, "tanh.max_steps")[side] < min(
            both(n, f"{r}.min_steps")[side] for r in centring.RACERS if r != "tanh"
        )
        assert m["sigmoid"] > 2 * m["sigmoid_4lr"]  # the derivative's scale: most of the gap
        # centring leaves sigmoid's speed within 20%, at both learning rates
        assert abs(m["centred"] - m["sigmoid"]) <= 0.2 * m["sigmoid"]
        assert abs(m["centred_4lr"] - m["sigmoid_4lr"]) <= 0.2 * m["sigmoid_4lr"]
    assert centring.cause(n) == "not_centring"  # the wording the report picks


def test_cause_wording_follows_the_numbers():
    def numbers(**medians: float) -> dict[str, float]:
        return {f"{r}.median_steps.scratch": medians[r] for r in centring.RACERS}

    like_tanh = numbers(tanh=10, sigmoid=130, sigmoid_4lr=35, centred=60, centred_4lr=11)
    assert centring.cause(like_tanh) == "centring"
    unchanged = numbers(tanh=10, sigmoid=130, sigmoid_4lr=35, centred=120, centred_4lr=31)
    assert centring.cause(unchanged) == "not_centring"
    partly = numbers(tanh=10, sigmoid=130, sigmoid_4lr=35, centred=70, centred_4lr=20)
    assert centring.cause(partly) == "partly"
    assert centring.cause({**partly, "tanh.median_steps.scratch": -1}) == "undecided"


def test_centred_sigmoid_both_sides():
    x = np.linspace(-30, 30, 61)
    s, t = centring.CentredSigmoid(), centring.CentredSigmoidTorch()
    y = s(x.copy())
    assert np.abs(y - np.tanh(x / 2) / 2).max() < 1e-15  # sigmoid(x) - 1/2 = tanh(x/2) / 2
    dy = np.random.default_rng(0).standard_normal(x.shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = t(xt)
    yt.backward(torch.tensor(dy))
    assert np.abs(y - yt.detach().numpy()).max() < 1e-15
    assert np.abs(s.backward(dy) - xt.grad.numpy()).max() < 1e-15
