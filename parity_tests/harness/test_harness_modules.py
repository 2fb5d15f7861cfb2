"""Every scratch module against its torch twin: forward value and gradients.

One helper, ``check_twin``: same input on both sides, compare the output, then push one
RANDOM upstream gradient (never ones) back through both and compare the input gradient
and every parameter gradient. Shapes include batch 1 and width 1; values include extremes
(+-1000 in float64, +-100 in float32) and exact zeros (the ReLU / Leaky ReLU kinks); both
dtypes. Every comparison goes through ``parity.compare.assert_close`` (shape and dtype before
values) with the tolerance of ``parity.tolerances``; a RuntimeWarning (overflow, log(0),
0/0) fails the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import scratch
from parity.compare import assert_close, to_numpy
from parity.tolerances import tolerance

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

DTYPES = ("float64", "float32")
BIG = {"float64": 1000.0, "float32": 100.0}  # extreme logits: exp overflows far below these
VALUES = ("normal", "extreme", "zeros")


def values(kind: str, shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    """``normal``: N(0, 3^2); ``extreme``: every other entry +-BIG; ``zeros``: every other
    entry exactly 0.0 or -0.0 (the kink of ReLU and Leaky ReLU)."""
    rng = np.random.default_rng(seed)
    x = 3 * rng.standard_normal(shape)
    flat = x.reshape(-1)
    if kind == "extreme":
        flat[::2] = BIG[dtype] * rng.choice([-1.0, 1.0], size=flat[::2].shape)
    elif kind == "zeros":
        flat[::2] = 0.0
        flat[2::4] = -0.0
    return x.astype(dtype)


def check_twin(ours: Any, theirs: Callable[[torch.Tensor], torch.Tensor], x: np.ndarray) -> None:
    """Compare ``ours.forward(x)`` with ``theirs(x)``, then ``ours.backward(dy)`` with torch's
    gradients for one random upstream ``dy``: the input's and every named parameter's."""
    dtype = str(x.dtype)
    tol_forward, tol_gradient = tolerance("forward", dtype), tolerance("gradient", dtype)
    xt = torch.tensor(x, requires_grad=True)

    y = ours.forward(x)
    yt = theirs(xt)
    assert_close("output", y, yt, tol_forward)

    dy = np.random.default_rng(1).standard_normal(np.shape(y)).astype(dtype)
    dx = ours.backward(dy)
    yt.backward(torch.tensor(dy))
    assert_close("grad[input]", dx, xt.grad, tol_gradient)

    our_params = dict(ours.named_parameters())
    their_params = dict(theirs.named_parameters()) if isinstance(theirs, nn.Module) else {}
    assert sorted(our_params) == sorted(their_params)
    for name, p in our_params.items():
        assert_close(f"grad[{name}]", p.grad, their_params[name].grad, tol_gradient)

    for name, a in [("output", y), ("grad[input]", dx), ("torch output", to_numpy(yt))]:
        assert np.isfinite(a).all(), f"{name} is not finite: {a}"


# ------------------------------------------------------------------ activations

ACTIVATIONS: dict[str, tuple[Callable[[], Any], Callable[[], nn.Module]]] = {
    "sigmoid": (scratch.Sigmoid, nn.Sigmoid),
    "tanh": (scratch.Tanh, nn.Tanh),
    "relu": (scratch.ReLU, nn.ReLU),
    "leaky_relu": (scratch.LeakyReLU, nn.LeakyReLU),
    "identity": (scratch.Identity, nn.Identity),
    "softmax": (scratch.Softmax, lambda: nn.Softmax(dim=-1)),
}
SHAPES = [(1, 1), (1, 7), (9, 1), (8, 5), (3, 64)]  # batch 1, width 1, both, ordinary, wide


def shape_id(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


@pytest.mark.parametrize("kind", VALUES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=shape_id)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation(name, shape, dtype, kind):
    ours, theirs = ACTIVATIONS[name]
    check_twin(ours(), theirs(), values(kind, shape, dtype))


# ------------------------------------------------------------------ Linear

LINEAR_SHAPES = [(1, 1, 1), (1, 5, 3), (7, 1, 4), (7, 4, 1), (16, 64, 8)]  # (N, in, out)


def linear_twins(n_in: int, n_out: int, dtype: str) -> tuple[scratch.Linear, nn.Linear]:
    """A scratch Linear and a torch Linear holding the same weight and bias."""
    ours = scratch.Linear(n_in, n_out, dtype=dtype, rng=np.random.default_rng(2))
    theirs = nn.Linear(n_in, n_out, dtype=getattr(torch, dtype))
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
        theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    return ours, theirs


@pytest.mark.parametrize("kind", ("normal", "extreme"))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", LINEAR_SHAPES, ids=lambda s: f"{s[0]}x{s[1]}to{s[2]}")
def test_linear(shape, dtype, kind):
    n, n_in, n_out = shape
    check_twin(*linear_twins(n_in, n_out, dtype), values(kind, (n, n_in), dtype))


# ------------------------------------------------------------------ losses


class LossWithTarget:
    """A scratch loss with its target fixed, as a module of its input: ``forward(x)`` is the
    loss (a 0-d array of the input's dtype), ``backward(dy)`` the chain rule for an upstream
    scalar ``dy``."""

    def __init__(self, loss: Any, target: np.ndarray) -> None:
        self.loss, self.target = loss, target

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.loss(x, self.target), dtype=x.dtype)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return self.loss.backward() * dy

    def named_parameters(self) -> Iterator[tuple[str, Any]]:
        return iter(())


def loss_case(name: str, reduction: str, kind: str, shape: tuple[int, int], dtype: str) -> tuple:
    """``(ours, theirs, input)`` for one loss: logits, or for BCELoss their sigmoid (exactly 0
    and 1 at the extreme logits: the clamped-log branch), and a random target of the right
    kind (class indices, probabilities, or reals for MSE)."""
    rng = np.random.default_rng(3)
    x = logits = values(kind, shape, dtype)
    if name == "cross_entropy":
        target = rng.integers(0, shape[1], size=shape[0])  # (N,) class indices
    elif name == "mse":
        target = rng.standard_normal(shape).astype(dtype)
    else:
        target = rng.random(shape).astype(dtype)  # soft labels in [0, 1)
    if name == "bce":
        x = scratch.sigmoid(logits)
        saturated = np.abs(logits) >= BIG[dtype]
        x[saturated] = logits[saturated] > 0
    ours = LossWithTarget(scratch.make_loss(name, reduction), target)
    torch_loss, torch_target = TORCH_LOSSES[name](reduction=reduction), torch.from_numpy(target)
    return ours, (lambda xt: torch_loss(xt, torch_target)), x


TORCH_LOSSES = {
    "mse": nn.MSELoss,
    "bce": nn.BCELoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
    "cross_entropy": nn.CrossEntropyLoss,
}
LOSS_SHAPES = [(1, 1), (8, 1), (1, 5), (8, 3)]


@pytest.mark.parametrize("kind", ("normal", "extreme"))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", LOSS_SHAPES, ids=shape_id)
@pytest.mark.parametrize("reduction", ("mean", "sum"))
@pytest.mark.parametrize("name", TORCH_LOSSES)
def test_loss(name, reduction, shape, dtype, kind):
    check_twin(*loss_case(name, reduction, kind, shape, dtype))
