"""Initialisers: state-dict layout, seeding, and the bounds / spreads of torch's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scratch

DEPTHS = {"0hidden": (), "1hidden": (4,), "3hidden": (4, 1, 3)}
GAINS = {
    "identity": 1.0,
    "sigmoid": 1.0,
    "tanh": 5 / 3,
    "relu": math.sqrt(2),
    "leaky_relu": math.sqrt(2 / (1 + 0.01**2)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("scheme", scratch.INITS)
def test_layout_and_seeding(check_array, scheme, depth, dtype):
    model = scratch.build_model(
        3, DEPTHS[depth], 2, "relu", dtype=dtype, rng=np.random.default_rng(0)
    )
    state = scratch.init_state_dict(model, scheme, np.random.default_rng(1))
    reference = model.state_dict()
    assert list(state) == list(reference)
    for key, value in state.items():
        assert value.shape == reference[key].shape and value.dtype == np.dtype(dtype), key
    for key, value in scratch.init_state_dict(model, scheme, np.random.default_rng(1)).items():
        check_array(value, state[key])  # same seed, bit-identical
    other = scratch.init_state_dict(model, scheme, np.random.default_rng(2))
    assert not np.array_equal(other["0.weight"], state["0.weight"])
    check_array(model.state_dict()["0.weight"], reference["0.weight"])  # model untouched


@pytest.mark.parametrize("depth", DEPTHS)
def test_default_is_torch_linear_bound(depth):
    model = scratch.build_model(3, DEPTHS[depth], 2, "tanh", rng=np.random.default_rng(0))
    state = scratch.init_state_dict(model, "default", np.random.default_rng(1))
    for key, value in state.items():
        fan_in = state[key.replace("bias", "weight")].shape[1]
        assert np.abs(value).max() <= 1 / math.sqrt(fan_in), key


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("scheme", [s for s in scratch.INITS if s != "default"])
def test_xavier_and_kaiming_biases_are_zero(check_array, scheme, depth):
    model = scratch.build_model(3, DEPTHS[depth], 2, "relu", rng=np.random.default_rng(0))
    state = scratch.init_state_dict(model, scheme, np.random.default_rng(1))
    for key in (k for k in state if k.endswith("bias")):
        check_array(state[key], np.zeros(state[key].shape))


def expected_spread(scheme: str, gain: float, fan_in: int, fan_out: int) -> float:
    """The uniform bound or the normal std, from the papers' / torch's formulas."""
    return {
        "default": 1 / math.sqrt(fan_in),
        "xavier_uniform": gain * math.sqrt(6 / (fan_in + fan_out)),
        "xavier_normal": gain * math.sqrt(2 / (fan_in + fan_out)),
        "kaiming_uniform": gain * math.sqrt(3 / fan_in),
        "kaiming_normal": gain / math.sqrt(fan_in),
    }[scheme]


def assert_spread(w: np.ndarray, scheme: str, spread: float) -> None:
    """Uniform: inside the bound and reaching within 1% of it; normal: std within 3%."""
    if scheme.endswith("normal"):
        assert abs(w.mean()) < 0.01 * spread
        assert w.std() == pytest.approx(spread, rel=0.03)
    else:
        assert np.abs(w).max() <= spread
        assert np.abs(w).max() >= 0.99 * spread


@pytest.mark.parametrize("activation", GAINS)
@pytest.mark.parametrize("scheme", scratch.INITS)
def test_big_layer_spread_in_a_model(scheme, activation):
    """The first layer of a 400-300-2 net uses the gain of the activation after it."""
    model = scratch.build_model(400, [300], 2, activation, rng=np.random.default_rng(0))
    w = scratch.init_state_dict(model, scheme, np.random.default_rng(1))["0.weight"]
    assert_spread(w, scheme, expected_spread(scheme, GAINS[activation], 400, 300))


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
@pytest.mark.parametrize(
    ("scheme", "draw"),
    [
        ("xavier_uniform", lambda rng, shape, gain: scratch.xavier_uniform(rng, shape, gain)),
        ("xavier_normal", lambda rng, shape, gain: scratch.xavier_normal(rng, shape, gain)),
        (
            "kaiming_uniform",
            lambda rng, shape, gain: scratch.kaiming_uniform(
                rng, shape, nonlinearity="tanh" if gain != 1 else "linear"
            ),
        ),
        (
            "kaiming_normal",
            lambda rng, shape, gain: scratch.kaiming_normal(
                rng, shape, nonlinearity="tanh" if gain != 1 else "linear"
            ),
        ),
    ],
    ids=["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"],
)
def test_big_layer_spread_of_the_functions(scheme, draw, gain):
    """(out, in) = (200, 400): fan_in is the second dimension, as in torch."""
    w = draw(np.random.default_rng(0), (200, 400), gain)
    assert w.shape == (200, 400)
    assert_spread(w, scheme, expected_spread(scheme, gain, 400, 200))


def test_kaiming_defaults_match_torch():
    """torch's kaiming_*_ default: a=0, leaky_relu -> gain sqrt(2); mode="fan_out" works."""
    w = scratch.kaiming_uniform(np.random.default_rng(0), (200, 400))
    assert_spread(w, "kaiming_uniform", math.sqrt(2) * math.sqrt(3 / 400))
    w = scratch.kaiming_normal(np.random.default_rng(0), (200, 400), mode="fan_out")
    assert_spread(w, "kaiming_normal", math.sqrt(2) / math.sqrt(200))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("linear",), 1.0),
        (("identity",), 1.0),
        (("sigmoid",), 1.0),
        (("tanh",), 5 / 3),
        (("relu",), math.sqrt(2)),
        (("leaky_relu",), math.sqrt(2 / (1 + 0.01**2))),
        (("leaky_relu", 0.2), math.sqrt(2 / (1 + 0.2**2))),
    ],
    ids=["linear", "identity", "sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu-0.2"],
)
def test_calculate_gain(args, expected):
    assert scratch.calculate_gain(*args) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda m: scratch.init_state_dict(m, "he", np.random.default_rng(0)),
            ValueError,
            "unknown initialiser 'he'",
        ),
        (lambda m: scratch.init_state_dict(m, "default"), TypeError, "rng"),
        (lambda m: scratch.calculate_gain("swish"), ValueError, "swish"),
        (
            lambda m: scratch.kaiming_normal(np.random.default_rng(0), (2, 3), mode="fan"),
            ValueError,
            "mode",
        ),
    ],
    ids=["unknown-scheme", "no-rng", "unknown-gain", "unknown-mode"],
)
def test_bad_arguments(call, error, match):
    model = scratch.build_model(3, [4], 2, rng=np.random.default_rng(0))
    with pytest.raises(error, match=match):
        call(model)
