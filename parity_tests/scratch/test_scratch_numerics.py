"""Numerics: extreme logits stay finite and warning-free; float32 stays float32 everywhere.

Extremes are +-1000 in float64 and +-100 in float32 (e^100 overflows float32, e^1000
overflows float64): a naive sigmoid, softmax or log-sum-exp would warn or return inf/NaN.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import scratch

pytestmark = pytest.mark.filterwarnings("error")  # any RuntimeWarning (overflow...) fails

EXTREMES = [
    pytest.param(np.float64, 1000.0, id="float64-1000"),
    pytest.param(np.float32, 100.0, id="float32-100"),
]


def upstream(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """A random upstream gradient (never ones)."""
    return np.random.default_rng(0).normal(size=shape).astype(dtype)


def assert_finite_loss(value: object, expected: float) -> None:
    assert isinstance(value, float) and math.isfinite(value), value
    assert value == pytest.approx(expected, rel=1e-6)


# ---------------------------------------------------------------- extremes


@pytest.mark.parametrize(("dtype", "big"), EXTREMES)
def test_sigmoid_extremes(check_array, dtype, big):
    x = np.array([[-big, -1.0, 0.0, 1.0, big]], dtype=dtype)
    module = scratch.Sigmoid()
    expected = [[0.0, 1 / (1 + math.e), 0.5, 1 / (1 + math.exp(-1)), 1.0]]
    check_array(module(x), expected, dtype=dtype, rtol=1e-6, atol=1e-30)
    assert module(x)[0, -1] == 1.0  # exactly 1, not 1 - tiny
    dx = module.backward(upstream(x.shape, dtype))
    assert dx.shape == x.shape and dx.dtype == dtype and np.isfinite(dx).all()
    assert abs(dx[0, 0]) < 1e-30 and dx[0, -1] == 0  # saturated: the gradient vanishes


@pytest.mark.parametrize(("dtype", "big"), EXTREMES)
def test_softmax_extremes(check_array, dtype, big):
    x = np.array([[big, -big, 0.0], [-big, -big, -big], [big, big, -big]], dtype=dtype)
    module = scratch.Softmax()
    y = module(x)
    check_array(
        y, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]], dtype=dtype, rtol=1e-6, atol=1e-30
    )  # float32 e^-100 is a denormal, not 0
    check_array(y.sum(axis=1), np.ones(3, dtype), rtol=1e-6)
    dx = module.backward(upstream(x.shape, dtype))
    assert dx.shape == x.shape and dx.dtype == dtype and np.isfinite(dx).all()
    check_array(dx.sum(axis=1), np.zeros(3, dtype), atol=1e-6)  # softmax's Jacobian rows


@pytest.mark.parametrize(("dtype", "big"), EXTREMES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce_with_logits_extremes(check_array, dtype, big, reduction):
    x = np.array([[big], [-big], [big], [-big]], dtype=dtype)
    y = np.array([[0.0], [1.0], [1.0], [0.0]], dtype=dtype)
    loss = scratch.BCEWithLogitsLoss(reduction)
    # confidently wrong costs |logit| (torch: 1000 at logit 1000, target 0); right costs 0
    scale = 1 / 4 if reduction == "mean" else 1.0
    assert_finite_loss(loss(x, y), 2 * big * scale)
    expected = np.array([[1.0], [-1.0], [0.0], [0.0]]) * scale
    check_array(loss.backward(), expected, dtype=dtype, atol=1e-30)


@pytest.mark.parametrize(("dtype", "big"), EXTREMES)
@pytest.mark.parametrize(("target", "expected"), [(0, 0.0), (1, 2.0), (2, 1.0)])
def test_cross_entropy_extremes(check_array, dtype, big, target, expected):
    x = np.array([[big, -big, 0.0]], dtype=dtype)
    loss = scratch.CrossEntropyLoss()
    assert_finite_loss(loss(x, np.array([target])), expected * big)  # lse(x) - x[target]
    onehot = np.eye(3)[target]
    check_array(loss.backward(), [[1, 0, 0] - onehot], dtype=dtype, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_loss_at_zero_and_one_is_clamped_like_torch(check_array, dtype):
    p = np.array([[0.0], [1.0], [0.0], [1.0]], dtype=dtype)
    y = np.array([[1.0], [0.0], [0.0], [1.0]], dtype=dtype)
    loss = scratch.BCELoss(reduction="sum")
    assert_finite_loss(loss(p, y), 200.0)  # log clamped at -100: each wrong certainty costs 100
    # torch's backward: (p - y) / max(p (1 - p), 1e-12)
    check_array(loss.backward(), [[-1e12], [1e12], [0.0], [0.0]], dtype=dtype, rtol=1e-6)


# ---------------------------------------------------------------- float32 stays float32

MODULES = {
    "linear": lambda dtype: scratch.Linear(3, 2, dtype=dtype, rng=np.random.default_rng(0)),
    "sigmoid": lambda dtype: scratch.Sigmoid(),
    "tanh": lambda dtype: scratch.Tanh(),
    "relu": lambda dtype: scratch.ReLU(),
    "leaky_relu": lambda dtype: scratch.LeakyReLU(),
    "softmax": lambda dtype: scratch.Softmax(),
    "identity": lambda dtype: scratch.Identity(),
    "network": lambda dtype: scratch.build_model(
        3, [4, 2], 2, ["tanh", "leaky_relu"], "softmax", dtype=dtype, rng=np.random.default_rng(0)
    ),
}


@pytest.mark.parametrize("name", MODULES)
def test_module_keeps_float32(check_array, name):
    """float32 in -> float32 out, dx and grads, with values matching the float64 module."""
    x64 = np.random.default_rng(1).normal(size=(4, 3))
    dy64 = upstream(MODULES[name]("float64")(x64).shape, np.float64)
    results = {}
    for dtype in (np.float64, np.float32):
        module = MODULES[name](dtype)
        y = module(x64.astype(dtype))
        dx = module.backward(dy64.astype(dtype))
        results[dtype] = [y, dx] + [p.grad for p in module.parameters()]
        for p in module.parameters():
            assert p.data.dtype == dtype
    for a32, a64 in zip(results[np.float32], results[np.float64], strict=True):
        check_array(a32, a64.astype(np.float32), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", list(scratch.LOSSES))
def test_loss_keeps_float32(check_array, name):
    rng = np.random.default_rng(2)
    x64 = rng.uniform(0.1, 0.9, (4, 3))
    target = rng.integers(0, 3, 4) if name == "cross_entropy" else rng.uniform(0, 1, (4, 3))
    values, grads = [], []
    for dtype in (np.float64, np.float32):
        loss = scratch.make_loss(name)
        t = target if name == "cross_entropy" else target.astype(dtype)
        values.append(loss(x64.astype(dtype), t))
        grads.append(loss.backward())
    assert isinstance(values[1], float) and values[1] == pytest.approx(values[0], rel=1e-5)
    check_array(grads[1], grads[0].astype(np.float32), rtol=1e-5, atol=1e-7)


OPTIMIZERS = {
    "sgd": lambda ps: scratch.SGD(ps, lr=0.1),
    "sgd_momentum_wd": lambda ps: scratch.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov": lambda ps: scratch.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda ps: scratch.Adam(ps, lr=0.1),
    "adam_wd": lambda ps: scratch.Adam(ps, lr=0.1, weight_decay=0.01),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_keeps_float32(check_array, name):
    start = np.array([1.0, -2.0])
    grads = np.random.default_rng(3).normal(size=(3, 2))
    finals = {}
    for dtype in (np.float64, np.float32):
        p = scratch.Parameter(start.astype(dtype))
        opt = OPTIMIZERS[name]([p])
        for g in grads:
            p.grad[...] = g
            opt.step()
        finals[dtype] = p.data
    check_array(finals[np.float32], finals[np.float64].astype(np.float32), rtol=1e-5)


@pytest.mark.parametrize(
    ("output_activation", "loss", "n_out"),
    [
        (None, "bce_with_logits", 1),
        ("sigmoid", "bce", 1),
        (None, "cross_entropy", 3),
        (None, "mse", 2),
    ],
    ids=["binary", "binary_unfused", "multiclass", "regression"],
)
def test_fit_keeps_float32(check_array, output_activation, loss, n_out):
    """A float32 fit stays float32 (params, outputs) and tracks the float64 fit closely."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(12, 3))
    y = {1: (X[:, :1] > 0) * 1.0, 2: X[:, :2] ** 2, 3: rng.integers(0, 3, 12)}[n_out]
    state = scratch.build_model(
        3, [5], n_out, "tanh", output_activation, rng=np.random.default_rng(5)
    ).state_dict()
    runs = {}
    for dtype in (np.float64, np.float32):
        model = scratch.build_model(3, [5], n_out, "tanh", output_activation, dtype=dtype)
        model.load_state_dict(state)
        yd = y if n_out == 3 else y.astype(dtype)
        history = scratch.fit(
            model,
            scratch.make_loss(loss),
            scratch.Adam(model.parameters()),
            X.astype(dtype),
            yd,
            batch_size=4,
            epochs=3,
            seed=6,
        )
        runs[dtype] = history, model
    (h64, m64), (h32, m32) = runs[np.float64], runs[np.float32]
    assert all(isinstance(v, float) for v in h32.losses + h32.train_loss)
    check_array(np.array(h32.losses), np.array(h64.losses), rtol=1e-5)
    for (name, p32), p64 in zip(m32.named_parameters(), m64.parameters(), strict=True):
        assert p32.grad.dtype == np.float32, name
        check_array(p32.data, p64.data.astype(np.float32), rtol=1e-4, atol=1e-6)
    out = scratch.predict(m32, X.astype(np.float32), "regression")
    check_array(out, m64(X).astype(np.float32), rtol=1e-4, atol=1e-6)
