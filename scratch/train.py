"""Training (gradient descent over minibatches) and inference.

One step is the seed's loop: forward pass, loss, backward pass, parameter update::

    optimizer.zero_grad()
    out = model(xb)                  # forward
    loss = loss_fn(out, yb)          # loss
    model.backward(loss_fn.backward())   # backward: fills every .grad
    optimizer.step()                 # update
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._checks import check_float_array, check_positive_int, check_rng
from .activations import Sigmoid, Softmax, sigmoid, softmax
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, _Loss
from .model import Sequential

TASKS = ("regression", "binary", "multiclass")

Batches = Sequence[Sequence[np.ndarray]]


@dataclass
class History:
    """What ``fit`` records.

    ``losses``: the loss at every optimizer step. Per epoch, measured on the whole set at
    the end of the epoch: ``train_loss``, ``train_acc`` and, when validation data is given,
    ``val_loss``, ``val_acc`` (accuracies are ``None`` for regression).
    """

    losses: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float | None] = field(default_factory=list)


def batch_order(
    n: int, batch_size: int, epochs: int, rng: np.random.Generator
) -> list[list[np.ndarray]]:
    """Per-epoch minibatch index arrays: a fresh permutation of ``range(n)`` each epoch,
    cut into batches of ``batch_size`` (the last one may be shorter)."""
    n = check_positive_int(n, "n")
    batch_size = check_positive_int(batch_size, "batch_size")
    epochs = check_positive_int(epochs, "epochs")
    rng = check_rng(rng)
    order = []
    for _ in range(epochs):
        perm = rng.permutation(n)
        order.append([perm[i : i + batch_size] for i in range(0, n, batch_size)])
    return order


def infer_task(loss_fn: Any) -> str:
    """The task a loss implies: MSE -> regression, BCE -> binary, cross-entropy -> multiclass."""
    if isinstance(loss_fn, MSELoss):
        return "regression"
    if isinstance(loss_fn, (BCELoss, BCEWithLogitsLoss)):
        return "binary"
    if isinstance(loss_fn, CrossEntropyLoss):
        return "multiclass"
    raise ValueError(
        f"cannot infer the task from {loss_fn!r}; pass task=, valid: {', '.join(TASKS)}"
    )


def _check_task(task: str) -> str:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    return task


def _labels(y: np.ndarray, task: str) -> np.ndarray:
    """Class labels from targets: one-hot rows -> argmax, binary floats -> rounded."""
    if task == "multiclass":
        return y.argmax(axis=1) if y.ndim == 2 else y
    return np.rint(y).reshape(-1).astype(np.int64)


def _check_batches(batches: Batches, n: int) -> None:
    if len(batches) == 0:
        raise ValueError("batches is empty: give at least one epoch of index arrays")
    for e, epoch in enumerate(batches):
        if len(epoch) == 0:
            raise ValueError(f"epoch {e} of batches has no batches")
        for b, idx in enumerate(epoch):
            idx = np.asarray(idx)
            if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
                raise ValueError(
                    f"batch {b} of epoch {e} must be a non-empty 1-D integer "
                    f"index array, got shape {idx.shape} dtype {idx.dtype}"
                )
            if idx.min() < 0 or idx.max() >= n:
                raise ValueError(f"batch {b} of epoch {e} indexes outside [0, {n})")


def fit(
    model: Sequential,
    loss_fn: _Loss,
    optimizer: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    batches: Batches | None = None,
    batch_size: int | None = None,
    epochs: int | None = None,
    rng: np.random.Generator | None = None,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    task: str | None = None,
    on_backward: Callable[[int, Sequential], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_epoch: Callable[[int, History], None] | None = None,
) -> History:
    """Train ``model`` by minibatch gradient descent and return its ``History``.

    The batch order is either explicit, ``batches`` (a list of epochs, each a list of 1-D
    index arrays into ``X``: the parity harness's shared order), or drawn here from
    ``batch_size``, ``epochs`` and ``rng`` with ``batch_order``.

    Shapes: X (N, in); y as ``loss_fn`` expects it: (N, out) floats for MSE/BCE, (N,)
    integer classes for cross-entropy. ``on_backward(step, model)`` runs after each backward
    pass and before the update (gradients are in ``.grad``); ``progress(step, total)`` after
    each step; ``on_epoch(epoch, history)`` after each epoch's metrics are recorded (``epoch``
    counts from 0).
    """
    X = check_float_array(X, "X", ndim=2, dtype=model.dtype)
    if not isinstance(y, np.ndarray):
        raise TypeError(f"y must be a numpy.ndarray, got {type(y).__name__}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    if batches is None:
        if batch_size is None or epochs is None or rng is None:
            raise ValueError("give either batches= or all of batch_size=, epochs=, rng=")
        batches = batch_order(len(X), batch_size, epochs, rng)
    elif batch_size is not None or epochs is not None:
        raise ValueError("give either batches= or batch_size=/epochs=, not both")
    _check_batches(batches, len(X))
    task = _check_task(task) if task is not None else infer_task(loss_fn)
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val for validation, or neither")
    validate = X_val is not None and y_val is not None

    history = History()
    total = sum(len(epoch) for epoch in batches)
    step = 0
    for epoch in batches:
        for idx in epoch:
            optimizer.zero_grad()
            out = model(X[idx])
            loss = loss_fn(out, y[idx])
            model.backward(loss_fn.backward())
            if on_backward is not None:
                on_backward(step, model)
            optimizer.step()
            history.losses.append(loss)
            step += 1
            if progress is not None:
                progress(step, total)
        train_loss, train_acc = evaluate(model, loss_fn, X, y, task)
        history.train_loss.append(train_loss)
        history.train_acc.append(train_acc)
        if validate:
            val_loss, val_acc = evaluate(model, loss_fn, X_val, y_val, task)  # type: ignore[arg-type]
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
        if on_epoch is not None:
            on_epoch(len(history.train_loss) - 1, history)
    return history


def evaluate(
    model: Sequential, loss_fn: _Loss, X: np.ndarray, y: np.ndarray, task: str
) -> tuple[float, float | None]:
    """Loss and accuracy (``None`` for regression) of ``model`` on the whole of ``X, y``."""
    out = model(check_float_array(X, "X", ndim=2, dtype=model.dtype))
    loss = loss_fn(out, y)
    if task == "regression":
        return loss, None
    pred = _predict_from_output(model, out, task)
    return loss, float(np.mean(pred == _labels(y, task)))


def _probabilities(model: Sequential, out: np.ndarray, task: str) -> np.ndarray:
    """Head probabilities from the model output (already probabilities if the model ends
    with Sigmoid/Softmax; logits otherwise)."""
    last = model[-1] if len(model) else None
    if task == "binary":
        return out if isinstance(last, Sigmoid) else sigmoid(out)
    return out if isinstance(last, Softmax) else softmax(out)


def _predict_from_output(model: Sequential, out: np.ndarray, task: str) -> np.ndarray:
    if task == "regression":
        return out
    proba = _probabilities(model, out, task)
    if task == "binary":
        return (proba.reshape(-1) > 0.5).astype(np.int64)
    return proba.argmax(axis=1)


def predict_proba(model: Sequential, X: np.ndarray, task: str | None = None) -> np.ndarray:
    """Class probabilities: (N, 1) for binary (P(class 1)), (N, C) for multiclass.

    ``task`` defaults to binary for one output unit and multiclass otherwise.
    """
    out = model(check_float_array(X, "X", ndim=2, dtype=model.dtype))
    task = (
        _check_task(task) if task is not None else ("binary" if out.shape[1] == 1 else "multiclass")
    )
    if task == "regression":
        raise ValueError("predict_proba needs a classification task; use predict for regression")
    return _probabilities(model, out, task)


def predict(model: Sequential, X: np.ndarray, task: str) -> np.ndarray:
    """Inference: values (N, out) for regression, labels (N,) int64 for classification."""
    out = model(check_float_array(X, "X", ndim=2, dtype=model.dtype))
    return _predict_from_output(model, out, _check_task(task))
