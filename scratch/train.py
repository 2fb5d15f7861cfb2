"""Training by minibatch gradient descent: ``train_step`` (one step) and ``fit`` (the loop,
which checks every argument before the first step). Twin: ``torch_impl.train``."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np

from .batches import check_order
from .inference import check_data, check_task, infer_task, loss_and_accuracy
from .losses import Loss
from .model import Sequential

# A run that still learns never has a loss 1e12 times its first (or than 1, for a tiny first
# loss), yet 1e12 is far below float32's overflow (3e38): an explosion is caught while both
# dtypes still hold the number, and far above any loss a converging run reports.
EXPLODING = 1e12


@dataclass
class History:
    """What ``fit`` records: the loss of every step; per epoch, on the whole training (and
    validation) set, the loss and the accuracy (``None`` for regression)."""

    losses: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float | None] = field(default_factory=list)


class TrainingDiverged(FloatingPointError):
    """``fit`` stopped at step ``step`` (an end-of-epoch check names the next step), whose
    ``loss`` diverged, with the optimizer's ``lr`` (``None`` if unknown) and the ``history``."""

    def __init__(self, step: int, loss: float, lr: Any, history: Any = None) -> None:
        self.step, self.loss, self.history = int(step), float(loss), history
        self.lr = float(lr) if isinstance(lr, Real) else None
        now = "unknown" if self.lr is None else f"{self.lr:g}"
        super().__init__(f"diverged at step {step} (loss {self.loss:.3g}); lower lr (now {now})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.step, self.loss, self.lr))


class DivergenceWatch:
    """A loss diverges when it is not finite or exceeds ``EXPLODING * max(1, L_0)``, ``L_0``
    the first step's; ``lr()`` reads the optimizer's learning rate for the message."""

    def __init__(self, lr: Callable[[], Any], history: Any) -> None:
        self.steps, self.limit = 0, math.inf  # steps accepted; the limit, set by step 0
        self.lr, self.history = lr, history

    def step(self, loss: float) -> None:
        """Accept the loss of step ``self.steps``, or raise ``TrainingDiverged``."""
        self.check(loss)
        if self.steps == 0:
            self.limit = EXPLODING * max(1.0, loss)
        self.steps += 1

    def check(self, loss: float, parameters_finite: bool = True) -> None:
        """Raise ``TrainingDiverged`` for a diverged ``loss`` or non-finite parameters."""
        if not (parameters_finite and loss <= self.limit and loss != math.inf):  # nan fails <=
            raise TrainingDiverged(self.steps, loss, self.lr(), self.history)


def fit(
    model: Sequential,
    loss_fn: Loss,
    optimizer: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    batches: Sequence[Sequence[np.ndarray]] | None = None,
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

    ``X`` (N, in_features) of the model's dtype; ``y`` (N, out) floats, or (N,) class indices
    for cross-entropy. The batch order is ``batches`` (per epoch, index arrays into ``X``) or
    is drawn from ``batch_size``, ``epochs`` and ``seed``. Callbacks: ``on_backward(step,
    model)`` before each update, ``progress(done, total)`` after it, ``on_epoch(epoch,
    history)``. Raises ``TrainingDiverged`` before the first diverged step's update.
    """
    task = check_task(task) if task is not None else infer_task(loss_fn)
    X, y = check_data(model, loss_fn, X, y, task)
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val for validation, or neither")
    val = (
        None
        if X_val is None
        else check_data(model, loss_fn, X_val, y_val, task, ("X_val", "y_val"))
    )
    order, total = check_order(batches, batch_size, epochs, seed, len(X))
    history = History()
    watch = DivergenceWatch(lambda: getattr(optimizer, "lr", None), history)
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
            loss, acc = loss_and_accuracy(model, loss_fn, X, y, task)  # on the whole set
            history.train_loss.append(loss)
            history.train_acc.append(acc)
            if val is not None:
                loss, acc = loss_and_accuracy(model, loss_fn, *val, task)
                history.val_loss.append(loss)
                history.val_acc.append(acc)
            finite = all(np.isfinite(p.data).all() for p in model.parameters())
            watch.check(history.train_loss[-1], finite)  # the last update may have diverged
            if on_epoch is not None:
                on_epoch(len(history.train_loss) - 1, history)
    return history


def train_step(
    model: Sequential, loss_fn: Loss, optimizer: Any, xb: np.ndarray, yb: np.ndarray
) -> float:
    """One step of gradient descent on one batch, as ``fit`` takes it; returns the loss.
    Twin: the body of ``torch_impl.fit``'s loop."""
    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)  # forward (B, out), then the loss
    model.backward(loss_fn.backward())  # every .grad
    optimizer.step()
    return loss
