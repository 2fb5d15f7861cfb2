"""Bad input to the API raises TypeError (a wrong type) or ValueError (a wrong value) at the
public boundary, with a message naming the problem."""

from __future__ import annotations

import re

import numpy as np
import pytest

from parity.check import Functional, Layers, check
from parity.check.examples import functional_net as F
from parity.check.examples import layers_net as L

P = F.init_params((64, 8, 10))
LOSS = F.make_loss("relu")


def _with(**changes):
    return {**P, **changes}


def _layers(**kw):
    return Layers(L.build((64, 8, 10)), L.SoftmaxCrossEntropy(), **kw)


class NoBackward:
    def forward(self, x):
        return x


def _returns(value):
    return Functional(lambda X, y, p: value(LOSS(X, y, p)), P)


CONSTRUCTION = {
    "loss_fn not callable": (lambda: Functional("loss", P), TypeError, "loss_fn must be callable"),
    "params not a dict": (lambda: Functional(LOSS, [P["W1"]]), TypeError, "params must be a dict"),
    "params empty": (lambda: Functional(LOSS, {}), ValueError, "params is empty"),
    "3-D weight": (
        lambda: Functional(LOSS, _with(W1=np.zeros((2, 2, 2)))),
        ValueError,
        "weights must be 2-D",
    ),
    "NaN weight": (lambda: Functional(LOSS, _with(W1=np.full((64, 8), np.nan))), ValueError, "NaN"),
    "int weight": (
        lambda: Functional(LOSS, _with(W1=np.zeros((64, 8), int))),
        TypeError,
        "float arrays",
    ),
    "list weight": (lambda: Functional(LOSS, _with(W1=[[1.0]])), TypeError, "numpy array"),
    "bias first": (
        lambda: Functional(LOSS, {"b1": P["b1"], "W1": P["W1"]}),
        ValueError,
        "must be a weight",
    ),
    "unknown activation": (
        lambda: Functional(LOSS, P, activation="gelu"),
        ValueError,
        "unknown activation 'gelu'",
    ),
    "activation count": (
        lambda: Functional(LOSS, P, activation=["relu", "tanh"]),
        ValueError,
        "2 names for 1 hidden layers",
    ),
    "unknown head": (lambda: Functional(LOSS, P, head="softmax"), ValueError, "unknown head"),
    "head not a string": (lambda: Functional(LOSS, P, head=3), TypeError, "head must be"),
    "unknown layout": (
        lambda: Functional(LOSS, P, layout="row_major"),
        ValueError,
        "unknown layout",
    ),
    "update not callable": (
        lambda: Functional(LOSS, P, update=0.1),
        TypeError,
        "update must be callable",
    ),
    "layers not a list": (
        lambda: Layers(L.Linear, L.SoftmaxCrossEntropy()),
        TypeError,
        "layers must be a list",
    ),
    "layer without backward": (
        lambda: Layers([NoBackward()], L.SoftmaxCrossEntropy()),
        TypeError,
        "has no backward()",
    ),
    "loss without backward": (
        lambda: Layers(L.build((64, 10)), NoBackward()),
        TypeError,
        "loss (NoBackward) has no backward()",
    ),
    "no weight attribute": (
        lambda: _layers(weight="weights"),
        ValueError,
        "no layer has a weight attribute 'weights'",
    ),
    "kinds count": (lambda: _layers(kinds=["relu", "relu"]), ValueError, "kinds has 2 names"),
    "unknown kind": (lambda: _layers(kinds=["swish"]), ValueError, "unknown kind 'swish'"),
    "attribute name": (lambda: _layers(bias=3), TypeError, "bias must be an attribute name"),
}


@pytest.mark.parametrize("case", CONSTRUCTION, ids=str)
def test_bad_construction(case):
    build, error, message = CONSTRUCTION[case]
    with pytest.raises(error, match=re.escape(message)):
        build()


CALL = {
    "not an implementation": (lambda: check(LOSS), TypeError, "Functional, Layers or Torch"),
    "unknown dataset": (lambda: check(Functional(LOSS, P), "mnist"), ValueError,
                        "unknown dataset 'mnist'"),
    "dataset of another task": (lambda: check(Functional(LOSS, P), "diabetes"), ValueError,
                                "cannot supply targets for the multiclass head"),
    "too many rows": (lambda: check(Functional(LOSS, P), rows=10**6), ValueError, "training rows"),
    "zero rows": (lambda: check(Functional(LOSS, P), rows=0), ValueError, "rows must be >= 1"),
    "negative steps": (lambda: check(Functional(LOSS, P), steps=-1), ValueError, "steps"),
    "unknown optimizer": (lambda: check(Functional(LOSS, P), optimizer="lbfgs"), ValueError,
                          "unknown optimizer"),
    "negative lr": (lambda: check(Functional(LOSS, P), lr=-0.1), ValueError, "lr must be"),
    "momentum 1": (lambda: check(Functional(LOSS, P), momentum=1.0), ValueError, "momentum"),
    "half precision": (lambda: check(Functional(LOSS, P), dtype="float16"), ValueError,
                       "unknown dtype"),
    "both dataset and X": (lambda: check(Functional(LOSS, P), "digits", X=np.zeros((4, 64)),
                                         y=np.zeros(4, int)), ValueError, "not both"),
    "X without y": (lambda: check(Functional(LOSS, P), X=np.zeros((4, 64))), ValueError,
                    "both X= and y="),
    "X with NaN": (lambda: check(Functional(LOSS, P), X=np.full((4, 64), np.nan),
                                 y=np.zeros(4, int)), ValueError, "X contains NaN"),
    "float y for multiclass": (lambda: check(Functional(LOSS, P), X=np.zeros((4, 64)),
                                             y=np.zeros(4)), TypeError, "integer class indices"),
    "y of another length": (lambda: check(Functional(LOSS, P), X=np.zeros((4, 64)),
                                          y=np.zeros(3, int)), ValueError, "shape (4,)"),
    "binary y of 2": (lambda: check(Functional(LOSS, {"W": np.zeros((64, 1)), "b": np.zeros(1)},
                                               head="binary"),
                                    X=np.zeros((4, 64)), y=np.array([0, 1, 2, 1])),
                      ValueError, "binary labels must be 0 or 1"),
    "loss_fn returns a number": (lambda: check(_returns(lambda out: out[0])), TypeError,
                                 "must return (loss, grads)"),
    "loss is an array": (lambda: check(_returns(lambda out: (np.ones(64), out[1]))), TypeError,
                         "ndarray of shape (64,) as the loss"),
    "grads not a dict": (lambda: check(_returns(lambda out: (out[0], list(out[1].values())))),
                         TypeError, "grads must be a dict"),
    "grads missing a key": (lambda: check(_returns(
        lambda out: (out[0], {k: v for k, v in out[1].items() if k != "b2"}))), ValueError,
        "missing ['b2']"),
    "grad is None": (lambda: check(_returns(lambda out: (out[0], {**out[1], "W1": None}))),
                     TypeError, "grads['W1'] is None"),
}  # fmt: skip


@pytest.mark.parametrize("case", CALL, ids=str)
def test_bad_call(case):
    call, error, message = CALL[case]
    with pytest.raises(error, match=re.escape(message)):
        call()


class ForgetsToReturn(L.ReLU):
    def backward(self, dy):
        dy * self.mask  # no return: a broken contract, not a numeric mistake


class WrongGradName(L.Linear):
    def __init__(self, n_in, n_out, rng):
        super().__init__(n_in, n_out, rng)
        del self.dW

    def backward(self, dy):
        self.grad_W = self.x.T @ dy
        self.db = dy.sum(axis=0)
        return dy @ self.W.T


@pytest.mark.parametrize(
    ("layers", "error", "message"),
    [
        (L.build((64, 8, 10), act=ForgetsToReturn), TypeError,
         "layers[1].backward returned a NoneType; it must return a numpy array"),
        ([WrongGradName(64, 10, np.random.default_rng(0))], ValueError, "left no 'dW'"),
    ],
    ids=["backward returns None", "gradient under another name"],
)  # fmt: skip
def test_broken_layer_contract(layers, error, message):
    with pytest.raises(error, match=re.escape(message)):
        check(Layers(layers, L.SoftmaxCrossEntropy()))


def test_nothing_of_yours_is_changed_by_a_check():
    params = F.init_params((64, 8, 10))
    before = {k: v.copy() for k, v in params.items()}
    check(Functional(LOSS, params), steps=3)
    assert all(np.array_equal(params[k], before[k]) for k in params)
    layers = L.build((64, 8, 10))
    weights = [layer.W.copy() for layer in layers if hasattr(layer, "W")]
    objects = [layer.W for layer in layers if hasattr(layer, "W")]
    check(Layers(layers, L.SoftmaxCrossEntropy(), update=L.update_rule("sgd")), steps=3,
          dtype="float32")  # fmt: skip
    now = [layer.W for layer in layers if hasattr(layer, "W")]
    assert all(a is b for a, b in zip(now, objects, strict=True))  # your arrays, restored
    assert all(np.array_equal(a, b) for a, b in zip(now, weights, strict=True))


def test_a_gradient_under_another_name_is_pointed_out():
    class StoresGradW(L.Linear):  # keeps the initial dW of zeros, writes grad_W instead
        def backward(self, dy):
            self.grad_W = self.x.T @ dy
            self.db = dy.sum(axis=0)
            return dy @ self.W.T

    report = check(Layers([StoresGradW(64, 10, np.random.default_rng(0))],
                          L.SoftmaxCrossEntropy()))  # fmt: skip
    d = report.first_divergence
    assert (d.name, d.diagnosis.pattern) == ("layers[0].W", "gradient_not_written")
    assert "grad_weight=" in d.diagnosis.fix
