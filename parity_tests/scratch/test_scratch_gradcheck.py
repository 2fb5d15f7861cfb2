"""Every hand-written backward in scratch against central finite differences (float64).

The referee is ``scratch.gradcheck_errors``: max relative error per tensor (input and every
parameter) must be <= 1e-7. ReLU/LeakyReLU inputs are kept away from their kink at 0 (finite
differences straddling it are meaningless); the kink convention is tested exactly instead.
"""

from __future__ import annotations

import numpy as np
import pytest

import scratch

TOL = 1e-7
ACTIVATIONS = {
    "sigmoid": scratch.Sigmoid,
    "tanh": scratch.Tanh,
    "relu": scratch.ReLU,
    "leaky_relu": scratch.LeakyReLU,
    "leaky_relu_0.2": lambda: scratch.LeakyReLU(0.2),
    "softmax": scratch.Softmax,
    "identity": scratch.Identity,
}
SHAPES = [(1, 1), (4, 3), (3, 1), (1, 5)]


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Entries in +-[0.1, 2]: no kink within eps, signs mixed."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


def assert_gradients_match(obj: object, x: np.ndarray, **kwargs: object) -> None:
    errors = scratch.gradcheck_errors(obj, x, **kwargs)  # type: ignore[arg-type]
    assert errors, "gradcheck compared nothing"
    worst = max(errors, key=errors.__getitem__)
    assert errors[worst] <= TOL, f"{worst}: relative error {errors[worst]:.3g} > {TOL} ({errors})"


# ---------------------------------------------------------------- activations


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_gradcheck_activation(name, shape):
    rng = np.random.default_rng(0)
    assert_gradients_match(ACTIVATIONS[name](), away_from_zero(rng, shape))


@pytest.mark.parametrize(
    ("module", "expected_y", "expected_dx"),
    [
        # x = [-2, 0, 3], dy = [0.5, -1.5, 2]: f'(0) = 0 for ReLU (torch's convention)
        (scratch.ReLU(), [0.0, 0.0, 3.0], [0.0, 0.0, 2.0]),
        # f'(0) = negative_slope for LeakyReLU: dx = [0.01*0.5, 0.01*-1.5, 2]
        (scratch.LeakyReLU(), [-0.02, 0.0, 3.0], [0.005, -0.015, 2.0]),
        (scratch.LeakyReLU(0.2), [-0.4, 0.0, 3.0], [0.1, -0.3, 2.0]),
    ],
    ids=["relu", "leaky_relu", "leaky_relu_0.2"],
)
def test_kink_at_zero(check_array, module, expected_y, expected_dx):
    x = np.array([[-2.0, 0.0, 3.0]])
    check_array(module(x), [expected_y], rtol=1e-15)
    check_array(module.backward(np.array([[0.5, -1.5, 2.0]])), [expected_dx], rtol=1e-15)


# ---------------------------------------------------------------- losses


def loss_case(name: str, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(input, target) for a loss: BCE probabilities kept inside [0.05, 0.95]."""
    rng = np.random.default_rng(1)
    if name == "cross_entropy":
        return rng.normal(0, 2, shape), rng.integers(0, shape[1], shape[0])
    if name == "bce":
        return rng.uniform(0.05, 0.95, shape), rng.uniform(0, 1, shape)
    if name == "bce_with_logits":
        return rng.normal(0, 2, shape), rng.uniform(0, 1, shape)
    return rng.normal(0, 1, shape), rng.normal(0, 1, shape)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", list(scratch.LOSSES))
def test_gradcheck_loss(name, reduction, shape):
    x, target = loss_case(name, shape)
    assert_gradients_match(scratch.make_loss(name, reduction), x, target=target)


# ---------------------------------------------------------------- Linear


@pytest.mark.parametrize(
    ("in_features", "out_features", "batch", "bias"),
    [(1, 1, 1, True), (3, 2, 4, True), (5, 1, 2, True), (1, 4, 3, True), (3, 2, 4, False)],
    ids=["1to1-batch1", "3to2-batch4", "5to1-batch2", "1to4-batch3", "3to2-batch4-nobias"],
)
def test_gradcheck_linear(in_features, out_features, batch, bias):
    rng = np.random.default_rng(2)
    layer = scratch.Linear(in_features, out_features, bias, rng=rng)
    assert_gradients_match(layer, rng.normal(size=(batch, in_features)))


# ---------------------------------------------------------------- whole networks

# head -> (out_features, output_activation, loss name, target maker)
HEADS = {
    "regression": (2, None, "mse", lambda rng, n: rng.normal(size=(n, 2))),
    "binary": (1, None, "bce_with_logits", lambda rng, n: rng.integers(0, 2, (n, 1)) * 1.0),
    "binary_unfused": (1, "sigmoid", "bce", lambda rng, n: rng.integers(0, 2, (n, 1)) * 1.0),
    "multiclass": (3, None, "cross_entropy", lambda rng, n: rng.integers(0, 3, n)),
    "softmax_mse": (3, "softmax", "mse", lambda rng, n: np.eye(3)[rng.integers(0, 3, n)]),
}
DEPTHS = {0: (), 1: (1,), 3: (4, 3, 4)}  # width 1 in the 1-hidden net
# A network's early-layer gradients can be ~1e-4 of the loss (vanishing through sigmoid and
# leaky slopes), so the round-off of a difference quotient, ~1e-16 |L| / eps, must be small
# relative to them: eps = 3e-5 balances it against the O(eps^2) truncation error.
NETWORK_EPS = 3e-5
HIDDEN_ACTIVATIONS = list(scratch.ACTIVATIONS)

NETWORK_CASES = [
    pytest.param(act, depth, head, 5, id=f"{act}-{depth}hidden-{head}")
    for head in HEADS
    for depth in DEPTHS
    for act in (HIDDEN_ACTIVATIONS if depth else ["none"])
] + [pytest.param("tanh", 1, head, 1, id=f"tanh-1hidden-{head}-batch1") for head in HEADS]


@pytest.mark.parametrize(("activation", "depth", "head", "batch"), NETWORK_CASES)
def test_gradcheck_network(activation, depth, head, batch):
    rng = np.random.default_rng(depth * 10 + batch)
    out_features, output_activation, loss, make_target = HEADS[head]
    model = scratch.build_model(
        3,
        DEPTHS[depth],
        out_features,
        activation if depth else "tanh",
        output_activation,
        rng=rng,
    )
    x = rng.normal(size=(batch, 3))
    target = make_target(rng, batch)
    assert_gradients_match(model, x, loss=scratch.make_loss(loss), target=target, eps=NETWORK_EPS)


# ---------------------------------------------------------------- the referee itself


def test_gradcheck_catches_a_wrong_backward():
    class WrongTanh(scratch.Tanh):
        def backward(self, dy: np.ndarray) -> np.ndarray:
            return dy * (1 - self.y)  # missing the square

    x = np.random.default_rng(3).normal(size=(4, 3))
    assert scratch.gradcheck(WrongTanh(), x) > 1e-2
    assert scratch.gradcheck(scratch.Tanh(), x) <= TOL


def test_gradcheck_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        scratch.gradcheck(scratch.Tanh(), np.ones((2, 2), dtype=np.float32))


@pytest.mark.parametrize(
    "view",
    [lambda W: np.ascontiguousarray(W.T).T, lambda W: np.repeat(W, 2, axis=0)[::2]],
    ids=["transposed", "strided"],
)
def test_gradcheck_perturbs_non_contiguous_parameters(view):
    """Issue 10: a parameter whose ``.data`` is a non-contiguous view (such as ``W.T``) gets
    real numerical gradients; perturbing ``reshape(-1)`` (then a copy) gave all zeros."""
    rng = np.random.default_rng(11)
    layer = scratch.Linear(3, 4, rng=rng)
    layer.weight = scratch.Parameter(view(layer.weight.data))  # same values, (4, 3), a view
    assert layer.weight.shape == (4, 3) and not layer.weight.data.flags.c_contiguous
    before = layer.weight.data.copy()
    x = rng.normal(size=(5, 3))
    _, numeric = scratch.gradients(layer, x)
    assert np.abs(numeric["weight"]).max() > 0.1  # not the all-zero gradient of a copy
    assert scratch.gradcheck_errors(layer, x)["weight"] <= TOL
    np.testing.assert_array_equal(layer.weight.data, before)  # every entry restored
