"""The three tasks and what each needs: the head, the targets, the labels.

``regression`` (MSE on raw outputs), ``binary`` (one logit or a Sigmoid unit, BCE, targets in
[0, 1]) and ``multiclass`` (C >= 2 logits or a Softmax, cross-entropy on class indices).
Here: the checks that a model's head and targets fit a task and a loss (``fit``'s boundary),
and the way from outputs to probabilities and labels. Twin: ``torch_impl.tasks``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_float_array
from .activations import Sigmoid, Softmax, sigmoid, softmax
from .layers import Linear
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
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


def check_task(task: object, proba: bool = False) -> str:
    """``task`` if it is one of ``TASKS`` (a classification task when ``proba``)."""
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    if proba and task == "regression":
        raise ValueError(
            "predict_proba needs a classification task (binary or multiclass), got "
            "'regression'; use predict for regression"
        )
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


def check_targets(name: str, y: Any, n: int, loss_fn: Any, model: Sequential) -> np.ndarray:
    """``y`` as ``loss_fn`` needs it for ``n`` rows: (n,) class indices in [0, out) for
    cross-entropy, else (n, out) finite floats of the model's dtype (in [0, 1] for BCE)."""
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(y).__name__}")
    rows, x_name = (len(y) if y.ndim else 0), {"y": "X", "y_val": "X_val"}[name]
    if rows != n:
        raise ValueError(f"{name} has {rows} rows but {x_name} has {n}; they must match")
    out, loss = linear_widths(model)[1], type(loss_fn).__name__
    if isinstance(loss_fn, CrossEntropyLoss):
        if not np.issubdtype(y.dtype, np.integer):
            hint = "use .astype(np.int64)"
            hint = "for one-hot rows use y.argmax(axis=1)" if y.ndim == 2 else hint
            raise TypeError(
                f"CrossEntropyLoss target {name} must hold integer class indices, got dtype "
                f"{y.dtype} and shape {y.shape} ({hint})"
            )
        if y.ndim != 1:
            raise ValueError(
                f"CrossEntropyLoss target {name} must be 1-D (N,), got shape {y.shape}"
            )
        if out is not None and (y.min() < 0 or y.max() >= out):
            raise ValueError(
                f"CrossEntropyLoss: class index {int(y[(y < 0) | (y >= out)][0])} in {name} out "
                f"of range [0, {out}) for a model with {out} outputs"
            )
        return y
    if not isinstance(loss_fn, (MSELoss, BCELoss, BCEWithLogitsLoss)):
        return y  # another loss checks its own targets
    if not np.issubdtype(y.dtype, np.floating):
        raise TypeError(f"{loss} needs float targets, got {name} of dtype {y.dtype}")
    check_float_array(y, name, dtype=model.dtype)
    if out is not None and y.shape != (n, out):
        raise ValueError(
            f"{loss}: output shape {(n, out)} != target shape {y.shape}; "
            f"reshape {name} to match (e.g. {name}[:, None])"
        )
    if loss != "MSELoss" and (y.min() < 0 or y.max() > 1):
        raise ValueError(
            f"{loss}: target values must lie in [0, 1], got {name} in [{y.min():g}, {y.max():g}]"
        )
    return y


def check_data(
    model: Sequential, loss_fn: Any, X: Any, y: Any, task: str, names: tuple[str, str]
) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``y`` checked for ``model``, ``loss_fn`` and ``task``."""
    n_in, n_out = linear_widths(model)
    X = check_float_array(X, names[0], ndim=2, dtype=model.dtype, in_features=n_in)
    if task != "regression" and n_out is not None:
        check_head(task, n_out, model)
    return X, check_targets(names[1], y, len(X), loss_fn, model)


def target_labels(y: np.ndarray, task: str) -> np.ndarray:
    """Targets -> (N,) integer labels for accuracy: one-hot -> argmax, 0/1 floats -> round."""
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    y = y.reshape(len(y))
    return np.rint(y).astype(np.int64) if task == "binary" else y.astype(np.int64)


def infer_head(model: Sequential, out: np.ndarray) -> str:
    """A final Sigmoid or one output means binary; a final Softmax or C > 1 multiclass."""
    last = model[-1] if len(model) else None
    if isinstance(last, (Sigmoid, Softmax)):
        return "binary" if isinstance(last, Sigmoid) else "multiclass"
    return "binary" if out.shape[-1] == 1 else "multiclass"


def probabilities(model: Sequential, out: np.ndarray, task: str) -> np.ndarray:
    """Outputs -> (N, 1) P(class 1) for binary, (N, C) rows for multiclass; a model whose
    last module is ``Sigmoid`` / ``Softmax`` already outputs them."""
    check_head(task, out.shape[1], model)
    last = model[-1]
    if task == "binary":
        return out if isinstance(last, Sigmoid) else sigmoid(out)
    return out if isinstance(last, Softmax) else softmax(out)


def predicted_labels(proba: np.ndarray, task: str) -> np.ndarray:
    """(N,) int64 labels: P(class 1) > 0.5 for binary, the argmax for multiclass."""
    if task == "binary":
        return (proba[:, 0] > 0.5).astype(np.int64)
    return proba.argmax(axis=1)
