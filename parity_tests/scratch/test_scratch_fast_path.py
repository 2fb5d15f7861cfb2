"""The fast path of issue 12 changes speed, never results or safety.

A network checks its input once and runs its layers unchecked; activations work in place on
the temporaries around them; the first layer's input gradient is skipped in training;
``zero_grad`` is lazy; ``build_model`` keeps every parameter in one flat array, which the
optimizers update in one pass, chunk by chunk. Each test pins one of these to the plain
formula it replaces, bit for bit, or shows a caller's array is never touched.
"""

from __future__ import annotations

import numpy as np
import pytest

import scratch
from scratch.module import flat_parameters
from scratch.optim import _subtract_scaled

ACTS = ["relu", "leaky_relu", "tanh", "sigmoid", "identity"]


def net(act: str = "relu", dtype: str = "float64", head: str | None = None, widths=(5, 7, 6, 3)):
    rng = np.random.default_rng(1)
    return scratch.build_model(widths[0], widths[1:-1], widths[-1], act, head, dtype=dtype, rng=rng)


def data(dtype: str = "float64", n: int = 8, d: int = 5):
    rng = np.random.default_rng(2)
    return rng.normal(size=(n, d)).astype(dtype), rng.integers(0, 3, n)


def step_by_hand(model, loss_fn, optimizer, X, y) -> float:
    """The textbook step through the public, checked calls (dL/dX computed and dropped)."""
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    optimizer.step()
    return loss


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("opt", ["sgd", "momentum", "adam"])
def test_train_step_is_the_textbook_step_bit_for_bit(act, dtype, opt):
    make = {
        "sgd": lambda ps: scratch.SGD(ps, lr=0.1),
        "momentum": lambda ps: scratch.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        "adam": lambda ps: scratch.Adam(ps, lr=0.01),
    }[opt]
    X, y = data(dtype)
    fast, plain = net(act, dtype), net(act, dtype)
    plain_params = [scratch.Parameter(p.data.copy()) for p in plain.parameters()]
    for (_, p), q in zip(plain.named_parameters(), plain_params, strict=True):
        p.data, p.grad = q.data, q.grad  # rebound: not flat, one update per parameter
    assert flat_parameters(fast.parameters()) is not None
    assert flat_parameters(plain.parameters()) is None
    opt_fast, opt_plain = make(fast.parameters()), make(plain.parameters())
    loss_fn = scratch.CrossEntropyLoss()
    for _ in range(4):
        a = scratch.train_step(fast, loss_fn, opt_fast, X, y)
        b = step_by_hand(plain, loss_fn, opt_plain, X, y)
        assert a == b
    for p, q in zip(fast.parameters(), plain.parameters(), strict=True):
        assert p.data.tobytes() == q.data.tobytes()
        assert p.grad.tobytes() == q.grad.tobytes()


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("head", [None, "sigmoid", "softmax"])
def test_callers_arrays_are_never_overwritten(act, head):
    """In-place activations touch only the network's own temporaries: not X, not the dy a
    caller passes, not an output already returned."""
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
    """Only training skips dL/dX; ``Sequential.backward`` and ``Linear.backward`` return it."""
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


def test_zero_grad_is_lazy_but_reads_as_zeros_and_accumulates():
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
    model.backward(loss_fn.backward())  # written straight into the cleared arrays
    for p, g in zip(model.parameters(), once, strict=True):
        np.testing.assert_array_equal(p.grad, g)


def test_rebinding_a_parameter_ends_the_flat_path_without_losing_state():
    X, y = data()
    a, b = net(), net()
    opts = [scratch.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in (a, b)]
    loss_fn = scratch.CrossEntropyLoss()
    for _ in range(2):
        for m, o in zip((a, b), opts, strict=True):
            scratch.train_step(m, loss_fn, o, X, y)
    b[0].weight.data = b[0].weight.data.copy()  # a user swaps an array: flat path over
    for _ in range(3):
        for m, o in zip((a, b), opts, strict=True):
            scratch.train_step(m, loss_fn, o, X, y)
    assert opts[1]._flat is None and opts[0]._flat is not None
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("size", [10, 65536, 300_001])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_chunked_update_is_the_one_line_update(size, dtype):
    rng = np.random.default_rng(5)
    data0, g = rng.normal(size=size).astype(dtype), rng.normal(size=size).astype(dtype)
    expected = data0.copy()
    expected -= 0.1 * g
    got, g0 = data0.copy(), g.copy()
    _subtract_scaled(got, g, 0.1, np.empty(min(size, 4096), dtype))
    assert got.tobytes() == expected.tobytes()
    assert g.tobytes() == g0.tobytes()


def test_a_subclass_overriding_backward_is_used_inside_a_network():
    class NoSlopeTanh(scratch.Tanh):
        def backward(self, dy: np.ndarray) -> np.ndarray:
            return self._dy(dy)  # wrong on purpose: f' taken as 1

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


def test_same_seed_same_bits_on_the_fast_path():
    """Determinism with every fast path on: ReLU in place, flat SGD with momentum, chunks."""
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
