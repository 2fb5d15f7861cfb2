"""Bad input fails loudly at the public call, with a message naming what is wrong.

One table: each case is a call, the exception type and a regex the message must match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import scratch

X = np.linspace(-1, 1, 12).reshape(4, 3)  # (N=4, in=3)
Y_BIN = np.array([[0.0], [1.0], [1.0], [0.0]])
NAN_X = np.where(np.eye(4, 3) > 0, np.nan, X)


def linear() -> scratch.Linear:
    return scratch.Linear(3, 2, rng=np.random.default_rng(0))


def net(dtype: str = "float64", out: int = 1) -> scratch.Sequential:
    return scratch.build_model(3, [4], out, "tanh", dtype=dtype, rng=np.random.default_rng(0))


def forwarded(module: Any, *args: Any) -> Any:
    module(*args)
    return module


def fit(X: Any = X, y: Any = Y_BIN, **kwargs: Any) -> scratch.History:
    """A small binary fit; kwargs override the batch order or add validation data."""
    model = net()
    order = kwargs if "batches" in kwargs else {"batch_size": 2, "epochs": 1, "seed": 0, **kwargs}
    return scratch.fit(
        model, scratch.BCEWithLogitsLoss(), scratch.SGD(model.parameters(), lr=0.1), X, y, **order
    )


def loss(name: str, x: Any, target: Any) -> float:
    return scratch.make_loss(name)(x, target)


CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    # ---- shapes
    (
        "linear-wrong-width",
        lambda: linear()(np.ones((4, 2))),
        ValueError,
        r"2 features.*in_features=3",
    ),
    ("model-wrong-width", lambda: net()(np.ones((4, 5))), ValueError, "in_features=3"),
    (
        "predict-wrong-width",
        lambda: scratch.predict(net(), np.ones((4, 2)), "binary"),
        ValueError,
        "in_features=3",
    ),
    ("linear-1d-input", lambda: linear()(np.ones(3)), ValueError, r"2-D, got shape \(3,\)"),
    ("linear-3d-input", lambda: linear()(np.ones((2, 4, 3))), ValueError, "2-D"),
    (
        "mse-target-shape",
        lambda: loss("mse", np.ones((4, 2)), np.ones((4, 3))),
        ValueError,
        r"target shape \(4, 3\) does not match input shape \(4, 2\)",
    ),
    (
        "bce-target-shape",
        lambda: loss("bce", np.full((4, 1), 0.5), np.ones(4)),
        ValueError,
        "target shape",
    ),
    (
        "bce_with_logits-target-shape",
        lambda: loss("bce_with_logits", np.ones((4, 1)), np.ones((1, 4))),
        ValueError,
        "target shape",
    ),
    (
        "cross_entropy-target-shape",
        lambda: loss("cross_entropy", np.ones((4, 3)), np.zeros(3, dtype=np.int64)),
        ValueError,
        r"target shape \(3,\)",
    ),
    (
        "cross_entropy-one-hot-int-target",
        lambda: loss("cross_entropy", np.ones((4, 3)), np.eye(3, dtype=np.int64)[[0, 1, 2, 0]]),
        ValueError,
        r"target shape \(4, 3\) .* expected \(4,\) \(for one-hot rows use target\.argmax\(axis=1",
    ),
    (
        "cross_entropy-one-hot-float-target",
        lambda: loss("cross_entropy", np.ones((4, 3)), np.eye(3)[[0, 1, 2, 0]]),
        TypeError,
        r"CrossEntropyLoss target must hold integer class indices, got dtype float64 and shape "
        r"\(4, 3\) \(for one-hot rows use target\.argmax\(axis=1\)\)",
    ),
    (
        "cross_entropy-probability-target",
        lambda: loss("cross_entropy", np.ones((4, 3)), np.full((4, 3), 1 / 3, np.float32)),
        TypeError,
        r"got dtype float32 and shape \(4, 3\) \(for one-hot rows use target\.argmax\(axis=1\)\)",
    ),
    (
        "cross_entropy-1d-input",
        lambda: loss("cross_entropy", np.ones(3), np.zeros(1, np.int64)),
        ValueError,
        "2-D",
    ),
    # ---- dtypes and containers
    (
        "linear-int-input",
        lambda: linear()(np.ones((4, 3), dtype=np.int64)),
        TypeError,
        "Linear input must have dtype float32 or float64, got int64",
    ),
    ("linear-object-input", lambda: linear()(X.astype(object)), TypeError, "got object"),
    (
        "tanh-int-input",
        lambda: scratch.Tanh()(np.ones((2, 2), dtype=np.int32)),
        TypeError,
        "Tanh input",
    ),
    (
        "mse-int-target",
        lambda: loss("mse", X, np.ones((4, 3), dtype=np.int64)),
        TypeError,
        "MSELoss needs float targets, got target of dtype int64",
    ),
    (
        "bce-int-input",
        lambda: loss("bce", np.zeros((4, 1), np.int64), Y_BIN),
        TypeError,
        "BCELoss input",
    ),
    ("linear-list-input", lambda: linear()(X.tolist()), TypeError, "numpy.ndarray, got list"),
    ("mse-list-target", lambda: loss("mse", X, X.tolist()), TypeError, "target.*got list"),
    (
        "cross_entropy-list-target",
        lambda: loss("cross_entropy", X, [0, 1, 2, 0]),
        TypeError,
        "got list",
    ),
    ("fit-list-X", lambda: fit(X=X.tolist()), TypeError, "X must be a numpy.ndarray"),
    ("fit-list-y", lambda: fit(y=Y_BIN.tolist()), TypeError, "y must be a numpy.ndarray"),
    (
        "linear-float32-into-float64",
        lambda: linear()(X.astype(np.float32)),
        TypeError,
        "float32.*float64",
    ),
    ("model-float64-into-float32", lambda: net("float32")(X), TypeError, "float64.*float32"),
    (
        "fit-float32-into-float64",
        lambda: fit(X=X.astype(np.float32)),
        TypeError,
        "float32.*float64",
    ),
    (
        "predict_proba-float32-into-float64",
        lambda: scratch.predict_proba(net(), X.astype(np.float32)),
        TypeError,
        "float32.*float64",
    ),
    (
        "mse-float32-target-float64-input",
        lambda: loss("mse", X, X.astype(np.float32)),
        TypeError,
        "float32.*float64",
    ),
    # ---- values
    ("linear-nan-input", lambda: linear()(NAN_X), ValueError, "3 NaN or inf"),
    (
        "sigmoid-inf-input",
        lambda: scratch.Sigmoid()(np.array([[np.inf]])),
        ValueError,
        "Sigmoid input contains 1 NaN or inf",
    ),
    ("mse-nan-target", lambda: loss("mse", X, NAN_X), ValueError, "target contains 3 NaN"),
    ("fit-nan-X", lambda: fit(X=NAN_X), ValueError, "X contains 3 NaN"),
    (
        "cross_entropy-label-negative",
        lambda: loss("cross_entropy", X, np.array([0, -1, 2, 0])),
        ValueError,
        r"class index -1 in target out of range \[0, 3\)",
    ),
    (
        "cross_entropy-label-too-big",
        lambda: loss("cross_entropy", X, np.array([0, 1, 3, 0])),
        ValueError,
        r"class index 3 in target out of range \[0, 3\)",
    ),
    (
        "cross_entropy-float-labels",
        lambda: loss("cross_entropy", X, np.array([0.0, 1, 2, 0])),
        TypeError,
        "integer class indices, got dtype float64",
    ),
    (
        "bce-target-above-1",
        lambda: loss("bce", np.full((4, 1), 0.5), Y_BIN * 1.5),
        ValueError,
        r"target values must lie in \[0, 1\]",
    ),
    (
        "bce_with_logits-target-negative",
        lambda: loss("bce_with_logits", X, -X),
        ValueError,
        r"BCEWithLogitsLoss: target values must lie in \[0, 1\]",
    ),
    (
        "bce-input-above-1",
        lambda: loss("bce", Y_BIN + 0.5, Y_BIN),
        ValueError,
        r"BCELoss: input must be probabilities in \[0, 1\]",
    ),
    ("bce-input-negative", lambda: loss("bce", Y_BIN - 0.5, Y_BIN), ValueError, "probabilities"),
    # ---- sizes
    ("fit-X-y-length", lambda: fit(y=Y_BIN[:3]), ValueError, "y has 3 rows but X has 4"),
    (
        "fit-empty-X",
        lambda: fit(X=np.empty((0, 3)), y=np.empty((0, 1))),
        ValueError,
        r"X is empty \(shape \(0, 3\)\)",
    ),
    ("linear-empty-batch", lambda: linear()(np.empty((0, 3))), ValueError, "empty"),
    ("mse-empty", lambda: loss("mse", np.empty((0, 1)), np.empty((0, 1))), ValueError, "empty"),
    ("fit-batch_size-0", lambda: fit(batch_size=0), ValueError, "batch_size"),
    ("fit-epochs-0", lambda: fit(epochs=0), ValueError, "epochs"),
    (
        "fit-batch_size-float",
        lambda: fit(batch_size=2.5),
        ValueError,
        "batch_size must be a positive integer, got float 2.5",
    ),
    (
        "fit-epochs-float",
        lambda: fit(epochs=1.0),
        ValueError,
        "epochs must be a positive integer, got float 1.0",
    ),
    ("fit-epochs-str", lambda: fit(epochs="3"), ValueError, "epochs must be a positive integer"),
    (
        "batch_order-batch_size-float",
        lambda: scratch.batch_order(10, 2.5, 1, np.random.default_rng(0)),
        ValueError,
        "batch_size must be a positive integer, got float 2.5",
    ),
    (
        "batch_order-epochs-bool",
        lambda: scratch.batch_order(10, 2, True, np.random.default_rng(0)),
        ValueError,
        "epochs must be a positive integer, got bool True",
    ),
    (
        "fit-seed-generator",
        lambda: fit(seed=np.random.default_rng(0)),
        TypeError,
        "seed must be an int, got Generator",
    ),
    (
        "batch_order-rng-legacy",
        lambda: scratch.batch_order(10, 2, 1, np.random.RandomState(0)),
        TypeError,
        r"rng must be a numpy\.random\.Generator .*got RandomState",
    ),
    (
        "build_model-rng-int",
        lambda: scratch.build_model(3, [4], 1, rng=0),
        TypeError,
        r"rng must be a numpy\.random\.Generator .*got int",
    ),
    (
        "linear-rng-int",
        lambda: scratch.Linear(3, 2, rng=42),
        TypeError,
        r"rng must be a numpy\.random\.Generator .*got int",
    ),
    (
        "fit-empty-batch",
        lambda: fit(batches=[[np.array([0, 1]), np.array([], np.int64)]]),
        ValueError,
        r"batches\[0\]\[1\] must be a non-empty",
    ),
    (
        "fit-epoch-without-batches",
        lambda: fit(batches=[[np.array([0, 1])], []]),
        ValueError,
        r"batches\[1\] has no batches",
    ),
    ("fit-no-epochs", lambda: fit(batches=[]), ValueError, "batches is empty"),
    (
        "fit-batch-out-of-range",
        lambda: fit(batches=[[np.array([0, 4])]]),
        ValueError,
        r"outside \[0, 4\)",
    ),
    ("fit-X_val-without-y_val", lambda: fit(X_val=X), ValueError, "X_val and y_val"),
    ("fit-no-batch-order", lambda: fit(batches=None), ValueError, "batch_size"),
    # ---- names
    (
        "build_model-unknown-activation",
        lambda: scratch.build_model(3, [4], 1, "swish"),
        ValueError,
        "unknown activation 'swish'",
    ),
    (
        "build_model-unknown-output-activation",
        lambda: scratch.build_model(3, [4], 1, "tanh", "tanh"),
        ValueError,
        "unknown output_activation 'tanh'",
    ),
    (
        "make_activation-unknown",
        lambda: scratch.make_activation("gelu"),
        ValueError,
        "unknown activation 'gelu'",
    ),
    (
        "init-unknown",
        lambda: scratch.init_state_dict(net(), "orthogonal", np.random.default_rng(0)),
        ValueError,
        "unknown initialiser 'orthogonal'",
    ),
    ("make_loss-unknown", lambda: scratch.make_loss("hinge"), ValueError, "unknown loss 'hinge'"),
    (
        "reduction-unknown",
        lambda: scratch.MSELoss(reduction="avg"),
        ValueError,
        "unknown reduction 'avg'",
    ),
    (
        "make_loss-reduction-unknown",
        lambda: scratch.make_loss("bce", "none"),
        ValueError,
        "unknown reduction 'none'",
    ),
    ("fit-unknown-task", lambda: fit(task="ranking"), ValueError, "unknown task 'ranking'"),
    (
        "predict-unknown-task",
        lambda: scratch.predict(net(), X, "ranking"),
        ValueError,
        "unknown task 'ranking'",
    ),
    (
        "predict_proba-regression",
        lambda: scratch.predict_proba(net(), X, "regression"),
        ValueError,
        "classification",
    ),
    ("build_model-bad-dtype", lambda: net(dtype="float16"), ValueError, "float16"),
    (
        "build_model-hidden-int",
        lambda: scratch.build_model(3, 8, 1),
        TypeError,
        r"hidden must be a sequence of layer widths, e\.g\. \(8,\) or \[\], got int 8",
    ),
    (
        "build_model-hidden-str",
        lambda: scratch.build_model(3, "8", 1),
        TypeError,
        "hidden must be a sequence of layer widths.*got str '8'",
    ),
    (
        "build_model-hidden-none",
        lambda: scratch.build_model(3, None, 1),
        TypeError,
        "hidden must be a sequence of layer widths.*got NoneType None",
    ),
    (
        "leaky_relu-slope-str",
        lambda: scratch.LeakyReLU("0.1"),
        TypeError,
        "LeakyReLU negative_slope must be a real number",
    ),
    (
        "build_model-bad-width",
        lambda: scratch.build_model(3, [0], 1),
        ValueError,
        r"hidden\[0\] must be a positive integer, got int 0",
    ),
    # ---- backward protocol
    (
        "linear-backward-before-forward",
        lambda: linear().backward(np.ones((4, 2))),
        RuntimeError,
        "Linear.backward called before forward",
    ),
    *(
        (
            f"{name}-backward-before-forward",
            lambda make=make: make().backward(np.ones((4, 1))),
            RuntimeError,
            rf"{make.__name__}\.backward called before forward",
        )
        for name, make in {**scratch.ACTIVATIONS, "softmax": scratch.Softmax}.items()
    ),
    (
        "model-backward-before-forward",
        lambda: net().backward(np.ones((4, 1))),
        RuntimeError,
        "Linear.backward called before forward",
    ),
    (
        "model-with-head-backward-before-forward",
        lambda: scratch.build_model(3, [4], 1, "relu", "sigmoid").backward(np.ones((4, 1))),
        RuntimeError,
        "Sigmoid.backward called before forward",
    ),
    *(
        (
            f"{name}-backward-before-forward",
            lambda cls=cls: cls().backward(),
            RuntimeError,
            rf"{cls.__name__}\.backward called before forward",
        )
        for name, cls in scratch.LOSSES.items()
    ),
    (
        "linear-dy-wrong-shape",
        lambda: forwarded(linear(), X).backward(np.ones((4, 3))),
        ValueError,
        r"dy has shape \(4, 3\), expected .* \(4, 2\)",
    ),
    (
        "softmax-dy-wrong-shape",
        lambda: forwarded(scratch.Softmax(), X).backward(np.ones((3, 4))),
        ValueError,
        r"Softmax.backward: dy has shape \(3, 4\)",
    ),
    (
        "model-dy-wrong-shape",
        lambda: forwarded(net(), X).backward(np.ones((4, 2))),
        ValueError,
        "dy has shape",
    ),
    (
        "relu-dy-list",
        lambda: forwarded(scratch.ReLU(), X).backward(X.tolist()),
        TypeError,
        "dy must be a float32/float64 ndarray",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises(call, error, match):
    with pytest.raises(error, match=match):
        call()
