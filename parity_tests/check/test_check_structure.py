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
