"""Claim 1 (``parity/experiments/claims/collapse.py``): an identity-activation network
equals one ``Linear`` and fits no better than the best line.

The numbers are the claim's quick-mode ones (``quick`` in this folder's conftest).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch
import torch_impl
from parity.experiments.claims import collapse

SIDES = ("scratch", "torch")


@pytest.mark.parametrize("dataset", collapse.COLLAPSE_DATASETS)
def test_linear_collapse(quick, dataset):
    n = quick("linear_collapse")
    ceiling = n[f"{dataset}.best_linear_train_acc"]
    for side in SIDES:
        assert n[f"{dataset}.collapse_max_diff.{side}"] < 1e-12, side  # float64: exact map
        assert n[f"{dataset}.identity.train_acc.{side}"] <= ceiling + 1e-12, side
        assert n[f"{dataset}.tanh.train_acc.{side}"] >= ceiling + 0.05, side
        assert (
            n[f"{dataset}.tanh.test_acc.{side}"] >= n[f"{dataset}.identity.test_acc.{side}"] + 0.05
        )
    if dataset == "moons":  # a well-posed linear optimum: deep identity net == trained linear
        for side in SIDES:
            ident, linear = (n[f"moons.{m}.train_acc.{side}"] for m in ("identity", "linear"))
            assert ident <= linear + 0.02, side


def test_best_linear_accuracy_known_cases():
    xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert collapse.best_linear_accuracy(xor, np.array([0, 1, 1, 0])) == 0.75
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    y = (X @ [1.0, -2.0] > 0.3).astype(int)  # separable by a line
    assert collapse.best_linear_accuracy(X, y) == 1.0
    assert collapse.best_linear_accuracy(X, np.zeros(40, int)) == 1.0  # one class


def test_collapse_linear_both_sides():
    rng = np.random.default_rng(1)
    deep = scratch.build_model(3, [5, 4, 6], 2, "identity", rng=rng)
    x = rng.standard_normal((7, 3))
    assert np.abs(deep(x) - collapse.collapse_linear(deep)(x)).max() < 1e-12
    twin = torch_impl.build_model(3, [5, 4, 6], 2, "identity", dtype="float64")
    torch_impl.load_numpy_state_dict(twin, deep.state_dict())
    one = collapse.collapse_linear_torch(twin)
    assert tuple(one.weight.shape) == (2, 3)
    with torch.no_grad():
        assert (twin(torch.tensor(x)) - one(torch.tensor(x))).abs().max() < 1e-12
    with pytest.raises(ValueError, match="Identity"):
        collapse.collapse_linear(scratch.build_model(3, [5], 2, "tanh", rng=rng))
