"""Inference for the seed's tasks (``predict``, ``predict_proba``, ``evaluate``): regression
(MSE), binary (BCE; one logit or a Sigmoid output: class 1 when P(class 1) > 0.5), multiclass
(cross-entropy; C >= 2 logits or a Softmax output: the argmax). Twin: ``torch_impl.inference``."""

from typing import Any

import numpy as np

from ._checks import check_float_array
from .activations import Sigmoid, Softmax, sigmoid, softmax
from .layers import Linear
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss, check_target
from .model import Sequential

TASKS = ("regression", "binary", "multiclass")


def infer_task(loss_fn: Any) -> str:
    """The task a loss implies: MSE -> regression, BCE -> binary, cross-entropy -> multiclass."""
    if isinstance(loss_fn, MSELoss):
        return "regression"
    if isinstance(loss_fn, (BCELoss, BCEWithLogitsLoss)):
        return "binary"
    if isinstance(loss_fn, CrossEntropyLoss):
        return "multiclass"
    raise ValueError(
        f"cannot infer the task from {type(loss_fn).__name__}; pass task=, "
        f"valid: {', '.join(TASKS)}"
    )


def check_task(task: object) -> str:
    """``task`` if it is one of ``TASKS``."""
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    return task


def linear_widths(model: Sequential) -> tuple[int | None, int | None]:
    """``(in_features, out_features)`` of the first and last ``Linear`` (``None`` without)."""
    linears = [m for m in model if isinstance(m, Linear)]
    return (linears[0].in_features, linears[-1].out_features) if linears else (None, None)


def check_head(task: str, width: int, model: Sequential) -> None:
    """Binary needs one output (a logit, or a Sigmoid), multiclass C >= 2 (logits, a Softmax)."""
    last = model[-1] if len(model) else None
    if task == "binary" and width != 1:
        raise ValueError(
            f"binary task needs outputs of shape (N, 1), got (N, {width}); "
            f"use task='multiclass' for {width} classes"
        )
    if task == "binary" and isinstance(last, Softmax):
        raise ValueError(
            "binary task needs a logit or a Sigmoid output, not a Softmax "
            "(a softmax over one unit is always 1)"
        )
    if task == "multiclass" and width < 2:
        raise ValueError(
            f"multiclass task needs outputs of shape (N, C) with C >= 2 classes, got "
            f"(N, {width}); use task='binary' for one output unit"
        )
    if task == "multiclass" and isinstance(last, Sigmoid):
        raise ValueError("multiclass task needs logits or a Softmax output, not a Sigmoid")


def check_data(
    model: Sequential, loss_fn: Loss, X: Any, y: Any, task: str, names: tuple[str, str] = ("X", "y")
) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (N, in_features) and its targets ``y``, checked for ``model``, ``loss_fn`` and
    ``task``; ``names`` are the arguments' (``("X_val", "y_val")`` for validation)."""
    (x_name, y_name), (n_in, n_out) = names, linear_widths(model)
    X = check_float_array(X, x_name, ndim=2, dtype=model.dtype, in_features=n_in)
    if task != "regression" and n_out is not None:
        check_head(task, n_out, model)
    if isinstance(y, np.ndarray) and y.shape[:1] != X.shape[:1]:
        rows = y.shape[0] if y.ndim else 0
        raise ValueError(f"{y_name} has {rows} rows but {x_name} has {len(X)}; they must match")
    out = (len(X), X.shape[1] if n_out is None else n_out)  # no Linear: elementwise layers
    return X, check_target(loss_fn, y, out, model.dtype, y_name)


def probabilities(model: Sequential, out: np.ndarray, task: str) -> np.ndarray:
    """Outputs -> (N, 1) P(class 1) for binary, (N, C) rows for multiclass; a model whose
    last module is ``Sigmoid`` / ``Softmax`` already outputs them."""
    check_head(task, out.shape[1], model)
    if task == "binary":
        return out if isinstance(model[-1], Sigmoid) else sigmoid(out)
    return out if isinstance(model[-1], Softmax) else softmax(out)


def predicted_labels(proba: np.ndarray, task: str) -> np.ndarray:
    """(N,) int64 labels: P(class 1) > 0.5 for binary, the argmax for multiclass."""
    return (proba[:, 0] > 0.5).astype(np.int64) if task == "binary" else proba.argmax(axis=1)


def target_labels(y: np.ndarray, task: str) -> np.ndarray:
    """Targets -> (N,) integer labels for accuracy: one-hot -> argmax, 0/1 floats -> round."""
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    y = y.reshape(len(y))
    return np.rint(y).astype(np.int64) if task == "binary" else y.astype(np.int64)


def loss_and_accuracy(
    model: Sequential, loss_fn: Loss, X: np.ndarray, y: np.ndarray, task: str
) -> tuple[float, float | None]:
    """``evaluate`` on checked ``X, y``; what ``fit`` records after each epoch."""
    out = model.forward(X)  # (N, out)
    loss = loss_fn(out, y)
    if task == "regression":
        return loss, None
    pred = predicted_labels(probabilities(model, out, task), task)
    return loss, float(np.mean(pred == target_labels(y, task)))


def evaluate(
    model: Sequential, loss_fn: Loss, X: np.ndarray, y: np.ndarray, task: str | None = None
) -> tuple[float, float | None]:
    """Loss and accuracy (``None`` for regression) of ``model`` on the whole of ``X, y``;
    ``task`` defaults to ``infer_task(loss_fn)``. Twin: ``torch_impl.evaluate``."""
    task = check_task(task) if task is not None else infer_task(loss_fn)
    return loss_and_accuracy(model, loss_fn, *check_data(model, loss_fn, X, y, task), task)


def outputs(model: Sequential, X: Any) -> np.ndarray:
    """``model``'s outputs (N, out) for ``X``, checked once, here."""
    X = check_float_array(X, "X", ndim=2, dtype=model.dtype, in_features=linear_widths(model)[0])
    return model.forward(X)  # (N, out)


def predict_proba(model: Sequential, X: np.ndarray, task: str | None = None) -> np.ndarray:
    """Class probabilities: (N, 1) P(class 1) for ``"binary"``, (N, C) for ``"multiclass"``;
    ``task=None``: a final Sigmoid or one output means binary, otherwise multiclass."""
    if task is not None and check_task(task) == "regression":
        raise ValueError("predict_proba needs a classification task, got 'regression'; use predict")
    out = outputs(model, X)
    if task is None:
        task = "binary" if isinstance(model[-1], Sigmoid) or out.shape[1] == 1 else "multiclass"
    return probabilities(model, out, task)


def predict(model: Sequential, X: np.ndarray, task: str) -> np.ndarray:
    """Inference: values (N, out) for regression, labels (N,) int64 for classification."""
    task = check_task(task)
    out = outputs(model, X)
    return out if task == "regression" else predicted_labels(probabilities(model, out, task), task)
