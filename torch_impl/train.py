"""The textbook training loop, ``zero_grad -> forward -> loss -> backward -> step``, over a
``DataLoader``: the batch order ``parity`` draws once and hands to both twins (a
``batch_sampler``), or a seeded shuffle. Twin: ``scratch.train``, with a hand-written backward.
"""

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

from ._checks import ArrayLike, check_positive_int, check_seed
from .inference import check_data, check_task, first_parameter, infer_task, loss_and_accuracy

# A run that still learns never has a loss 1e12 times its first (or than 1, for a tiny first
# loss), yet 1e12 is far below float32's overflow (3e38): an explosion is caught while both
# dtypes still hold the number, and far above any loss a converging run reports.
EXPLODING = 1e12


@dataclass
class History:
    """What ``fit`` records: the loss of every step; per epoch, on the whole training (and
    validation) set in eval mode, the loss and the accuracy (``None`` for regression)."""

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


def check_order(
    batches: Any, batch_size: Any, epochs: Any, seed: Any, dataset: TensorDataset
) -> tuple[Iterator[DataLoader], int]:
    """``fit``'s batch order, checked, as one ``DataLoader`` per epoch, and its step count:
    ``batches`` through a ``batch_sampler``, or a seeded shuffle of ``batch_size``."""
    shuffle = (batch_size, epochs, seed)
    if batches is None:
        if any(arg is None for arg in shuffle):
            raise ValueError("give either batches or all of batch_size, epochs and seed")
        batch_size = check_positive_int(batch_size, "batch_size")
        epochs = check_positive_int(epochs, "epochs")
        generator = torch.Generator().manual_seed(check_seed(seed))
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)
        return repeat(loader, epochs), epochs * len(loader)  # each pass draws a permutation
    if any(arg is not None for arg in shuffle):
        raise ValueError("give either batches or batch_size/epochs/seed, not both")
    order, total = check_batches(batches, len(dataset))
    return (DataLoader(dataset, batch_sampler=epoch) for epoch in order), total


def fit(
    model: nn.Module,
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    X: ArrayLike,
    y: ArrayLike,
    *,
    batches: Sequence[Sequence[np.ndarray]] | None = None,
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

    The arguments are ``scratch.fit``'s; ``X`` and ``y`` may be numpy arrays or tensors, of
    the model's dtype (no silent casts), and are moved to the model's device. A seeded
    shuffle is a ``DataLoader``'s, not scratch's permutations. Raises ``TrainingDiverged``
    before the first diverged step's update.
    """
    task = check_task(task) if task is not None else infer_task(loss_fn)
    X_t, y_t = check_data(model, loss_fn, X, y, task)
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val for validation, or neither")
    val = (
        None
        if X_val is None
        else check_data(model, loss_fn, X_val, y_val, task, ("X_val", "y_val"))
    )
    # Batches are indexed on the CPU and moved to the model's device, as in the tutorials.
    dataset = TensorDataset(X_t.cpu(), y_t.cpu())
    loaders, total = check_order(batches, batch_size, epochs, seed, dataset)
    device = first_parameter(model).device
    history = History()
    watch = DivergenceWatch(lambda: optimizer.param_groups[0].get("lr"), history)
    for loader in loaders:
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            out = model(xb)  # (B, out)
            if out.isnan().any():  # diverged; nn.BCELoss would refuse a NaN input
                watch.check(math.nan)  # raises TrainingDiverged
            loss = loss_fn(out, yb)
            loss.backward()
            value = loss.item()
            watch.step(value)  # TrainingDiverged before this step's update
            if on_backward is not None:
                on_backward(watch.steps - 1, model)
            optimizer.step()
            history.losses.append(value)
            if progress is not None:
                progress(watch.steps, total)
        loss, acc = loss_and_accuracy(model, loss_fn, X_t, y_t, task)  # on the whole set
        history.train_loss.append(loss)
        history.train_acc.append(acc)
        if val is not None:
            loss, acc = loss_and_accuracy(model, loss_fn, *val, task)
            history.val_loss.append(loss)
            history.val_acc.append(acc)
        finite = all(bool(torch.isfinite(p).all()) for p in model.parameters())
        watch.check(history.train_loss[-1], finite)  # the last update may have diverged
        if on_epoch is not None:
            on_epoch(len(history.train_loss) - 1, history)
    return history
