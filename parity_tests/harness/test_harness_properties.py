"""Property-based parity (hypothesis): random architectures, one state dict, two networks.

An example is a network of depth 0-4 with widths 1-32 and one activation per hidden layer
(any of ``scratch.ACTIVATIONS``), any head of ``parity.spec.HEADS``, float64 or float32, an
odd batch size (1 included) and inputs whose magnitude reaches the extremes of the module
tests (|x| up to 1000 in float64, 100 in float32; exp overflows far below either). scratch
and torch are built through the harness's implementation records and loaded with one state
dict; their outputs, loss and every parameter gradient must agree at the ``forward`` and
``gradient`` tolerances of ``parity.tolerances`` (``parity.compare``: shape and dtype before
values), every number must be finite, and a RuntimeWarning fails the example.

What each number is judged against (``scale``), where a tensor's own magnitude would ask
for more digits than the reference itself has (both measured over 4000 draws):

* gradients: the model's largest gradient, as for finite differences (``parity.harness.grid``). An
  activation saturated by an extreme input computes its derivative ``1 - y^2`` or
  ``y (1 - y)`` from an output within an ulp of its bound, so every gradient behind it is
  rounding noise of absolute size ~eps times the model's gradient scale (measured: at most
  4e-15 of it in float64), which no two libms agree on digit for digit. The per-tensor
  judgement stays with ``test_harness_modules`` and the grid.
* the loss: ``max(|loss|, 1)``. torch computes ``BCEWithLogitsLoss``'s log term as
  ``log(exp(-m) + exp(-x - m))``, with an absolute error of an ulp of 1 per row, so a loss
  far below 1 (confident, correct logits) agrees to ~1e-16 absolute, not relatively
  (scratch's ``log1p`` gives 3.7e-19 where torch rounds to 0).
* the unfused ``binary_bce`` head (Sigmoid + ``BCELoss``) in float32 gets moderate inputs
  only: at extreme logits a probability within an ulp of 1 flips the clamped log between
  -16.6 and -100, the ill-conditioning docs/PORTING.md's pitfall shows; the fused
  ``binary`` head carries the extremes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scratch
from parity.compare import compare
from parity.harness.sides import SCRATCH, TORCH
from parity.spec import HEADS, Network
from parity.tolerances import tolerance

pytestmark = pytest.mark.filterwarnings("error")

BIG = {"float64": 1000.0, "float32": 100.0}  # the extremes of test_harness_modules
EXAMPLES = 600  # ~3 s on 2 cores, the file 5 s with the corner check (budget: 20 s)
FORWARD = {"output", "loss"}  # the rest of a side's quantities are parameter gradients
TINY = float(np.finfo(np.float64).tiny)


@dataclass(frozen=True)
class Example:
    """One drawn case: the network, the head, the dtype, the batch, the input scale."""

    network: Network
    head: str
    dtype: str
    batch: int
    scale: float  # inputs uniform in [-scale, scale], every third entry exactly +-scale
    seed: int  # initial weights, inputs and targets


@st.composite
def examples(draw: st.DrawFn) -> Example:
    depth = draw(st.integers(0, 4))
    hidden = tuple(draw(st.lists(st.integers(1, 32), min_size=depth, max_size=depth)))
    acts = tuple(draw(st.lists(st.sampled_from(tuple(scratch.ACTIVATIONS)),
                               min_size=depth, max_size=depth)))  # fmt: skip
    head = draw(st.sampled_from(tuple(HEADS)))
    task, output_activation, _ = HEADS[head]
    out = draw(st.integers(2, 5)) if task == "multiclass" else 1
    dtype = draw(st.sampled_from(("float64", "float32")))
    unfused_f32 = head == "binary_bce" and dtype == "float32"  # see the module docstring
    scale = 1.0 if unfused_f32 else draw(st.sampled_from((1.0, BIG[dtype] / 10, BIG[dtype])))
    network = Network(draw(st.integers(1, 8)), hidden, out, acts, output_activation)
    batch = 2 * draw(st.integers(0, 16)) + 1  # odd: 1, 3, ..., 33
    return Example(network, head, dtype, batch, scale, draw(st.integers(0, 2**32 - 1)))


def inputs_and_targets(ex: Example) -> tuple[np.ndarray, np.ndarray]:
    """``X (B, in)`` with extremes, and a target of the head's kind: float ``(B, out)`` for
    MSE / BCE (in {0, 1} for BCE, one-hot for softmax + MSE), int64 ``(B,)`` for CE."""
    rng = np.random.default_rng(ex.seed)
    n, B = ex.network.in_features, ex.batch
    X = rng.uniform(-ex.scale, ex.scale, (B, n))
    X.reshape(-1)[::3] = ex.scale * rng.choice([-1.0, 1.0], size=X.reshape(-1)[::3].shape)
    task, _, loss = HEADS[ex.head]
    out = ex.network.out_features
    if loss == "cross_entropy":
        return X.astype(ex.dtype), rng.integers(0, out, B)
    if task == "multiclass":  # softmax + MSE on one-hot targets
        return X.astype(ex.dtype), np.eye(out)[rng.integers(0, out, B)].astype(ex.dtype)
    if task == "binary":
        return X.astype(ex.dtype), rng.integers(0, 2, (B, 1)).astype(ex.dtype)
    return X.astype(ex.dtype), rng.standard_normal((B, out)).astype(ex.dtype)


def both_sides(ex: Example, X: np.ndarray, y: np.ndarray) -> dict[str, dict[str, Any]]:
    """Output, loss and parameter gradients of scratch and torch from one state dict."""
    s_model = SCRATCH.build(ex.network, ex.dtype, "cpu")
    state = scratch.init_state_dict(s_model, "default", np.random.default_rng(ex.seed))
    t_model = TORCH.build(ex.network, ex.dtype, "cpu")
    SCRATCH.load_state(s_model, state)
    TORCH.load_state(t_model, state)
    loss_name = HEADS[ex.head][2]
    s_loss, t_loss = SCRATCH.make_loss(loss_name), TORCH.make_loss(loss_name)
    s_out = s_model(X)
    s_value = s_loss(s_out, y)
    s_model.zero_grad()
    s_model.backward(s_loss.backward())
    with TORCH.session("cpu"):
        t_out = t_model(torch.from_numpy(X))
        t_value = t_loss(t_out, torch.from_numpy(y))
        t_value.backward()
    return {
        "scratch": {"output": s_out, "loss": np.float64(s_value), **SCRATCH.grads(s_model)},
        "torch": {
            "output": t_out.detach().numpy(),
            "loss": np.float64(t_value.item()),
            **TORCH.grads(t_model),
        },
    }


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(examples())
def test_random_architectures_agree_forward_and_backward(ex: Example) -> None:
    X, y = inputs_and_targets(ex)
    sides = both_sides(ex, X, y)
    ours, theirs = sides["scratch"], sides["torch"]
    assert sorted(ours) == sorted(theirs)
    grads = [v for side in sides.values() for k, v in side.items() if k not in FORWARD]
    scales = {  # what each quantity is judged against: see the module docstring
        "output": None,  # its own magnitude
        "loss": max(abs(float(ours["loss"])), abs(float(theirs["loss"])), 1.0),
        **dict.fromkeys(ours.keys() - FORWARD, max(max(float(abs(g).max()) for g in grads), TINY)),
    }
    for name, a in ours.items():
        kind = "forward" if name in FORWARD else "gradient"
        c = compare(name, a, theirs[name], tolerance(kind, ex.dtype), scale=scales[name])
        assert c.ok, f"{ex}: {c.message}"
        for side, value in (("scratch", a), ("torch", theirs[name])):
            assert np.isfinite(value).all(), f"{ex}: {side} {name} is not finite"


def test_the_strategy_reaches_every_corner():
    """The draws cover what the module docstring promises (a check of the strategy itself:
    300 derandomised draws, no training)."""
    seen: dict[str, set[Any]] = {k: set() for k in ("depth", "width", "act", "head", "dtype",
                                                     "batch", "scale")}  # fmt: skip

    @settings(max_examples=300, derandomize=True, deadline=None, database=None)
    @given(examples())
    def draw(ex: Example) -> None:
        net = ex.network
        seen["depth"].add(len(net.hidden))
        seen["width"].update(net.hidden)
        seen["act"].update(net.activations)
        seen["head"].add(ex.head)
        seen["dtype"].add(ex.dtype)
        seen["batch"].add(ex.batch)
        seen["scale"].add(ex.scale == BIG[ex.dtype])

    draw()
    assert seen["depth"] == {0, 1, 2, 3, 4}
    assert {1, 32} <= seen["width"]
    assert seen["act"] == set(scratch.ACTIVATIONS)
    assert seen["head"] == set(HEADS) and seen["dtype"] == {"float64", "float32"}
    assert 1 in seen["batch"] and all(b % 2 == 1 for b in seen["batch"])
    assert seen["scale"] == {True, False}
