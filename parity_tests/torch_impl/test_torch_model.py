"""torch_impl.model: the layout of ``build_model`` and its argument checks."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
import torch
from torch import nn

from torch_impl import (
    ACTIVATIONS,
    build_model,
    make_activation,
)

# ---------------------------------------------------------------- layout


@pytest.mark.parametrize(
    ("hidden", "activation", "output_activation", "expected"),
    [
        ((), "relu", None, [nn.Linear]),
        ((), "relu", "sigmoid", [nn.Linear, nn.Sigmoid]),
        ((5,), "tanh", None, [nn.Linear, nn.Tanh, nn.Linear]),
        (
            (5, 4, 3),
            ["sigmoid", "leaky_relu", "identity"],
            "softmax",
            [
                nn.Linear,
                nn.Sigmoid,
                nn.Linear,
                nn.LeakyReLU,
                nn.Linear,
                nn.Identity,
                nn.Linear,
                nn.Softmax,
            ],
        ),
    ],
    ids=["0-hidden", "0-hidden-sigmoid-head", "1-hidden-tanh", "3-hidden-mixed-softmax-head"],
)
def test_layout(hidden, activation, output_activation, expected):
    model = build_model(2, hidden, 3, activation, output_activation)
    assert [type(m) for m in model] == expected
    widths = (2, *hidden, 3)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == list(pairwise(widths))
    keys = [f"{2 * i}.{name}" for i in range(len(widths) - 1) for name in ("weight", "bias")]
    assert list(model.state_dict()) == keys
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes["0.weight"] == (widths[1], 2)  # (out_features, in_features)
    assert shapes[f"{keys[-1]}"] == (3,)


def test_layout_details():
    model = build_model(3, (4,), 2, "leaky_relu", "softmax")
    assert model[1].negative_slope == 0.01
    assert model[-1].dim == -1


def test_default_dtype_is_float64():
    assert all(p.dtype is torch.float64 for p in build_model(2, (3,), 1).parameters())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"activation": "swish"},
            ValueError,
            "unknown activation 'swish'; valid: sigmoid, tanh, relu, leaky_relu, identity",
        ),
        ({"activation": ["tanh", "gelu"]}, ValueError, "'gelu'"),
        ({"activation": ["tanh"]}, ValueError, "1 activations for 2 hidden"),
        ({"activation": ["tanh"] * 3}, ValueError, "3 activations for 2 hidden"),
        ({"hidden": (4, 0)}, ValueError, r"hidden\[1\].*0"),
        ({"hidden": (-1,)}, ValueError, r"hidden\[0\]"),
        (
            {"output_activation": "tanh"},
            ValueError,
            "unknown output_activation 'tanh'; valid: None, sigmoid, softmax",
        ),
        ({"dtype": "float16"}, ValueError, "unsupported dtype 'float16'; valid: float32, float64"),
        ({"dtype": torch.int64}, ValueError, "int64"),
        ({"dtype": np.float64}, TypeError, "dtype"),
        ({"device": "tpu"}, ValueError, "unknown device 'tpu'; valid: 'cpu', 'cuda'"),
        (
            {"hidden": 8},
            TypeError,
            r"hidden must be a sequence of layer widths, e\.g\. \(8,\) or \[\], got int 8",
        ),
        ({"hidden": (4.0,)}, ValueError, r"hidden\[0\] must be a positive int, got 4\.0"),
        ({"hidden": (np.int64(0),)}, ValueError, r"hidden\[0\]"),
        ({"in_features": True}, ValueError, "in_features must be a positive int, got True"),
    ],
    ids=[
        "unknown-activation",
        "unknown-activation-in-list",
        "too-few-activations",
        "too-many-activations",
        "zero-width",
        "negative-width",
        "bad-output-activation",
        "float16",
        "int-dtype",
        "numpy-dtype",
        "unknown-device",
        "hidden-int",
        "float-width",
        "numpy-zero-width",
        "bool-in-features",
    ],
)
def test_build_model_errors(kwargs, error, match):
    args = {"in_features": 2, "hidden": (4, 4), "out_features": 1} | kwargs
    with pytest.raises(error, match=match):
        build_model(**args)


def test_build_model_accepts_numpy_integer_widths():
    """Widths often come out of NumPy (``X.shape[1]``, ``np.arange``); scratch accepts them."""
    model = build_model(np.int64(3), np.array([4, 5]), np.int32(2))
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(3, 4), (4, 5), (5, 2)]
    assert all(type(m.in_features) is int and type(m.out_features) is int for m in linears)


def test_activations_constant():
    assert tuple(ACTIVATIONS) == ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
    for name in ACTIVATIONS:
        build_model(2, (3,), 1, name)


@pytest.mark.parametrize(
    ("name", "module"),
    [("sigmoid", nn.Sigmoid), ("tanh", nn.Tanh), ("relu", nn.ReLU), ("leaky_relu", nn.LeakyReLU),
     ("identity", nn.Identity)],
)  # fmt: skip
def test_make_activation_is_public_and_fresh(name, module):
    """The twin of ``scratch.make_activation``: a new module per call, the seed's slope."""
    first, second = make_activation(name), make_activation(name)
    assert type(first) is module and first is not second
    if name == "leaky_relu":
        assert first.negative_slope == 0.01
    x = torch.linspace(-3, 3, 7, dtype=torch.float64)
    assert torch.equal(first(x), build_model(1, (7,), 1, name)[1](x))
