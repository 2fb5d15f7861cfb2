"""parity.harness.sides: SCRATCH and TORCH answer the harness's calls alike (one record each)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import scratch
from parity.harness.runner import initial_state
from parity.harness.sides import IMPLEMENTATIONS, SCRATCH, TORCH, Implementation
from parity.spec import Network, RunSpec

SIDES = [pytest.param(impl, id=impl.name) for impl in (SCRATCH, TORCH)]
NETWORK = Network(3, (4,), 2, ("tanh",), "softmax")


def test_the_records_are_values_named_in_messages():
    assert IMPLEMENTATIONS == {"scratch": SCRATCH, "torch": TORCH}
    assert {f.name for f in dataclasses.fields(Implementation)} >= {
        "name", "build", "load_state", "make_loss", "make_optimizer", "fit", "predict",
        "outputs", "state", "grads", "session",
    }  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        SCRATCH.name = "other"  # type: ignore[misc]
    assert SCRATCH.device("auto") == "cpu"


@pytest.mark.parametrize("impl", SIDES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_state_in_state_out_and_outputs(impl, dtype):
    spec = RunSpec(task="multiclass", hidden=(4,), head="softmax_mse", dtype=dtype)
    state = initial_state(spec, NETWORK)
    model = impl.build(NETWORK, dtype, impl.device("cpu"))
    impl.load_state(model, state)
    out_state = impl.state(model)
    assert list(out_state) == list(state)
    for key, value in state.items():
        assert out_state[key].dtype == np.dtype(dtype)
        np.testing.assert_array_equal(out_state[key], value)
    X = np.random.default_rng(0).standard_normal((5, 3)).astype(dtype)  # (N, in)
    out = impl.outputs(model, X)
    assert isinstance(out, np.ndarray) and out.shape == (5, 2) and out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)  # the softmax head
    assert impl.predict(model, X, "multiclass").shape == (5,)


@pytest.mark.parametrize("impl", SIDES)
def test_optimizer_loss_and_grads_follow_the_spec(impl, tmp_path):
    spec = RunSpec(task="multiclass", hidden=(4,), optimizer="adam", lr=0.01, betas=(0.8, 0.9))
    model = impl.build(NETWORK, "float64", "cpu")
    impl.load_state(model, initial_state(spec, NETWORK))
    optimizer = impl.make_optimizer(model, spec)
    settings = optimizer.defaults if hasattr(optimizer, "defaults") else vars(optimizer)
    assert (settings["lr"], tuple(settings["betas"])) == (0.01, (0.8, 0.9))
    X = np.random.default_rng(1).standard_normal((6, 3))
    y = np.array([0, 1, 0, 1, 1, 0])
    impl.fit(model, impl.make_loss("cross_entropy"), optimizer, X, y,
             batches=[[np.arange(6)]], task="multiclass")  # fmt: skip
    grads = impl.grads(model)
    assert list(grads) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    shapes = zip(grads.values(), impl.state(model).values(), strict=True)
    assert all(g.shape == v.shape for g, v in shapes)
    scratch.save_weights(tmp_path / "w.npz", impl.state(model))
    loaded = impl.load_weights(tmp_path / "w.npz")
    assert all(np.array_equal(loaded[k], v) for k, v in impl.state(model).items())
    with impl.session(impl.device("cpu")):
        pass
