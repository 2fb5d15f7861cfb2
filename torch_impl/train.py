"""The textbook training loop and inference: ``zero_grad -> forward -> loss -> backward -> step``.

``fit`` takes the batch order either explicitly (``batches``: what ``parity`` draws once and
hands to both twins, fed through a ``DataLoader`` ``batch_sampler``) or as a seeded shuffle
(``DataLoader(shuffle=True, generator=torch.Generator().manual_seed(seed))``). The twin is
``scratch.train``: the same loop with a hand-written backward pass, the same argument checks
before the first step (``_check_fit_args``), the same errors for bad input.

``predict`` / ``predict_proba`` run the model in eval mode under ``torch.inference_mode()``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ._checks import ArrayLike, check_batches, check_features, check_positive_int, check_seed
from .divergence import DivergenceWatch, optimizer_lr
from .tasks import (
    check_data,
    check_proba_task,
    check_task,
    first_parameter,
    infer_head,
    infer_task,
    linear_widths,
    predicted_labels,
    probabilities,
    target_labels,
)

Batches = Sequence[Sequence[np.ndarray]]
Pair = tuple[torch.Tensor, torch.Tensor]


@dataclass
class History:
    """What ``fit`` recorded.

    Attributes:
        losses: the mini-batch loss at every optimizer step, in order (``loss.item()``).
        train_loss, train_acc: per epoch, on the full training set after the epoch, in eval
            mode. Accuracy is ``None`` for regression.
        val_loss, val_acc: the same on the validation set; empty without validation data.
    """

    losses: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float | None] = field(default_factory=list)


def _check_fit_args(
    model: nn.Module,
    loss_fn: Any,
    X: Any,
    y: Any,
    batches: Batches | None,
    shuffle: tuple[int | None, int | None, int | None],
    validation: tuple[Any, Any],
    task: str | None,
) -> tuple[Pair, Iterator[DataLoader], int, str, Pair | None]:
    """Check every argument of ``fit`` before the first step.

    Returns the training pair ``(X, y)``, one ``DataLoader`` per epoch, the number of steps
    in the run, the task and the validation pair (or ``None``).
    """
    task = check_task(task) if task is not None else infer_task(loss_fn)
    X_t, y_t = check_data(model, loss_fn, X, y, task, ("X", "y"))
    X_val, y_val = validation
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val for validation, or neither")
    val = None
    if X_val is not None:
        val = check_data(model, loss_fn, X_val, y_val, task, ("X_val", "y_val"))
    # Batches are indexed on the CPU and moved to the model's device, as in the tutorials.
    dataset = TensorDataset(X_t.cpu(), y_t.cpu())
    batch_size, epochs, seed = shuffle
    if batches is None:
        if batch_size is None or epochs is None or seed is None:
            raise ValueError("give either batches or all of batch_size, epochs and seed")
        batch_size = check_positive_int(batch_size, "batch_size")
        epochs = check_positive_int(epochs, "epochs")
        generator = torch.Generator().manual_seed(check_seed(seed))
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)
        # each pass over the one loader draws a fresh permutation
        return (X_t, y_t), repeat(loader, epochs), epochs * len(loader), task, val
    if any(arg is not None for arg in shuffle):
        raise ValueError("give either batches or batch_size/epochs/seed, not both")
    order, total = check_batches(batches, len(X_t))
    loaders = (DataLoader(dataset, batch_sampler=epoch) for epoch in order)
    return (X_t, y_t), loaders, total, task, val


def fit(
    model: nn.Module,
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    X: ArrayLike,
    y: ArrayLike,
    *,
    batches: Batches | None = None,
    batch_size: int | None = None,
    epochs: int | None = None,
    seed: int | None = None,
    X_val: ArrayLike | None = None,
    y_val: ArrayLike | None = None,
    task: str | None = None,
    on_backward: Callable[[int, nn.Module], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_epoch: Callable[[int, History], None] | None = None,
) -> History:
    """Train ``model`` with mini-batch gradient descent; return the ``History``.

    Args:
        model, loss_fn, optimizer: e.g. ``build_model(...)``, ``nn.CrossEntropyLoss()``,
            ``torch.optim.SGD(model.parameters(), lr=0.1)``. Data is moved to the model's
            device; float data must already have its dtype (TypeError otherwise: no silent
            casts, as in scratch and ``nn.Linear``).
        X: (N, in_features) floats. y: (N, out) floats for MSE / BCE (in [0, 1] for BCE),
            (N,) int class indices (or (N, C) class probabilities) for cross-entropy.
        batches: the batch order, one sequence per epoch of 1-D index arrays into ``X`` (a
            list, or the lazy ``scratch.batch_order(...)``, read one epoch at a time).
            Exclusive with ``batch_size`` / ``epochs`` / ``seed``, which give a seeded
            shuffle (``DataLoader(shuffle=True)``; not the permutations scratch draws).
        X_val, y_val: optional validation set, evaluated after each epoch.
        task: ``"regression"``, ``"binary"`` or ``"multiclass"``; ``infer_task(loss_fn)``
            when ``None``.
        on_backward: ``on_backward(step, model)`` after ``loss.backward()`` and before
            ``optimizer.step()`` (step counts from 0 over the whole run; gradients are in
            ``p.grad``).
        progress: ``progress(done, total)`` after each step, ``done`` from 1 to ``total``.
        on_epoch: ``on_epoch(epoch, history)`` after each epoch's metrics (epoch from 0).

    Raises:
        TrainingDiverged: (a ``FloatingPointError``) at the first step whose loss is not
            finite or exceeds ``EXPLODING * max(1, first loss)``, after its backward and
            before its update, or at the end of an epoch whose training loss or parameters
            diverged; see ``torch_impl.divergence``. The model keeps the weights whose loss
            diverged.
    """
    train, loaders, total, task, val = _check_fit_args(
        model, loss_fn, X, y, batches, (batch_size, epochs, seed), (X_val, y_val), task
    )
    device = first_parameter(model).device
    history = History()
    watch = DivergenceWatch(optimizer_lr(optimizer), history)
    step, out = 0, None
    try:
        for loader in loaders:
            model.train()
            for xb, yb in loader:
                xb, yb = xb.to(device), yb.to(device)
                optimizer.zero_grad()
                out = model(xb)  # (B, out)
                loss = loss_fn(out, yb)
                loss.backward()
                value = loss.item()
                watch.step(value)  # TrainingDiverged before this step's update
                if on_backward is not None:
                    on_backward(step, model)
                optimizer.step()
                history.losses.append(value)
                step += 1
                if progress is not None:
                    progress(step, total)
            _end_epoch(history, model, loss_fn, (train, val, task), watch)
            if on_epoch is not None:
                on_epoch(len(history.train_loss) - 1, history)
    except RuntimeError as err:  # a loss that refuses a diverged output (BCELoss: NaN input)
        if out is None or bool(torch.isfinite(out).all()):
            raise
        raise watch.diverged(math.nan) from err
    return history


def _end_epoch(
    history: History,
    model: nn.Module,
    loss_fn: nn.Module,
    data: tuple[Pair, Pair | None, str],
    watch: DivergenceWatch,
) -> None:
    """Record the epoch's metrics, then check the training loss and the parameters for
    divergence (an update at the epoch's last step may have left them non-finite)."""
    train, val, task = data
    finite = all(bool(torch.isfinite(p).all()) for p in model.parameters())
    try:
        _record_epoch(history, model, loss_fn, train, val, task)
    except RuntimeError:
        with torch.inference_mode():
            out = model(train[0])  # (N, out)
        if finite and bool(torch.isfinite(out).all()):
            raise
        raise watch.diverged(math.nan) from None
    watch.epoch(history.train_loss[-1], finite)


def _record_epoch(
    history: History, model: nn.Module, loss_fn: nn.Module, train: Pair, val: Pair | None, task: str
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
    model: nn.Module, loss_fn: nn.Module, X: ArrayLike, y: ArrayLike, task: str | None = None
) -> tuple[float, float | None]:
    """Loss and accuracy (``None`` for regression) of ``model`` on the whole of ``X, y``, in
    eval mode without autograd. ``task`` defaults to ``infer_task(loss_fn)``. Twin:
    ``scratch.evaluate``."""
    task = check_task(task) if task is not None else infer_task(loss_fn)
    X_t, y_t = check_data(model, loss_fn, X, y, task, ("X", "y"))
    return _evaluate(model, loss_fn, X_t, y_t, task)


def _evaluate(
    model: nn.Module, loss_fn: nn.Module, X: torch.Tensor, y: torch.Tensor, task: str
) -> tuple[float, float | None]:
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            out = model(X)  # (N, out)
            loss = loss_fn(out, y).item()
            if task == "regression":
                return loss, None
            pred = predicted_labels(probabilities(model, out, task), task)
            return loss, (pred == target_labels(y, task)).double().mean().item()
    finally:
        model.train(was_training)


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
    """Class probabilities: (N, 1) P(class 1) for ``"binary"``, (N, C) for ``"multiclass"``.

    Applies sigmoid / softmax to logits, but not to a model whose last module is already
    ``nn.Sigmoid`` / ``nn.Softmax``. With ``task=None`` the head decides: a final
    ``Sigmoid`` or one output means binary, a final ``Softmax`` or C > 1 outputs multiclass.
    Regression has no probabilities (ValueError). Twin: ``scratch.predict_proba``.
    """
    if task is not None:
        task = check_proba_task(task)
    out = outputs(model, X)  # (N, out)
    task = infer_head(model, out) if task is None else task
    return probabilities(model, out, task).cpu().numpy()


def predict(model: nn.Module, X: ArrayLike, task: str) -> np.ndarray:
    """Predictions: regression -> raw outputs (N, out); binary -> (N,) int64 labels from
    P(class 1) > 0.5; multiclass -> (N,) int64 argmax labels."""
    task = check_task(task)
    out = outputs(model, X)  # (N, out)
    if task == "regression":
        return out.cpu().numpy()
    return predicted_labels(probabilities(model, out, task), task).cpu().numpy()
