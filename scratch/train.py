"""Training (gradient descent over minibatches) and inference.

One step (``train_step``) is the seed's loop: forward pass, loss, backward pass, update::

    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)        # forward, loss
    model.backward(loss_fn.backward())   # backward: fills every .grad
    optimizer.step()                     # update

Twin: ``torch_impl.train``, the same loop with ``loss.backward()``. ``fit`` checks every
argument once, before the first step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._checks import check_batches, check_float_array, check_positive_int, check_seed
from .batches import batch_order
from .divergence import DivergenceWatch
from .losses import Loss
from .model import Sequential
from .tasks import (
    check_data,
    check_task,
    infer_head,
    infer_task,
    linear_widths,
    predicted_labels,
    probabilities,
    target_labels,
)

Batches = Sequence[Sequence[np.ndarray]]
Pair = tuple[np.ndarray, np.ndarray]


@dataclass
class History:
    """What ``fit`` records: ``losses``, the loss at every step; per epoch, on the whole set,
    ``train_loss``, ``train_acc`` and with validation data ``val_loss``, ``val_acc``
    (accuracies are ``None`` for regression)."""

    losses: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float | None] = field(default_factory=list)


def check_fit_args(
    model: Sequential,
    loss_fn: Any,
    data: tuple[Any, Any, Any, Any],
    batches: Batches | None,
    shuffle: tuple[Any, Any, Any],
    task: str | None,
) -> tuple[Pair, Pair | None, str, Iterator[list[np.ndarray]], int]:
    """``fit``'s arguments, checked: the training and validation pairs, the task, the epochs
    of index arrays and the number of steps."""
    X, y, X_val, y_val = data
    task = check_task(task) if task is not None else infer_task(loss_fn)
    train = check_data(model, loss_fn, X, y, task, ("X", "y"))
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val for validation, or neither")
    val_names = ("X_val", "y_val")
    val = None if X_val is None else check_data(model, loss_fn, X_val, y_val, task, val_names)
    batch_size, epochs, seed = shuffle
    if batches is None:
        if batch_size is None or epochs is None or seed is None:
            raise ValueError("give either batches or all of batch_size, epochs and seed")
        batch_size = check_positive_int(batch_size, "batch_size")
        epochs = check_positive_int(epochs, "epochs")
        batches = batch_order(len(X), batch_size, epochs, np.random.default_rng(check_seed(seed)))
    elif any(arg is not None for arg in shuffle):
        raise ValueError("give either batches or batch_size/epochs/seed, not both")
    order, total = check_batches(batches, len(X))
    return train, val, task, iter(order), total


def fit(
    model: Sequential,
    loss_fn: Loss,
    optimizer: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    batches: Batches | None = None,
    batch_size: int | None = None,
    epochs: int | None = None,
    seed: int | None = None,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    task: str | None = None,
    on_backward: Callable[[int, Sequential], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_epoch: Callable[[int, History], None] | None = None,
) -> History:
    """Train ``model`` by minibatch gradient descent and return its ``History``.

    Args:
        model, loss_fn, optimizer: e.g. ``build_model(...)``, ``CrossEntropyLoss()``,
            ``SGD(model.parameters(), lr=0.1)``.
        X: (N, in_features) floats of the model's dtype. y: (N, out) floats for MSE / BCE
            (in [0, 1] for BCE), (N,) integer class indices for cross-entropy.
        batches: one sequence per epoch of 1-D index arrays into ``X`` (a list, or the lazy
            ``batch_order(...)``: the parity harness's shared order). Exclusive with
            ``batch_size`` / ``epochs`` / ``seed``, which draw the order here with
            ``batch_order(len(X), batch_size, epochs, np.random.default_rng(seed))``.
        X_val, y_val: optional validation set, evaluated after each epoch.
        task: ``"regression"``, ``"binary"`` or ``"multiclass"``; ``infer_task(loss_fn)``
            when ``None``.
        on_backward: ``on_backward(step, model)`` after the backward pass, before the update.
        progress: ``progress(done, total)`` after each step, ``done`` from 1 to ``total``.
        on_epoch: ``on_epoch(epoch, history)`` after each epoch's metrics (epoch from 0).

    Raises:
        TrainingDiverged: at the first step whose loss is not finite or exceeds
            ``EXPLODING * max(1, first loss)`` (before its update), or at the end of an
            epoch whose loss or parameters diverged; see ``scratch.divergence``.
    """
    train, val, task, order, total = check_fit_args(
        model, loss_fn, (X, y, X_val, y_val), batches, (batch_size, epochs, seed), task
    )
    X, y = train
    history = History()
    watch = DivergenceWatch(optimizer, history)
    # a diverging run overflows (inf, then nan): detected by the watch, not warned about
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in order:
            for idx in epoch:
                optimizer.zero_grad()
                loss = loss_fn(model(X[idx]), y[idx])  # forward (B, out), then the loss
                model.backward(loss_fn.backward())  # backward: fills every .grad
                watch.step(loss)  # TrainingDiverged before this step's update
                if on_backward is not None:
                    on_backward(watch.steps - 1, model)
                optimizer.step()
                history.losses.append(loss)
                if progress is not None:
                    progress(watch.steps, total)
            finite = all(np.isfinite(p.data).all() for p in model.parameters())
            record_epoch(history, model, loss_fn, train, val, task)
            watch.epoch(history.train_loss[-1], finite)
            if on_epoch is not None:
                on_epoch(len(history.train_loss) - 1, history)
    return history


def train_step(
    model: Sequential, loss_fn: Loss, optimizer: Any, xb: np.ndarray, yb: np.ndarray
) -> float:
    """One step of gradient descent on one batch, as ``fit`` takes it; returns the loss.
    ``xb`` (B, in) and ``yb`` are checked by the model and the loss. Twin: the body of
    ``torch_impl.fit``'s loop."""
    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)  # forward (B, out), then the loss
    model.backward(loss_fn.backward())  # every .grad
    optimizer.step()
    return loss


def record_epoch(
    history: History, model: Sequential, loss_fn: Loss, train: Pair, val: Pair | None, task: str
) -> None:
    """Append the end-of-epoch loss and accuracy on the training (and validation) set."""
    for (X, y), losses, accs in (
        (train, history.train_loss, history.train_acc),
        *([(val, history.val_loss, history.val_acc)] if val is not None else []),
    ):
        loss, acc = _evaluate(model, loss_fn, X, y, task)
        losses.append(loss)
        accs.append(acc)


def evaluate(
    model: Sequential, loss_fn: Loss, X: np.ndarray, y: np.ndarray, task: str | None = None
) -> tuple[float, float | None]:
    """Loss and accuracy (``None`` for regression) of ``model`` on the whole of ``X, y``;
    ``task`` defaults to ``infer_task(loss_fn)``. Twin: ``torch_impl.evaluate``."""
    task = check_task(task) if task is not None else infer_task(loss_fn)
    return _evaluate(model, loss_fn, *check_data(model, loss_fn, X, y, task, ("X", "y")), task)


def _evaluate(
    model: Sequential, loss_fn: Loss, X: np.ndarray, y: np.ndarray, task: str
) -> tuple[float, float | None]:
    out = model.forward(X)  # (N, out); X is checked
    loss = loss_fn(out, y)
    if task == "regression":
        return loss, None
    pred = predicted_labels(probabilities(model, out, task), task)
    return loss, float(np.mean(pred == target_labels(y, task)))


def outputs(model: Sequential, X: Any) -> np.ndarray:
    """``model``'s outputs (N, out) for ``X``, checked once, here."""
    X = check_float_array(X, "X", ndim=2, dtype=model.dtype, in_features=linear_widths(model)[0])
    return model.forward(X)  # (N, out)


def predict_proba(model: Sequential, X: np.ndarray, task: str | None = None) -> np.ndarray:
    """Class probabilities: (N, 1) P(class 1) for ``"binary"``, (N, C) for ``"multiclass"``.

    Applies sigmoid / softmax to logits, but not to a model whose last module is already
    ``Sigmoid`` / ``Softmax``. With ``task=None`` the head decides: a final ``Sigmoid`` or
    one output means binary, a final ``Softmax`` or C > 1 outputs multiclass. Twin:
    ``torch_impl.predict_proba``.
    """
    if task is not None:
        task = check_task(task, proba=True)
    out = outputs(model, X)
    return probabilities(model, out, infer_head(model, out) if task is None else task)


def predict(model: Sequential, X: np.ndarray, task: str) -> np.ndarray:
    """Inference: values (N, out) for regression, labels (N,) int64 for classification."""
    task = check_task(task)
    out = outputs(model, X)
    return out if task == "regression" else predicted_labels(probabilities(model, out, task), task)
