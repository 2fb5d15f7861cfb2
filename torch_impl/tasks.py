"""The three tasks and what each needs: the head, the targets, the labels.

``regression`` (MSE on raw outputs), ``binary`` (one logit or a Sigmoid unit, BCE, targets in
[0, 1]) and ``multiclass`` (C >= 2 logits or a Softmax, cross-entropy on class indices).
Here: the checks that a model's head and a target array fit a task and a loss, and the way
from model outputs to probabilities and labels. Twin: ``scratch.tasks``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._checks import as_tensor, check_features, check_finite, check_same_dtype, dtype_name

TASKS = ("regression", "binary", "multiclass")

# Losses whose target has the output's shape and dtype (CrossEntropyLoss takes class indices).
_FLOAT_TARGET_LOSSES = (nn.MSELoss, nn.BCELoss, nn.BCEWithLogitsLoss)


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
    """``task`` if it is one of ``TASKS``; otherwise a ValueError listing them."""
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    return task


def first_parameter(model: nn.Module) -> torch.Tensor:
    try:
        return next(model.parameters())
    except StopIteration:
        raise ValueError("model has no parameters") from None


def linear_widths(model: nn.Module) -> tuple[int | None, int | None]:
    """``(in_features, out_features)`` of the model's first and last ``nn.Linear`` (``None``
    without one)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return (linears[0].in_features, linears[-1].out_features) if linears else (None, None)


def _last(model: nn.Module) -> nn.Module | None:
    return model[-1] if isinstance(model, nn.Sequential) and len(model) else None


def _check_head(task: str, width: int, last: object) -> None:
    """A classification head must fit its task: binary one output (a logit, or a Sigmoid),
    multiclass C >= 2 outputs (logits, or a Softmax)."""
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


def _check_labels(
    name: str, y: torch.Tensor, n_classes: int | None, like: torch.Tensor
) -> torch.Tensor:
    """Cross-entropy targets: (N,) integer class indices in ``[0, n_classes)``, or (torch only;
    scratch refuses them) (N, C) class probabilities of the model's dtype."""
    if y.is_floating_point() and y.ndim == 2:  # class probabilities, one row per example
        check_same_dtype(y, name, like)
        check_finite(y, name)
        if n_classes is not None and y.shape[1] != n_classes:
            raise ValueError(
                f"CrossEntropyLoss: class-probability target {name} has shape "
                f"{tuple(y.shape)}, expected ({len(y)}, {n_classes}) for {n_classes} outputs"
            )
        return y.to(device=like.device, dtype=like.dtype, copy=True)
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        hint = "for one-hot rows use y.argmax(axis=1)" if y.ndim == 2 else "use .astype(np.int64)"
        raise TypeError(
            f"CrossEntropyLoss target {name} must hold integer class indices, got dtype "
            f"{dtype_name(y.dtype)} and shape {tuple(y.shape)} ({hint})"
        )
    if y.ndim != 1:
        raise ValueError(
            f"CrossEntropyLoss target {name} must be 1-D (N,), got shape {tuple(y.shape)}"
        )
    if n_classes is not None and (y.min() < 0 or y.max() >= n_classes):
        bad = int(y[(y < 0) | (y >= n_classes)][0])
        raise ValueError(
            f"CrossEntropyLoss: class index {bad} in {name} out of range [0, {n_classes}) "
            f"for a model with {n_classes} outputs"
        )
    return y.to(device=like.device, dtype=torch.int64, copy=True)


def _generic_targets(name: str, y: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Targets of a loss not named here: finite floats of the model's dtype, or integers
    (as int64)."""
    if y.is_floating_point():
        check_same_dtype(y, name, like)
        return check_finite(y, name).to(device=like.device, dtype=like.dtype, copy=True)
    if y.dtype == torch.bool or y.is_complex():
        raise TypeError(
            f"{name} must hold floats or integer class indices, got {dtype_name(y.dtype)}"
        )
    return y.to(device=like.device, dtype=torch.int64, copy=True)


def _check_targets(
    name: str, y: Any, x_name: str, n: int, loss_fn: Any, model: nn.Module
) -> torch.Tensor:
    """``y`` as ``loss_fn`` needs it, for ``n`` rows: (n, out) floats of the model's dtype
    (in [0, 1] for BCE) for MSE / BCE, (n,) class indices for cross-entropy. A copy on the
    model's device."""
    tensor, like, out = as_tensor(y, name), first_parameter(model), linear_widths(model)[1]
    rows = len(tensor) if tensor.ndim else 0
    if rows != n:
        raise ValueError(f"{name} has {rows} rows but {x_name} has {n}; they must match")
    if isinstance(loss_fn, nn.CrossEntropyLoss):
        return _check_labels(name, tensor, out, like)
    if not isinstance(loss_fn, _FLOAT_TARGET_LOSSES):  # another loss: floats or class indices
        return _generic_targets(name, tensor, like)
    loss_name = type(loss_fn).__name__
    if not tensor.is_floating_point():
        raise TypeError(
            f"{loss_name} needs float targets, got {name} of dtype {dtype_name(tensor.dtype)}"
        )
    check_same_dtype(tensor, name, like)
    check_finite(tensor, name)
    if out is not None and tuple(tensor.shape) != (n, out):
        raise ValueError(
            f"{loss_name}: output shape {(n, out)} != target shape {tuple(tensor.shape)}; "
            f"reshape {name} to match (e.g. {name}[:, None])"
        )
    if isinstance(loss_fn, (nn.BCELoss, nn.BCEWithLogitsLoss)) and (
        tensor.min() < 0 or tensor.max() > 1
    ):
        raise ValueError(
            f"{loss_name}: target values must lie in [0, 1], got {name} in "
            f"[{tensor.min().item():g}, {tensor.max().item():g}]"
        )
    return tensor.to(device=like.device, dtype=like.dtype, copy=True)


def check_data(
    model: nn.Module, loss_fn: Any, X: Any, y: Any, task: str, names: tuple[str, str]
) -> tuple[torch.Tensor, torch.Tensor]:
    """``X`` and ``y`` checked for ``model``, ``loss_fn`` and ``task``, as tensors on the
    model's device."""
    n_in, n_out = linear_widths(model)
    X_t = check_features(X, names[0], first_parameter(model), n_in)
    if task != "regression" and n_out is not None:
        _check_head(task, n_out, _last(model))
    return X_t, _check_targets(names[1], y, names[0], len(X_t), loss_fn, model)


def target_labels(y: torch.Tensor, task: str) -> torch.Tensor:
    """Targets -> (N,) integer labels for accuracy: one-hot -> argmax, 0/1 floats -> round."""
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(dim=1)
    y = y.reshape(len(y))
    return y.round().long() if task == "binary" else y.long()


def infer_head(model: nn.Module, out: torch.Tensor) -> str:
    """A final Sigmoid or one output means binary; a final Softmax or C > 1 multiclass."""
    last = _last(model)
    if isinstance(last, nn.Sigmoid):
        return "binary"
    if isinstance(last, nn.Softmax):
        return "multiclass"
    return "binary" if out.shape[-1] == 1 else "multiclass"


def probabilities(model: nn.Module, out: torch.Tensor, task: str) -> torch.Tensor:
    """Model outputs -> probabilities: (N, 1) P(class 1) for binary, (N, C) rows for
    multiclass. A model whose last module is ``Sigmoid`` / ``Softmax`` already outputs them."""
    last = _last(model)
    _check_head(task, out.shape[1], last)
    if task == "binary":
        return out if isinstance(last, nn.Sigmoid) else torch.sigmoid(out)
    return out if isinstance(last, nn.Softmax) else torch.softmax(out, dim=-1)


def predicted_labels(proba: torch.Tensor, task: str) -> torch.Tensor:
    """(N,) int64 labels: P(class 1) > 0.5 for binary, the argmax for multiclass."""
    if task == "binary":
        return (proba[:, 0] > 0.5).long()
    return proba.argmax(dim=1)


def check_proba_task(task: object) -> str:
    """``task`` if it is a classification task (probabilities exist for it)."""
    task = check_task(task)
    if task == "regression":
        raise ValueError(
            "predict_proba needs a classification task (binary or multiclass), got "
            "'regression'; use predict for regression"
        )
    return task
