"""Training (gradient descent over minibatches) and inference.

One step (``train_step``) is the seed's loop: forward pass, loss, backward pass, update::

    optimizer.zero_grad()
    out = model(xb)                      # forward
    loss = loss_fn(out, yb)              # loss
    model.backward(loss_fn.backward())   # backward: fills every .grad (dL/dxb is skipped)
    optimizer.step()                     # update

Twin: ``torch_impl.train``, the same loop with ``loss.backward()``. Every argument is checked
before the first step (``_check_fit_args``), and bad input fails with the same exception and
message on both sides.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._checks import check_batches, check_features, check_positive_int, check_seed
from .batches import batch_order
from .divergence import DivergenceWatch, optimizer_lr
from .losses import LOSSES, _Loss
from .model import Sequential
from .tasks import (
    check_data,
    check_proba_task,
    check_task,
    infer_head,
    infer_task,
    linear_widths,
    predicted_labels,
    probabilities,
    target_labels,
)

Batches = Sequence[Sequence[np.ndarray]]
_BUILTIN_LOSSES = frozenset(LOSSES.values())
Pair = tuple[np.ndarray, np.ndarray]
Loader = Iterable[Pair]


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


def _loader(X: np.ndarray, y: np.ndarray, epoch: Iterable[np.ndarray]) -> Loader:
    """One epoch's minibatches ``(X[idx], y[idx])``; twin: ``DataLoader(batch_sampler=epoch)``."""
    for idx in epoch:
        yield X[idx], y[idx]


def _check_fit_args(
    model: Sequential,
    loss_fn: Any,
    X: Any,
    y: Any,
    batches: Batches | None,
    shuffle: tuple[int | None, int | None, int | None],
    validation: tuple[Any, Any],
    task: str | None,
) -> tuple[Pair, Iterator[Loader], int, str, Pair | None]:
    """Check every argument of ``fit`` before the first step.

    Returns the training pair ``(X, y)``, one loader per epoch, the number of steps in the
    run, the task and the validation pair (or ``None``).
    """
    task = check_task(task) if task is not None else infer_task(loss_fn)
    X, y = check_data(model, loss_fn, X, y, task, ("X", "y"))
    X_val, y_val = validation
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val for validation, or neither")
    val = None
    if X_val is not None:
        val = check_data(model, loss_fn, X_val, y_val, task, ("X_val", "y_val"))
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
    return (X, y), (_loader(X, y, epoch) for epoch in order), total, task, val


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
        batches: the batch order, one sequence per epoch of 1-D index arrays into ``X`` (a
            list, or the lazy ``batch_order(...)``: the parity harness's shared order).
            Exclusive with ``batch_size`` / ``epochs`` / ``seed``, which draw the order here
            with ``batch_order(len(X), batch_size, epochs, np.random.default_rng(seed))``.
        X_val, y_val: optional validation set, evaluated after each epoch.
        task: ``"regression"``, ``"binary"`` or ``"multiclass"``; ``infer_task(loss_fn)``
            when ``None``.
        on_backward: ``on_backward(step, model)`` after the backward pass and before the
            update (step counts from 0 over the whole run; gradients are in ``.grad``).
        progress: ``progress(done, total)`` after each step, ``done`` from 1 to ``total``.
        on_epoch: ``on_epoch(epoch, history)`` after each epoch's metrics (epoch from 0).

    Raises:
        TrainingDiverged: (a ``FloatingPointError``) at the first step whose loss is not
            finite or exceeds ``EXPLODING * max(1, first loss)``, after its backward and
            before its update, or at the end of an epoch whose training loss or parameters
            diverged; see ``scratch.divergence``. The model keeps the weights whose loss
            diverged. The loop runs under ``np.errstate(over, invalid, divide="ignore")``:
            a diverging run is detected, not warned about.
    """
    train, loaders, total, task, val = _check_fit_args(
        model, loss_fn, X, y, batches, (batch_size, epochs, seed), (X_val, y_val), task
    )
    history = History()
    watch = DivergenceWatch(optimizer_lr(optimizer), history)
    step = 0
    # a diverging run overflows (inf, then nan): detected by the watch, not warned about
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for loader in loaders:
            for xb, yb in loader:
                optimizer.zero_grad()
                loss = _forward_backward(model, loss_fn, xb, yb)
                watch.step(loss)  # TrainingDiverged before this step's update
                if on_backward is not None:
                    on_backward(step, model)
                optimizer.step()
                history.losses.append(loss)
                step += 1
                if progress is not None:
                    progress(step, total)
            _end_epoch(history, model, loss_fn, (train, val, task), watch)
            if on_epoch is not None:
                on_epoch(len(history.train_loss) - 1, history)
    return history


def _forward_backward(model: Sequential, loss_fn: _Loss, xb: np.ndarray, yb: np.ndarray) -> float:
    """Forward, loss and backward on one batch: fills every ``.grad``, returns the loss.

    ``xb`` is checked once, by ``model(xb)``, and ``yb`` by the loss. With a built-in loss the
    model's own output is not re-checked, and the backward skips ``dL/dxb``, which nothing
    uses (torch skips it too: the data does not require a gradient).
    """
    out = model(xb)  # forward (B, out); xb is checked here, once
    if type(loss_fn) not in _BUILTIN_LOSSES:  # another loss: the plain, checked calls
        loss = loss_fn(out, yb)
        model.backward(loss_fn.backward())
        return loss
    loss = loss_fn._forward(*loss_fn._check(out, yb, False))  # only the target is checked
    model._backward(loss_fn.backward(), False, False)  # every .grad; no dL/dxb
    return loss


def train_step(
    model: Sequential, loss_fn: _Loss, optimizer: Any, xb: np.ndarray, yb: np.ndarray
) -> float:
    """One step of gradient descent on one batch, as ``fit`` takes it; returns the loss.

    ``optimizer.zero_grad()``, forward, loss, backward, ``optimizer.step()`` (``fit`` adds
    its divergence check of the loss before the update). ``xb`` (B, in) and ``yb`` are
    checked by the model and the loss, with their errors. Twin: the body of
    ``torch_impl.fit``'s loop.
    """
    optimizer.zero_grad()
    loss = _forward_backward(model, loss_fn, xb, yb)
    optimizer.step()
    return loss


def _end_epoch(
    history: History,
    model: Sequential,
    loss_fn: _Loss,
    data: tuple[Pair, Pair | None, str],
    watch: DivergenceWatch,
) -> None:
    """Record the epoch's metrics, then check the training loss and the parameters for
    divergence (an update at the epoch's last step may have left them non-finite)."""
    train, val, task = data
    finite = all(np.isfinite(p.data).all() for p in model.parameters())
    try:
        _record_epoch(history, model, loss_fn, train, val, task)
    except ValueError:  # the loss refuses a non-finite output: diverged, if it is ours
        if finite and np.isfinite(model(train[0])).all():
            raise
        raise watch.diverged(math.nan) from None
    watch.epoch(history.train_loss[-1], finite)


def _record_epoch(
    history: History, model: Sequential, loss_fn: _Loss, train: Pair, val: Pair | None, task: str
) -> None:
    """Append the end-of-epoch loss and accuracy on the training (and validation) set."""
    loss, acc = _evaluate(model, loss_fn, *train, task)
    history.train_loss.append(loss)
    history.train_acc.append(acc)
    if val is not None:
        loss, acc = _evaluate(model, loss_fn, *val, task)
        history.val_loss.append(loss)
        history.val_acc.append(acc)


def evaluate(
    model: Sequential, loss_fn: _Loss, X: np.ndarray, y: np.ndarray, task: str | None = None
) -> tuple[float, float | None]:
    """Loss and accuracy (``None`` for regression) of ``model`` on the whole of ``X, y``.

    ``task`` defaults to ``infer_task(loss_fn)``. Twin: ``torch_impl.evaluate``.
    """
    task = check_task(task) if task is not None else infer_task(loss_fn)
    X, y = check_data(model, loss_fn, X, y, task, ("X", "y"))
    return _evaluate(model, loss_fn, X, y, task)


def _evaluate(
    model: Sequential, loss_fn: _Loss, X: np.ndarray, y: np.ndarray, task: str
) -> tuple[float, float | None]:
    out = model(X)  # (N, out)
    loss = loss_fn(out, y)
    if task == "regression":
        return loss, None
    pred = predicted_labels(probabilities(model, out, task), task)
    return loss, float(np.mean(pred == target_labels(y, task)))


def predict_proba(model: Sequential, X: np.ndarray, task: str | None = None) -> np.ndarray:
    """Class probabilities: (N, 1) P(class 1) for ``"binary"``, (N, C) for ``"multiclass"``.

    Applies sigmoid / softmax to logits, but not to a model whose last module is already
    ``Sigmoid`` / ``Softmax``. With ``task=None`` the head decides: a final ``Sigmoid`` or
    one output means binary, a final ``Softmax`` or C > 1 outputs multiclass. Regression has
    no probabilities (ValueError). Twin: ``torch_impl.predict_proba``.
    """
    if task is not None:
        task = check_proba_task(task)
    out = model(check_features(X, "X", model.dtype, linear_widths(model)[0]))  # (N, out)
    task = infer_head(model, out) if task is None else task
    return probabilities(model, out, task)


def predict(model: Sequential, X: np.ndarray, task: str) -> np.ndarray:
    """Inference: values (N, out) for regression, labels (N,) int64 for classification."""
    task = check_task(task)
    out = model(check_features(X, "X", model.dtype, linear_widths(model)[0]))  # (N, out)
    if task == "regression":
        return out
    return predicted_labels(probabilities(model, out, task), task)
