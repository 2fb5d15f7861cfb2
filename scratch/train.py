"""Training by minibatch gradient descent (``train_step``, ``fit``) and inference
(``predict``, ``predict_proba``, ``evaluate``) for the three tasks and their heads.

Twin: ``torch_impl.train``, the same loop with ``loss.backward()``. ``fit`` checks every
argument once, before the first step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np

from ._checks import check_float_array, check_seed
from .activations import Sigmoid, Softmax, sigmoid, softmax
from .batches import batch_order, check_batches
from .layers import Linear
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss, check_target
from .model import Sequential

Batches = Sequence[Sequence[np.ndarray]]
Pair = tuple[np.ndarray, np.ndarray]

TASKS = ("regression", "binary", "multiclass")  # MSE; one logit, BCE; C >= 2 logits, CE


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


def target_labels(y: np.ndarray, task: str) -> np.ndarray:
    """Targets -> (N,) integer labels for accuracy: one-hot -> argmax, 0/1 floats -> round."""
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    y = y.reshape(len(y))
    return np.rint(y).astype(np.int64) if task == "binary" else y.astype(np.int64)


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
        """Accept the loss of step ``self.steps``, or raise if it diverged."""
        if not loss <= self.limit or loss == math.inf:  # ``not <=``: also nan
            raise self.diverged(loss)
        if self.steps == 0:
            self.limit = EXPLODING * max(1.0, loss)
        self.steps += 1

    def epoch(self, loss: float, parameters_finite: bool) -> None:
        """The end-of-epoch check: the whole-set training loss and the parameters."""
        if not (parameters_finite and loss <= self.limit and loss != math.inf):
            raise self.diverged(loss)


def check_data(
    model: Sequential, loss_fn: Loss, X: Any, y: Any, task: str, names: tuple[str, str]
) -> Pair:
    """``X`` (N, in_features) and its targets ``y``, checked for ``model``, ``loss_fn`` and
    ``task``; ``names`` are the arguments' (``("X", "y")`` or ``("X_val", "y_val")``)."""
    (x_name, y_name), (n_in, n_out) = names, linear_widths(model)
    X = check_float_array(X, x_name, ndim=2, dtype=model.dtype, in_features=n_in)
    if task != "regression" and n_out is not None:
        check_head(task, n_out, model)
    if isinstance(y, np.ndarray) and y.shape[:1] != X.shape[:1]:
        rows = y.shape[0] if y.ndim else 0
        raise ValueError(f"{y_name} has {rows} rows but {x_name} has {len(X)}; they must match")
    out = (len(X), X.shape[1] if n_out is None else n_out)  # no Linear: elementwise layers
    return X, check_target(loss_fn, y, out, model.dtype, y_name)


def check_fit_args(
    model: Sequential,
    loss_fn: Loss,
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

    ``X`` is (N, in_features) of the model's dtype; ``y`` (N, out) floats for MSE / BCE, (N,)
    class indices for cross-entropy. The batch order is ``batches`` (one list per epoch of
    index arrays into ``X``, or ``batch_order(...)``) or is drawn from ``batch_size``,
    ``epochs`` and ``seed``. ``task`` defaults to ``infer_task(loss_fn)``. Callbacks:
    ``on_backward(step, model)`` before each update, ``progress(done, total)`` after it,
    ``on_epoch(epoch, history)`` after each epoch's metrics. Raises ``TrainingDiverged``
    before the update of the first diverged step (see ``DivergenceWatch``).
    """
    train, val, task, order, total = check_fit_args(
        model, loss_fn, (X, y, X_val, y_val), batches, (batch_size, epochs, seed), task
    )
    X, y = train
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
    Twin: the body of ``torch_impl.fit``'s loop."""
    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)  # forward (B, out), then the loss
    model.backward(loss_fn.backward())  # every .grad
    optimizer.step()
    return loss


def record_epoch(
    history: History, model: Sequential, loss_fn: Loss, train: Pair, val: Pair | None, task: str
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
    """Class probabilities: (N, 1) P(class 1) for ``"binary"``, (N, C) for ``"multiclass"``
    (``task=None``: the head decides, ``infer_head``). Twin: ``torch_impl.predict_proba``."""
    if task is not None:
        task = check_task(task, proba=True)
    out = outputs(model, X)
    return probabilities(model, out, infer_head(model, out) if task is None else task)


def predict(model: Sequential, X: np.ndarray, task: str) -> np.ndarray:
    """Inference: values (N, out) for regression, labels (N,) int64 for classification."""
    task = check_task(task)
    out = outputs(model, X)
    return out if task == "regression" else predicted_labels(probabilities(model, out, task), task)
