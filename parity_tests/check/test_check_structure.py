"""The structure stage: layouts (in, out) and (out, in), decided by shapes or, for square
weights, by a probe; a mapping that does not fit is a tree with the bad row marked."""

from __future__ import annotations

import numpy as np
import pytest

from parity.check import Functional, Layers, check
from parity.check.examples import functional_net as F
from parity.check.examples import layers_net as L


def _out_in(params):
    return {k: v.T.copy() if v.ndim == 2 else v for k, v in params.items()}


def _out_in_loss(loss):
    """The same network with weights stored (out, in): transposed on the way in and out."""

    def wrapped(X, y, params):
        value, grads = loss(X, y, _out_in(params))
        return value, _out_in(grads)

    return wrapped


@pytest.mark.parametrize(
    ("layout", "stored", "expected"),
    [("auto", "in_out", "in_out"), ("auto", "out_in", "out_in"), ("in_out", "in_out", "in_out"),
     ("out_in", "out_in", "out_in")],
)  # fmt: skip
def test_layouts_by_shapes(layout, stored, expected):
    params = F.init_params((64, 16, 10))
    loss = F.make_loss("tanh")
    if stored == "out_in":
        params, loss = _out_in(params), _out_in_loss(loss)
    report = check(Functional(loss, params, activation="tanh", layout=layout))
    assert report.ok, report.table()
    how = "given" if layout != "auto" else "shapes"
    assert f"layout: {expected} (decided by {how})" in report.table()


def _square(seed=1):
    """3 features, a hidden layer of 3, 3 classes: every weight square."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 3))
    y = rng.integers(0, 3, 40)
    params = {"W1": rng.uniform(-0.6, 0.6, (3, 3)), "b1": rng.uniform(-0.6, 0.6, 3),
              "W2": rng.uniform(-0.6, 0.6, (3, 3)), "b2": rng.uniform(-0.6, 0.6, 3)}  # fmt: skip
    return X, y, params


@pytest.mark.parametrize("stored", ["in_out", "out_in"])
def test_square_weights_are_decided_by_a_probe_functional(stored):
    X, y, params = _square()
    loss = F.make_loss("relu")
    if stored == "out_in":
        params, loss = _out_in(params), _out_in_loss(loss)
    report = check(Functional(loss, params), X=X, y=y)
    assert report.ok, report.table()
    assert f"layout: {stored} (decided by probe" in report.table()


@pytest.mark.parametrize("stored", ["in_out", "out_in"])
def test_square_weights_are_decided_by_a_probe_layers(stored):
    X, y, _ = _square()

    class TorchLayout(L.Linear):  # W (out, in), torch's formulas
        def forward(self, x):
            self.x = x
            return x @ self.W.T + self.b

        def backward(self, dy):
            self.dW, self.db = dy.T @ self.x, dy.sum(axis=0)
            return dy @ self.W

    linear = L.Linear if stored == "in_out" else TorchLayout
    report = check(Layers(L.build((3, 3, 3), linear=linear), L.SoftmaxCrossEntropy()), X=X, y=y)
    assert report.ok, report.table()
    assert f"layout: {stored} (decided by probe" in report.table()


def test_a_forced_wrong_layout_is_a_structure_failure_with_a_tree():
    report = check(Functional(F.make_loss(), F.init_params((64, 16, 10)), layout="out_in"))
    assert not report.ok and report.first_divergence is None and not report.rows
    assert "takes 16 inputs in the out_in layout" in report.structure_error
    lines = report.table().splitlines()
    marked = [line for line in lines if "<--" in line]
    assert len(marked) == 1 and marked[0].lstrip("├└─ ").startswith("W1 (64, 16)")


@pytest.mark.parametrize(
    ("change", "row", "message"),
    [({"b2": np.zeros(9)}, "b2 (9,)", "W2 has 10 outputs"),
     ({"W2": np.zeros((16, 7)), "b2": np.zeros(7)}, "W2 (16, 7)", "needs 10"),
     ({"W1": np.zeros((63, 16))}, "W1 (63, 16)", "features are 64")],
    ids=["bias length", "output width", "input width"],
)  # fmt: skip
def test_structure_failures_mark_the_bad_row(change, row, message):
    params = {**F.init_params((64, 16, 10)), **change}
    report = check(Functional(F.make_loss(), params))
    assert message in report.structure_error, report.structure_error
    marked = [line for line in report.tree.splitlines() if "<--" in line]
    assert len(marked) == 1 and row in marked[0], report.tree


def test_layers_that_do_not_alternate_are_a_structure_failure():
    rng = np.random.default_rng(0)
    layers = [L.Linear(64, 16, rng), L.Linear(16, 10, rng)]
    report = check(Layers(layers, L.SoftmaxCrossEntropy()))
    assert "layers[1]: expected an activation" in report.structure_error
    assert "layers[1] Linear" in next(x for x in report.tree.splitlines() if "<--" in x)


class Swish:
    def forward(self, x):
        self.x = x
        return x / (1 + np.exp(-x))

    def backward(self, dy):
        return dy


def test_an_unknown_activation_asks_for_kinds_and_kinds_overrides_the_probe():
    layers = L.build((64, 16, 10), act=Swish)
    report = check(Layers(layers, L.SoftmaxCrossEntropy()))
    assert "matches no activation" in report.structure_error
    assert "kinds=" in report.structure_error
    forced = check(Layers(layers, L.SoftmaxCrossEntropy(), kinds=["sigmoid"]))
    d = forced.first_divergence  # now compared as a sigmoid: localised to that layer
    assert (d.stage, d.name) == ("forward", "layers[1]")


def test_a_trailing_activation_the_head_cannot_have_is_a_structure_failure():
    layers = L.build((10, 8, 1), output=L.ReLU)
    report = check(Layers(layers, L.MeanSquaredError(), head="regression"))
    assert "the regression head has no relu after its last Linear" in report.structure_error


def _nnfs_params(sizes=(64, 16, 10)):
    """CS231n-style params with nnfs's (1, n) biases."""
    return {k: v.reshape(1, -1) if v.ndim == 1 else v
            for k, v in F.init_params(sizes).items()}  # fmt: skip


def _reshaped_loss(loss):
    """Your loss on (1, n) biases: the same network, gradients returned in your shapes."""

    def wrapped(X, y, params):
        value, grads = loss(X, y, {k: v.reshape(-1) if v.shape[0] == 1 else v
                                   for k, v in params.items()})  # fmt: skip
        return value, {k: g.reshape(params[k].shape) for k, g in grads.items()}

    return wrapped


def test_row_biases_are_checked_and_updated_in_your_shape():
    seen = []

    def update(params, grads, lr):
        seen.append({k: (v.shape, grads[k].shape) for k, v in params.items()})
        for k in params:
            params[k] -= lr * grads[k]

    impl = Functional(_reshaped_loss(F.make_loss("relu")), _nnfs_params(), update=update)
    report = check(impl, steps=2)
    assert report.ok, report.table()
    assert all(s["b1"] == ((1, 16), (1, 16)) and s["b2"] == ((1, 10), (1, 10)) for s in seen)
    assert len(seen) == 2
    tool = check(Functional(_reshaped_loss(F.make_loss("relu")), _nnfs_params()), steps=2)
    assert tool.ok, tool.table()  # the tool's own SGD writes back into (1, n) arrays


def test_a_gradient_missing_only_a_unit_axis_is_compared_in_your_shape():
    def flat_bias_grads(X, y, params):
        value, grads = _reshaped_loss(F.make_loss("relu"))(X, y, params)
        return value, {k: g.reshape(-1) if k.startswith("b") else g for k, g in grads.items()}

    assert check(Functional(flat_bias_grads, _nnfs_params()), steps=1).ok


@pytest.mark.parametrize(
    ("build", "message"),
    [(lambda: Functional(F.make_loss(), {**F.init_params((64, 16, 10)), "b2": np.zeros((1, 9))}),
      "must be (10,) or (1, 10)"),
     (lambda: Layers([L.Linear(64, 16, np.random.default_rng(0)), L.ReLU(), VectorLinear()],
                     L.SoftmaxCrossEntropy()),
      "needs 10")],
    ids=["row bias of the wrong width", "a vector weight for ten classes"],
)  # fmt: skip
def test_shapes_that_do_not_fit_are_still_structure_failures(build, message):
    report = check(build())
    assert message in report.structure_error, report.structure_error


class VectorLinear:
    """One output unit with a weight vector (16,) and a 0-D bias."""

    def __init__(self):
        self.W, self.b = np.full(16, 0.1), np.array(0.0)

    def forward(self, x):
        self.x = x
        return (x @ self.W + self.b)[:, None]

    def backward(self, dy):
        self.dW, self.db = self.x.T @ dy[:, 0], dy.sum()
        return dy @ self.W[None, :]


class MSEOnColumn:
    def forward(self, pred, y):
        self.d = pred - y[:, None]
        return float((self.d**2).mean())

    def backward(self):
        return 2 * self.d / len(self.d)


def test_a_vector_weight_and_a_scalar_bias_for_one_output():
    rng = np.random.default_rng(0)
    layers = [L.Linear(10, 16, rng), L.ReLU(), VectorLinear()]
    report = check(Layers(layers, MSEOnColumn(), head="regression"), "diabetes", steps=2)
    assert report.ok, report.table()
    assert layers[2].W.shape == (16,) and layers[2].b.shape == ()


def test_params_out_of_order_are_still_refused():
    p = F.init_params((64, 16, 10))
    with pytest.raises(ValueError, match="network order"):
        Functional(F.make_loss(), {"W1": p["W1"], "W2": p["W2"], "b1": p["b1"], "b2": p["b2"]})


class Leaky02:
    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, 0.2 * x)

    def backward(self, dy):
        return dy * np.where(self.x > 0, 1.0, 0.2)


def test_a_leaky_relu_of_another_slope_is_named_as_unsupported():
    report = check(Layers(L.build((64, 16, 10), act=Leaky02), L.SoftmaxCrossEntropy()))
    assert "a Leaky ReLU of slope 0.2" in report.structure_error
    assert "slope 0.01 only" in report.structure_error and "kinds" not in report.structure_error
