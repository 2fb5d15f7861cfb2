"""torch_impl.init: whole state dicts drawn with torch.nn.init, the twin of scratch.init."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import scratch
from torch_impl import INITS, build_model, init_state_dict, numpy_state_dict


def _draw(scheme, seed=0, **kwargs):
    model = build_model(3, (5, 4), 2, ["relu", "tanh"], **kwargs)
    return model, init_state_dict(model, scheme, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scheme", INITS)
def test_state_dict_fits_the_model_and_leaves_it_alone(scheme, dtype):
    model = build_model(3, (5, 4), 2, ["relu", "tanh"], dtype=dtype)
    before = numpy_state_dict(model)
    state = init_state_dict(model, scheme, torch.Generator().manual_seed(0))
    assert list(state) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert state[key].shape == value.shape and state[key].dtype == value.dtype
        assert torch.isfinite(state[key]).all()
    after = numpy_state_dict(model)
    assert all(np.array_equal(before[k], after[k]) for k in before)
    model.load_state_dict(state)  # loads as it is


@pytest.mark.parametrize("scheme", INITS)
def test_a_seed_fixes_every_value(scheme):
    (_, a), (_, b), (_, c) = _draw(scheme, 1), _draw(scheme, 1), _draw(scheme, 2)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["0.weight"], c["0.weight"])


@pytest.mark.parametrize("scheme", INITS)
def test_biases(scheme):
    model, state = _draw(scheme)
    for i in (0, 2, 4):
        bias = state[f"{i}.bias"]
        if scheme == "default":  # nn.Linear's own: U(+-1/sqrt(fan_in)) like the weight
            bound = 1 / math.sqrt(model[i].in_features)
            assert bias.abs().max() <= bound and bias.abs().max() > 0
        else:
            assert torch.equal(bias, torch.zeros_like(bias))


WIDE = (400, 300)  # one wide layer: 120,000 draws, sample std within about 0.5%


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "identity"])
@pytest.mark.parametrize("scheme", INITS)
def test_same_distribution_as_scratch(scheme, activation):
    """Same scheme, same gain of the following activation: the weight spreads agree (the
    values cannot: different random streams). 3% covers the sampling noise of 120k draws."""
    model = build_model(WIDE[0], (WIDE[1],), 1, activation)
    t_std = init_state_dict(model, scheme, torch.Generator().manual_seed(0))["0.weight"].std()
    s_model = scratch.build_model(WIDE[0], (WIDE[1],), 1, activation)
    s_state = scratch.init_state_dict(s_model, scheme, np.random.default_rng(0))
    assert float(t_std) == pytest.approx(float(s_state["0.weight"].std()), rel=0.03)


def test_rejects():
    model = build_model(3, (4,), 1)
    with pytest.raises(ValueError, match="unknown initialiser 'orthogonal'; valid: default"):
        init_state_dict(model, "orthogonal")
    with pytest.raises(TypeError, match=r"generator must be a torch\.Generator"):
        init_state_dict(model, "default", np.random.default_rng(0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"model must be an nn\.Sequential, got Linear"):
        init_state_dict(torch.nn.Linear(3, 4), "default")  # type: ignore[arg-type]
