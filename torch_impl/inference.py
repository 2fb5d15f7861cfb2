"""Inference for the seed's tasks (``predict``, ``predict_proba``, ``evaluate``), in eval mode
under ``torch.inference_mode()``: regression (MSE), binary (BCE; one logit or a Sigmoid
output), multiclass (cross-entropy; C >= 2 logits or a Softmax output). Twin:
``scratch.inference``."""

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from ._checks import ArrayLike, check_features
from .losses import check_target

TASKS = ("regression", "binary", "multiclass")


def infer_task(loss_fn: Any) -> str:
    """The task a loss implies: MSE -> regression, BCE -> binary, cross-entropy -> multiclass."""
    if isinstance(loss_fn, nn.MSELoss):
        return "regression"
    if isinstance(loss_fn, (nn.BCELoss, nn.BCEWithLogitsLoss)):
        return "binary"
    if isinstance(loss_fn, nn.CrossEntropyLoss):
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


def first_parameter(model: nn.Module) -> torch.Tensor:
    """The tensor whose dtype and device the data must have."""
    try:
        return next(model.parameters())
    except StopIteration:
        raise ValueError("model has no parameters") from None


def linear_widths(model: nn.Module) -> tuple[int | None, int | None]:
    """``(in_features, out_features)`` of the first and last ``nn.Linear`` (``None`` without)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return (linears[0].in_features, linears[-1].out_features) if linears else (None, None)


def last_module(model: nn.Module) -> nn.Module | None:
    return model[-1] if isinstance(model, nn.Sequential) and len(model) else None


def check_head(task: str, width: int, model: nn.Module) -> None:
    """Binary needs one output (a logit, or a Sigmoid), multiclass C >= 2 (logits, a Softmax)."""
    last = last_module(model)
    if task == "binary" and width != 1:
        raise ValueError(
            f"binary task needs outputs of shape (N, 1), got (N, {width}); "
            f"use task='multiclass' for {width} classes"
        )
    if task == "binary" and isinstance(last, nn.Softmax):
        raise ValueError(
            "binary task needs a logit or a Sigmoid output, not a Softmax "
            "(a softmax over one unit is always 1)"
        )
    if task == "multiclass" and width < 2:
        raise ValueError(
            f"multiclass task needs outputs of shape (N, C) with C >= 2 classes, got "
            f"(N, {width}); use task='binary' for one output unit"
        )
    if task == "multiclass" and isinstance(last, nn.Sigmoid):
        raise ValueError("multiclass task needs logits or a Softmax output, not a Sigmoid")


def check_data(
    model: nn.Module, loss_fn: Any, X: Any, y: Any, task: str, names: tuple[str, str] = ("X", "y")
) -> tuple[torch.Tensor, torch.Tensor]:
    """``X`` (N, in_features) and its targets ``y``, checked for ``model``, ``loss_fn`` and
    ``task``, as copies on the model's device; ``names`` are the arguments'."""
    (x_name, y_name), (n_in, n_out) = names, linear_widths(model)
    like = first_parameter(model)
    X_t = check_features(X, x_name, like, n_in)
    if task != "regression" and n_out is not None:
        check_head(task, n_out, model)
    rows = len(y) if isinstance(y, (np.ndarray, torch.Tensor)) and y.ndim else None
    if rows is not None and rows != len(X_t):
        raise ValueError(f"{y_name} has {rows} rows but {x_name} has {len(X_t)}; they must match")
    out = (len(X_t), X_t.shape[1] if n_out is None else n_out)
    return X_t, check_target(loss_fn, y, out, like, y_name)


def probabilities(model: nn.Module, out: torch.Tensor, task: str) -> torch.Tensor:
    """Outputs -> (N, 1) P(class 1) for binary, (N, C) rows for multiclass; a model whose
    last module is ``Sigmoid`` / ``Softmax`` already outputs them."""
    check_head(task, out.shape[1], model)
    if task == "binary":
        return out if isinstance(last_module(model), nn.Sigmoid) else torch.sigmoid(out)
    return out if isinstance(last_module(model), nn.Softmax) else torch.softmax(out, dim=-1)


def predicted_labels(proba: torch.Tensor, task: str) -> torch.Tensor:
    """(N,) int64 labels: P(class 1) > 0.5 for binary, the argmax for multiclass."""
    return (proba[:, 0] > 0.5).long() if task == "binary" else proba.argmax(dim=1)


def target_labels(y: torch.Tensor, task: str) -> torch.Tensor:
    """Targets -> (N,) integer labels for accuracy: one-hot -> argmax, 0/1 floats -> round."""
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(dim=1)
    y = y.reshape(len(y))
    return y.round().long() if task == "binary" else y.long()


def loss_and_accuracy(
    model: nn.Module, loss_fn: nn.Module, X: torch.Tensor, y: torch.Tensor, task: str
) -> tuple[float, float | None]:
    """``evaluate`` on checked ``X, y``, in eval mode; what ``fit`` records after each epoch.
    A NaN output (a diverged network: ``nn.BCELoss`` refuses it) has a NaN loss, as in scratch."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            out = model(X)  # (N, out)
            loss = math.nan if bool(out.isnan().any()) else loss_fn(out, y).item()
            if task == "regression":
                return loss, None
            pred = predicted_labels(probabilities(model, out, task), task)
            return loss, (pred == target_labels(y, task)).double().mean().item()
    finally:
        model.train(was_training)


def evaluate(
    model: nn.Module, loss_fn: nn.Module, X: ArrayLike, y: ArrayLike, task: str | None = None
) -> tuple[float, float | None]:
    """Loss and accuracy (``None`` for regression) of ``model`` on the whole of ``X, y``;
    ``task`` defaults to ``infer_task(loss_fn)``. Twin: ``scratch.evaluate``."""
    task = check_task(task) if task is not None else infer_task(loss_fn)
    return loss_and_accuracy(model, loss_fn, *check_data(model, loss_fn, X, y, task), task)


def outputs(model: nn.Module, X: ArrayLike) -> torch.Tensor:
    """``model(X)`` in eval mode under ``inference_mode``; restores the training flag."""
    X_t = check_features(X, "X", first_parameter(model), linear_widths(model)[0])
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            return model(X_t)
    finally:
        model.train(was_training)


def predict_proba(model: nn.Module, X: ArrayLike, task: str | None = None) -> np.ndarray:
    """Class probabilities: (N, 1) P(class 1) for ``"binary"``, (N, C) for ``"multiclass"``;
    ``task=None``: a final Sigmoid or one output means binary, otherwise multiclass."""
    if task is not None and check_task(task) == "regression":
        raise ValueError("predict_proba needs a classification task, got 'regression'; use predict")
    out = outputs(model, X)  # (N, out)
    if task is None:
        binary = isinstance(last_module(model), nn.Sigmoid) or out.shape[1] == 1
        task = "binary" if binary else "multiclass"
    return probabilities(model, out, task).cpu().numpy()


def predict(model: nn.Module, X: ArrayLike, task: str) -> np.ndarray:
    """Inference: values (N, out) for regression, labels (N,) int64 for classification."""
    task = check_task(task)
    out = outputs(model, X)  # (N, out)
    if task == "regression":
        return out.cpu().numpy()
    return predicted_labels(probabilities(model, out, task), task).cpu().numpy()
