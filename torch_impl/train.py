"""The textbook training loop and inference: ``zero_grad -> forward -> loss -> backward -> step``.

``fit`` takes the batch order either explicitly (``batches``: what ``parity`` draws once and
hands to both twins, fed through a ``DataLoader`` ``batch_sampler``) or as a seeded shuffle
(``DataLoader(shuffle=True)``). ``predict`` / ``predict_proba`` run the model in eval mode
under ``torch.inference_mode()``. Twin: ``scratch.train``, the same loop with a hand-written
backward pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from numbers import Real
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ._checks import ArrayLike, check_features, check_positive_int, check_seed
from .losses import check_target

Batches = Sequence[Sequence[np.ndarray]]
Pair = tuple[torch.Tensor, torch.Tensor]


@dataclass
class History:
    """What ``fit`` records: the loss of every step; per epoch, on the whole training (and
    validation) set in eval mode, the loss and the accuracy (``None`` for regression)."""

    losses: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float | None] = field(default_factory=list)


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


def check_head(task: str, width: int, last: object) -> None:
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
    check_head(task, out.shape[1], last)
    if task == "binary":
        return out if isinstance(last, nn.Sigmoid) else torch.sigmoid(out)
    return out if isinstance(last, nn.Softmax) else torch.softmax(out, dim=-1)


def predicted_labels(proba: torch.Tensor, task: str) -> torch.Tensor:
    """(N,) int64 labels: P(class 1) > 0.5 for binary, the argmax for multiclass."""
    if task == "binary":
        return (proba[:, 0] > 0.5).long()
    return proba.argmax(dim=1)


# A run that still learns never has a loss 1e12 times its first (or than 1, for a tiny first
# loss), yet 1e12 is far below float32's overflow (3e38): an explosion is caught while both
# dtypes still hold the number, and far above any loss a converging run reports.
EXPLODING = 1e12


class TrainingDiverged(FloatingPointError):
    """``fit`` stopped at step ``step`` (an end-of-epoch check names the next step), whose
    ``loss`` diverged, with the optimizer's ``lr`` and the ``history`` so far."""

    def __init__(self, step: int, loss: float, lr: float | None, history: Any = None) -> None:
        self.step, self.loss, self.lr, self.history = int(step), float(loss), lr, history
        now = "unknown" if lr is None else f"{lr:g}"
        super().__init__(f"diverged at step {step} (loss {self.loss:.3g}); lower lr (now {now})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.step, self.loss, self.lr))


class DivergenceWatch:
    """Step ``k``'s loss ``L_k`` diverges when it is not finite or exceeds
    ``EXPLODING * max(1, L_0)``; ``lr()`` reads the optimizer's learning rate."""

    def __init__(self, lr: Callable[[], Any], history: Any) -> None:
        self.steps = 0  # steps whose loss has been accepted
        self.limit = math.inf  # EXPLODING * max(1, L_0), set by the first step
        self.lr, self.history = lr, history

    def diverged(self, loss: float) -> TrainingDiverged:
        lr = self.lr()
        lr = float(lr) if isinstance(lr, Real) else None
        return TrainingDiverged(self.steps, loss, lr, self.history)

    def step(self, loss: float) -> None:
        """Accept step ``self.steps``'s loss, or raise if it diverged."""
        if not loss <= self.limit or loss == math.inf:  # ``not <=``: also nan
            raise self.diverged(loss)
        if self.steps == 0:
            self.limit = EXPLODING * max(1.0, loss)
        self.steps += 1

    def epoch(self, loss: float, parameters_finite: bool) -> None:
        """The end-of-epoch check: the whole-set training loss and the parameters."""
        if not (parameters_finite and loss <= self.limit and loss != math.inf):
            raise self.diverged(loss)


def check_epoch(e: int, epoch: Any, n: int) -> list[list[int]]:
    """Epoch ``e`` of a batch order: non-empty 1-D integer index arrays into ``range(n)``,
    as index lists for a ``batch_sampler``."""
    if len(epoch) == 0:
        raise ValueError(f"batches[{e}] has no batches")
    checked = []
    for b, idx in enumerate(epoch):
        idx, where = np.asarray(idx), f"batches[{e}][{b}]"
        if idx.ndim != 1 or idx.size == 0:
            raise ValueError(f"{where} must be a non-empty 1-D index array, got shape {idx.shape}")
        if not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(f"{where} must hold integer indices, got dtype {idx.dtype}")
        if idx.min() < 0 or idx.max() >= n:
            raise ValueError(f"{where} has indices in [{idx.min()}, {idx.max()}], outside [0, {n})")
        checked.append(idx.tolist())
    return checked


def check_batches(batches: Any, n: int) -> tuple[Iterable[list[list[int]]], int]:
    """A batch order (epochs of index arrays into ``range(n)``), checked, and its step count:
    a list or tuple whole, before any training; a lazy order (``scratch.batch_order``, with
    its ``steps``) one epoch at a time."""
    if not isinstance(batches, Sequence) or isinstance(batches, (str, bytes)):
        raise TypeError(
            f"batches must be a sequence of epochs (a list, or batch_order(...)), "
            f"got {type(batches).__name__}"
        )
    if len(batches) == 0:
        raise ValueError("batches is empty: give at least one epoch of index arrays")
    steps = getattr(batches, "steps", None)
    if isinstance(steps, int):
        return (check_epoch(e, epoch, n) for e, epoch in enumerate(batches)), steps
    epochs = [check_epoch(e, epoch, n) for e, epoch in enumerate(batches)]
    return epochs, sum(len(epoch) for epoch in epochs)


def check_data(
    model: nn.Module, loss_fn: Any, X: Any, y: Any, task: str, names: tuple[str, str]
) -> Pair:
    """``X`` (N, in_features) and its targets ``y``, checked for ``model``, ``loss_fn`` and
    ``task``, as copies on the model's device. Twin: ``scratch.train.check_data``."""
    (x_name, y_name), (n_in, n_out) = names, linear_widths(model)
    like = first_parameter(model)
    X_t = check_features(X, x_name, like, n_in)
    if task != "regression" and n_out is not None:
        check_head(task, n_out, _last(model))
    rows = len(y) if isinstance(y, (np.ndarray, torch.Tensor)) and y.ndim else None
    if rows is not None and rows != len(X_t):
        raise ValueError(f"{y_name} has {rows} rows but {x_name} has {len(X_t)}; they must match")
    out = (len(X_t), X_t.shape[1] if n_out is None else n_out)
    return X_t, check_target(loss_fn, y, out, like, y_name)


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
    """``fit``'s arguments, checked before the first step: the training pair, one
    ``DataLoader`` per epoch, the number of steps, the task and the validation pair."""
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

    The arguments are ``scratch.fit``'s: ``X`` (N, in_features), ``y`` (N, out) floats or
    (N,) class indices (a numpy array or a tensor, of the model's dtype: no silent casts),
    moved to the model's device. ``batches`` is one sequence per epoch of index arrays into
    ``X`` (or the lazy ``scratch.batch_order(...)``), exclusive with ``batch_size`` /
    ``epochs`` / ``seed`` (a seeded ``DataLoader`` shuffle, not scratch's permutations).
    Raises ``TrainingDiverged`` after the backward pass and before the update of the first
    diverged step (see ``DivergenceWatch``); the model keeps the weights whose loss diverged.
    """
    train, loaders, total, task, val = _check_fit_args(
        model, loss_fn, X, y, batches, (batch_size, epochs, seed), (X_val, y_val), task
    )
    device = first_parameter(model).device
    history = History()
    watch = DivergenceWatch(lambda: optimizer.param_groups[0].get("lr"), history)
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
    """Class probabilities: (N, 1) P(class 1) for ``"binary"``, (N, C) for ``"multiclass"``
    (``task=None``: the head decides, ``infer_head``). Twin: ``scratch.predict_proba``."""
    if task is not None:
        task = check_task(task, proba=True)
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
