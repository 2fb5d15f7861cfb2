"""The twins refuse alike: one table of bad inputs, each run against scratch and torch_impl.

A case is a call written once against a ``Twin`` (the same public names exist on both sides),
the exception scratch raises and scratch's message. Both twins must refuse the input with a
TypeError or ValueError whose message names the argument (``argument(message)``); each words
the rest as its own library would. A failing ``fit`` must also fail before its first step:
the weights are unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch

import scratch
import torch_impl


@dataclass(frozen=True)
class Twin:
    """One implementation, with the few calls whose arguments differ between the twins."""

    name: str
    api: ModuleType  # scratch or torch_impl: fit, predict, make_loss... by the same names
    build: Callable[..., Any]
    sgd: Callable[[Any], Any]
    init: Callable[[Any, str], Any]
    state: Callable[[Any], dict[str, np.ndarray]]


SCRATCH = Twin(
    "scratch",
    scratch,
    lambda *args, **kw: scratch.build_model(*args, rng=np.random.default_rng(0), **kw),
    lambda model: scratch.SGD(model.parameters(), lr=0.1),
    lambda model, scheme: scratch.init_state_dict(model, scheme, np.random.default_rng(0)),
    lambda model: model.state_dict(),
)
TORCH = Twin(
    "torch_impl",
    torch_impl,
    torch_impl.build_model,
    lambda model: torch.optim.SGD(model.parameters(), lr=0.1),
    torch_impl.init_state_dict,
    torch_impl.numpy_state_dict,
)

X = np.linspace(-1, 1, 24).reshape(8, 3)  # (N=8, in=3)
Y = {
    "binary": (X[:, :1] > 0).astype(np.float64),  # (8, 1) in {0, 1}
    "binary_unfused": (X[:, :1] > 0).astype(np.float64),
    "multiclass": np.array([0, 1, 2, 0, 1, 2, 0, 1]),  # (8,) class indices
    "regression": 2 * X[:, :1],  # (8, 1)
}
# head -> (out_features, output_activation, loss)
HEADS = {
    "binary": (1, None, "bce_with_logits"),
    "binary_unfused": (1, "sigmoid", "bce"),
    "multiclass": (3, None, "cross_entropy"),
    "regression": (1, None, "mse"),
}
ORDER_KEYS = {"batches", "batch_size", "epochs", "seed"}


def with_value(a: np.ndarray, index: tuple[int, ...], value: Any) -> np.ndarray:
    a = a.copy()
    a[index] = value
    return a


def net(t: Twin, head: str = "binary", out: int | None = None, **kwargs: Any) -> Any:
    n_out, output_activation, _ = HEADS[head]
    return t.build(3, [4], n_out if out is None else out, "tanh", output_activation, **kwargs)


def fit(t: Twin, head: str = "binary", X: Any = X, y: Any = None, model: Any = None, **kw: Any):
    """A small fit of ``head``; ``kw`` overrides the batch order or adds task / validation."""
    model = net(t, head) if model is None else model
    order = {} if ORDER_KEYS & kw.keys() else {"batch_size": 4, "epochs": 1, "seed": 0}
    y = Y[head] if y is None else y
    before = t.state(model)
    try:
        return t.api.fit(model, t.api.make_loss(HEADS[head][2]), t.sgd(model), X, y, **order, **kw)
    except Exception:
        after = t.state(model)
        if any(not np.array_equal(before[k], after[k]) for k in before):
            raise AssertionError(f"{t.name}.fit changed the weights before raising") from None
        raise


def predict(t: Twin, X: Any = X, task: str = "binary", **kwargs: Any) -> Any:
    return t.api.predict(net(t, **kwargs), X, task)


Case = tuple[str, Callable[[Twin], object], type[Exception], str]
NAN_X = with_value(X, (2, 1), np.nan)
CASES: list[Case] = [
    # ---- X: shape, width, values, type
    ("X-1d", lambda t: fit(t, X=X[:, 0]), ValueError, "X must be 2-D, got shape (8,)"),
    ("X-3d", lambda t: fit(t, X=X[None]), ValueError, "X must be 2-D, got shape (1, 8, 3)"),
    ("X-empty", lambda t: fit(t, X=X[:0], y=Y["binary"][:0]), ValueError, "X is empty"),
    (
        "fit-X-feature-count",
        lambda t: fit(t, X=np.ones((8, 5))),
        ValueError,
        "X has 5 features (shape (8, 5)), expected in_features=3",
    ),
    (
        "predict-X-feature-count",
        lambda t: predict(t, np.ones((4, 2))),
        ValueError,
        "X has 2 features (shape (4, 2)), expected in_features=3",
    ),
    ("fit-X-nan", lambda t: fit(t, X=NAN_X), ValueError, "X contains 1 NaN or inf value(s)"),
    (
        "predict-X-inf",
        lambda t: predict(t, with_value(X, (0, 0), np.inf)),
        ValueError,
        "X contains 1 NaN or inf value(s)",
    ),
    ("X_val-nan", lambda t: fit(t, X_val=NAN_X, y_val=Y["binary"]), ValueError, "X_val contains 1"),
    ("X-int", lambda t: fit(t, X=X.astype(np.int64)), TypeError, "X must have dtype float32 or"),
    ("X-list", lambda t: fit(t, X=X.tolist()), TypeError, "X must be a numpy.ndarray"),
    (
        "X-float32-into-float64",
        lambda t: fit(t, X=X.astype(np.float32)),
        TypeError,
        "X has dtype float32 but the model's parameters are float64; convert with .astype(",
    ),
    (
        "predict-float64-into-float32",
        lambda t: predict(t, X, dtype="float32"),
        TypeError,
        "X has dtype float64 but the model's parameters are float32",
    ),
    # ---- y: length, values, labels, type
    ("y-length", lambda t: fit(t, y=Y["binary"][:7]), ValueError, "y has 7 rows but X has 8"),
    (
        "y_val-length",
        lambda t: fit(t, X_val=X[:4], y_val=Y["binary"][:3]),
        ValueError,
        "y_val has 3 rows but X_val has 4",
    ),
    ("y-list", lambda t: fit(t, y=Y["binary"].tolist()), TypeError, "y must be a numpy.ndarray"),
    (
        "y-nan",
        lambda t: fit(t, "regression", y=with_value(Y["regression"], (3, 0), np.nan)),
        ValueError,
        "y contains 1 NaN or inf value(s)",
    ),
    (
        "bce-targets-minus-one-plus-one",
        lambda t: fit(t, y=2 * Y["binary"] - 1),
        ValueError,
        "BCEWithLogitsLoss: target values must lie in [0, 1], got y in [-1, 1]",
    ),
    (
        "bce-unfused-target-above-one",
        lambda t: fit(t, "binary_unfused", y=1.5 * Y["binary"]),
        ValueError,
        "BCELoss: target values must lie in [0, 1]",
    ),
    (
        "mse-int-targets",
        lambda t: fit(t, "regression", y=np.ones((8, 1), np.int64)),
        TypeError,
        "MSELoss needs float targets, got y of dtype int64",
    ),
    (
        "mse-target-shape",
        lambda t: fit(t, "regression", y=Y["regression"][:, 0]),
        ValueError,
        "MSELoss: y shape (8,) does not match input shape (8, 1)",
    ),
    (
        "y-float32-into-float64",
        lambda t: fit(t, y=Y["binary"].astype(np.float32)),
        TypeError,
        "y has dtype float32 but the model's parameters are float64",
    ),
    (
        "label-out-of-range",
        lambda t: fit(t, "multiclass", y=with_value(Y["multiclass"], (4,), 3)),
        ValueError,
        "CrossEntropyLoss: class index 3 in y out of range [0, 3)",
    ),
    (
        "label-negative",
        lambda t: fit(t, "multiclass", y=with_value(Y["multiclass"], (0,), -1)),
        ValueError,
        "CrossEntropyLoss: class index -1 in y out of range [0, 3)",
    ),
    (
        "label-float",
        lambda t: fit(t, "multiclass", y=Y["multiclass"].astype(np.float64)),
        TypeError,
        "CrossEntropyLoss y must hold integer class indices, got dtype float64",
    ),
    (
        "label-bool",
        lambda t: fit(t, "multiclass", y=Y["multiclass"] > 0),
        TypeError,
        "CrossEntropyLoss y must hold integer class indices, got dtype bool",
    ),
    (
        "label-2d-int",
        lambda t: fit(t, "multiclass", y=np.eye(3, dtype=np.int64)[Y["multiclass"]]),
        ValueError,
        "CrossEntropyLoss: y shape (8, 3) does not match input shape (8, 3); expected (8,)",
    ),
    (
        "evaluate-label-out-of-range",
        lambda t: t.api.evaluate(
            net(t, "multiclass"), t.api.make_loss("cross_entropy"), X, Y["multiclass"] + 5
        ),
        ValueError,
        "class index 5 in y out of range [0, 3)",
    ),
    # ---- the head against the task
    (
        "predict-binary-with-3-outputs",
        lambda t: predict(t, task="binary", out=3),
        ValueError,
        "binary task needs outputs of shape (N, 1), got (N, 3)",
    ),
    (
        "fit-binary-with-3-outputs",
        lambda t: fit(t, model=net(t, out=3), y=np.zeros((8, 3))),
        ValueError,
        "binary task needs outputs of shape (N, 1)",
    ),
    (
        "fit-multiclass-with-1-output",
        lambda t: fit(t, "multiclass", model=net(t, out=1), y=np.zeros(8, np.int64)),
        ValueError,
        "multiclass task needs outputs of shape (N, C) with C >= 2 classes, got (N, 1)",
    ),
    (
        "predict_proba-multiclass-on-sigmoid-head",
        lambda t: t.api.predict_proba(net(t, "binary_unfused", out=3), X, "multiclass"),
        ValueError,
        "multiclass task needs logits or a Softmax output, not a Sigmoid",
    ),
    (
        "predict_proba-binary-on-softmax-head",
        lambda t: t.api.predict_proba(t.build(3, [4], 1, "tanh", "softmax"), X, "binary"),
        ValueError,
        "binary task needs a logit or a Sigmoid output, not a Softmax",
    ),
    (
        "predict_proba-regression",
        lambda t: t.api.predict_proba(net(t), X, "regression"),
        ValueError,
        "predict_proba needs a classification task",
    ),
    # ---- names
    ("fit-unknown-task", lambda t: fit(t, task="ranking"), ValueError, "unknown task 'ranking'"),
    ("predict-unknown-task", lambda t: predict(t, task="rank"), ValueError, "unknown task 'rank'"),
    (
        "infer-task-unknown-loss",
        lambda t: t.api.infer_task(object()),
        ValueError,
        "cannot infer the task from object; pass task=",
    ),
    (
        "unknown-activation",
        lambda t: t.build(2, [4], 1, "swish"),
        ValueError,
        "unknown activation 'swish'; valid: sigmoid, tanh, relu, leaky_relu, identity",
    ),
    (
        "unknown-activation-no-hidden-layer",
        lambda t: t.build(2, [], 1, "bogus"),
        ValueError,
        "unknown activation 'bogus'",
    ),
    (
        "unknown-activation-in-list",
        lambda t: t.build(2, [4, 4], 1, ["tanh", "gelu"]),
        ValueError,
        "unknown activation 'gelu'",
    ),
    (
        "activation-count",
        lambda t: t.build(2, [4, 4], 1, ["tanh"]),
        ValueError,
        "got 1 activations for 2 hidden layers",
    ),
    (
        "activation-not-a-name",
        lambda t: t.build(2, [4], 1, 3),
        TypeError,
        "activation must be a name or one name per hidden layer, got int 3",
    ),
    (
        "unknown-output-activation",
        lambda t: t.build(2, [4], 1, "tanh", "tanh"),
        ValueError,
        "unknown output_activation 'tanh'; valid: None, sigmoid, softmax",
    ),
    (
        "make_activation-unknown",
        lambda t: t.api.make_activation("gelu"),
        ValueError,
        "unknown activation 'gelu'",
    ),
    (
        "make_loss-unknown",
        lambda t: t.api.make_loss("hinge"),
        ValueError,
        "unknown loss 'hinge'; valid: mse, bce, bce_with_logits, cross_entropy",
    ),
    (
        "make_loss-unknown-reduction",
        lambda t: t.api.make_loss("mse", "none"),
        ValueError,
        "unknown reduction 'none'; valid: mean, sum",
    ),
    (
        "init-unknown",
        lambda t: t.init(net(t), "orthogonal"),
        ValueError,
        "unknown initialiser 'orthogonal'; valid: default, xavier_uniform",
    ),
    ("dtype-float16", lambda t: net(t, dtype="float16"), ValueError, "unsupported dtype 'float16'"),
    ("width-zero", lambda t: t.build(2, [4, 0], 1), ValueError, "hidden[1] must be a positive int"),
    ("in-features-bool", lambda t: t.build(True, [4], 1), ValueError, "in_features must be a"),
    ("hidden-int", lambda t: t.build(2, 8, 1), TypeError, "hidden must be a sequence of layer"),
    (
        "network-too-large",
        lambda t: t.build(2, [10**10], 1),
        ValueError,
        "a network of layer widths (2, 10000000000, 1) has 40,000,000,001 parameters, which "
        "need 320 GB of float64 for its weights alone",
    ),
    # ---- the batch order
    ("batches-empty", lambda t: fit(t, batches=[]), ValueError, "batches is empty"),
    ("batches-empty-epoch", lambda t: fit(t, batches=[[]]), ValueError, "batches[0] has no"),
    (
        "batches-empty-batch",
        lambda t: fit(t, batches=[[np.arange(4), np.array([], np.int64)]]),
        ValueError,
        "batches[0][1] must be a non-empty 1-D index array",
    ),
    (
        "batches-out-of-range",
        lambda t: fit(t, batches=[[np.arange(4)], [np.array([0, 8])]]),
        ValueError,
        "batches[1][0] has indices in [0, 8], outside [0, 8)",
    ),
    (
        "batches-float-indices",
        lambda t: fit(t, batches=[[np.array([0.0, 1.0])]]),
        TypeError,
        "batches[0][0] must hold integer indices",
    ),
    (
        "batches-and-seed",
        lambda t: fit(t, batches=[[np.arange(8)]], seed=0),
        ValueError,
        "give either batches or batch_size/epochs/seed, not both",
    ),
    (
        "no-batch-order",
        lambda t: fit(t, batch_size=4),
        ValueError,
        "give either batches or all of batch_size, epochs and seed",
    ),
    ("seed-float", lambda t: fit(t, batch_size=4, epochs=1, seed=0.5), TypeError, "seed must be"),
    (
        "seed-negative",
        lambda t: fit(t, batch_size=4, epochs=1, seed=-1),
        ValueError,
        "seed must be a non-negative int, got -1",
    ),
    (
        "batch_size-zero",
        lambda t: fit(t, batch_size=0, epochs=1, seed=0),
        ValueError,
        "batch_size must be a positive int",
    ),
    (
        "epochs-float",
        lambda t: fit(t, batch_size=4, epochs=1.0, seed=0),
        ValueError,
        "epochs must be a positive int",
    ),
    ("half-validation", lambda t: fit(t, X_val=X), ValueError, "give both X_val and y_val"),
]


# the argument a message must name, the first of these that scratch's message holds as a word
ARGUMENTS = ("X_val", "y_val", "X", "y", "batches", "batch_size", "epochs", "seed", "target",
             "output_activation", "activation", "hidden", "in_features", "widths", "dtype",
             "reduction", "loss", "initialiser", "task")  # fmt: skip


def argument(message: str) -> str:
    """The argument ``message`` names (see ``ARGUMENTS``)."""
    for name in ARGUMENTS:
        if re.search(rf"(?<![\w\[]){re.escape(name)}(?![\w])", message):
            return name
    raise AssertionError(f"no argument named in {message!r}")


@pytest.mark.parametrize(
    ("call", "error", "phrase"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_twins_refuse_naming_the_argument(call, error, phrase):
    name = argument(phrase)
    for twin in (SCRATCH, TORCH):
        with pytest.raises((TypeError, ValueError)) as info:
            call(twin)
        if twin is SCRATCH:  # scratch's own wording, as the table gives it
            assert type(info.value) is error and phrase in str(info.value), str(info.value)
        assert re.search(rf"(?<![\w\[]){re.escape(name)}(?![\w])", str(info.value)), (
            f"{twin.name} does not name {name!r}: {info.value}"
        )


def test_the_table_is_large_and_its_ids_unique():
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids)) >= 25
