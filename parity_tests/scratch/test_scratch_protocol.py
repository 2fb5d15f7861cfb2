"""The module protocol in a network: ``forward`` caches, ``backward`` accumulates and returns
``dx``, ``zero_grad`` clears, a caller's arrays are never touched, and a network is checked
once when built."""

from __future__ import annotations

import numpy as np
import pytest

import scratch

ACTS = ["relu", "leaky_relu", "tanh", "sigmoid", "identity"]


def net(act: str = "relu", dtype: str = "float64", head: str | None = None, widths=(5, 7, 6, 3)):
    rng = np.random.default_rng(1)
    return scratch.build_model(widths[0], widths[1:-1], widths[-1], act, head, dtype=dtype, rng=rng)


def data(dtype: str = "float64", n: int = 8, d: int = 5):
    rng = np.random.default_rng(2)
    return rng.normal(size=(n, d)).astype(dtype), rng.integers(0, 3, n)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("head", [None, "sigmoid", "softmax"])
def test_callers_arrays_are_never_overwritten(act, head):
    """Neither X, nor the dy a caller passes, nor an output already returned is changed."""
    model = net(act, head=head)
    first = scratch.Sequential(scratch.make_activation(act), *model.layers)  # X meets an act
    X, _ = data()
    for m in (model, first):
        X0 = X.copy()
        out1 = m(X)
        kept = out1.copy()
        dy = np.random.default_rng(3).normal(size=out1.shape)
        dy0 = dy.copy()
        m.backward(dy)
        m(X + 1.0)
        np.testing.assert_array_equal(X, X0)
        np.testing.assert_array_equal(dy, dy0)
        np.testing.assert_array_equal(out1, kept)


def test_backward_still_returns_the_input_gradient():
    """``Sequential.backward`` and ``Linear.backward`` return dL/dX."""
    model = net("tanh")
    X, _ = data()
    dy = np.random.default_rng(4).normal(size=(len(X), 3))
    model(X)
    dx = model.backward(dy)
    W = [m.weight.data for m in model if isinstance(m, scratch.Linear)]
    h1 = np.tanh(X @ W[0].T + model[0].bias.data)
    h2 = np.tanh(h1 @ W[1].T + model[2].bias.data)
    expected = (((dy @ W[2]) * (1 - h2**2)) @ W[1] * (1 - h1**2)) @ W[0]
    np.testing.assert_allclose(dx, expected, rtol=1e-12)
    layer = scratch.Linear(5, 2, rng=np.random.default_rng(0))
    layer(X)
    np.testing.assert_array_equal(layer.backward(dy[:, :2]), dy[:, :2] @ layer.weight.data)


def test_zero_grad_clears_and_gradients_accumulate():
    model = net()
    X, y = data()
    loss_fn = scratch.CrossEntropyLoss()
    loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    once = [p.grad.copy() for p in model.parameters()]
    model.backward(loss_fn.backward())  # no zero_grad: gradients add up, as in torch
    for p, g in zip(model.parameters(), once, strict=True):
        np.testing.assert_array_equal(p.grad, 2 * g)
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())
    model.zero_grad()
    model.backward(loss_fn.backward())
    for p, g in zip(model.parameters(), once, strict=True):
        np.testing.assert_array_equal(p.grad, g)


def test_a_subclass_overriding_backward_is_used_inside_a_network():
    class NoSlopeTanh(scratch.Tanh):
        def backward(self, dy: np.ndarray) -> np.ndarray:
            return dy  # wrong on purpose: f' taken as 1

    X, y = data()
    right, wrong = net("tanh"), net("tanh")
    wrong.layers[1] = NoSlopeTanh()
    for m in (right, wrong):
        loss_fn = scratch.CrossEntropyLoss()
        scratch.train_step(m, loss_fn, scratch.SGD(m.parameters(), lr=0.1), X, y)
    assert not np.array_equal(right[0].weight.data, wrong[0].weight.data)
    np.testing.assert_array_equal(right[4].weight.data, wrong[4].weight.data)  # above it


@pytest.mark.parametrize(
    ("modules", "error", "match"),
    [
        (lambda: (scratch.Linear(3, 4), scratch.ReLU(), scratch.Linear(5, 2)), ValueError,
         r"item 2 is Linear with in_features=5, but the Linear before it gives out_features=4"),
        (lambda: (scratch.Linear(3, 4), scratch.Linear(4, 2, dtype="float32")), TypeError,
         r"mixes parameter dtypes \['float32', 'float64'\]"),
    ],
    ids=["width-chain", "mixed-dtypes"],
)  # fmt: skip
def test_network_is_checked_once_when_built(modules, error, match):
    with pytest.raises(error, match=match):
        scratch.Sequential(*modules())


def test_same_seed_same_bits():
    """Determinism: ReLU, SGD with momentum, float32."""
    runs = []
    for _ in range(2):
        rng = np.random.default_rng(6)
        X, y = rng.normal(size=(96, 300)).astype(np.float32), rng.integers(0, 10, 96)
        model = scratch.build_model(300, [400], 10, "relu", dtype="float32", rng=rng)
        opt = scratch.SGD(model.parameters(), lr=0.05, momentum=0.9)
        h = scratch.fit(
            model, scratch.CrossEntropyLoss(), opt, X, y, batch_size=32, epochs=2, seed=7
        )
        runs.append((h.losses, [p.data.tobytes() for p in model.parameters()]))
    assert runs[0] == runs[1]
