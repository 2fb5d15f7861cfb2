"""The textbook training loop and inference: ``zero_grad -> forward -> loss -> backward -> step``.

``fit`` takes the batch order either explicitly (``batches``: what ``parity`` draws once and
hands to both twins, fed through a ``DataLoader`` ``batch_sampler``) or as a seeded shuffle
(``DataLoader(shuffle=True, generator=torch.Generator().manual_seed(seed))``). The twin is
``scratch``'s training loop, which takes the same index arrays.

``predict`` / ``predict_proba`` run the model in eval mode under ``torch.inference_mode()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

TASKS = ("regression", "binary", "multiclass")
# Losses whose target has the output's shape and dtype (CrossEntropyLoss takes class indices).
_FLOAT_TARGET_LOSSES = (nn.MSELoss, nn.BCELoss, nn.BCEWithLogitsLoss)

ArrayLike = np.ndarray | torch.Tensor


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


def _param(model: nn.Module) -> torch.Tensor:
    try:
        return next(model.parameters())
    except StopIteration:
        raise ValueError("model has no parameters") from None


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _check_same_dtype(name: str, tensor: torch.Tensor, like: torch.Tensor) -> None:
    """No silent casts: float data must already have the model's dtype, as ``nn.Linear``
    itself insists (scratch refuses the same way)."""
    if tensor.dtype != like.dtype:
        got, want = _dtype_name(tensor.dtype), _dtype_name(like.dtype)
        raise TypeError(
            f"{name} has dtype {got} but the model's parameters are {want}; convert with "
            f".astype(np.{want}) or .to(torch.{want}) (no silent casts)"
        )


def _as_tensor(name: str, value: ArrayLike) -> torch.Tensor:
    """A view of a numpy array or a detached tensor; anything else is a TypeError."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    raise TypeError(f"{name} must be a numpy array or torch tensor, got {type(value).__name__}")


def _features(name: str, X: ArrayLike, like: torch.Tensor) -> torch.Tensor:
    """Check ``X`` is a finite 2-D float array ``(N, in_features)`` of ``like``'s dtype; copy
    it to ``like``'s device (a copy, so nothing here can write into the caller's array)."""
    tensor = _as_tensor(name, X)
    if not tensor.is_floating_point():
        raise TypeError(f"{name} must be a float array, got dtype {X.dtype}")
    _check_same_dtype(name, tensor, like)
    if tensor.ndim != 2:
        raise ValueError(f"{name} must be 2-D (N, in_features), got shape {tuple(X.shape)}")
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} contains NaN or inf")
    return tensor.to(device=like.device, dtype=like.dtype, copy=True)


def _targets(name: str, y: ArrayLike, n: int, like: torch.Tensor) -> torch.Tensor:
    """Float targets (of ``like``'s dtype, no casts); integer class indices -> int64. Copies."""
    tensor = _as_tensor(name, y)
    if tensor.ndim == 0 or len(tensor) != n:
        rows = len(tensor) if tensor.ndim else 0
        raise ValueError(f"{name} has {rows} rows but X has {n}; they must match")
    if tensor.is_floating_point():
        _check_same_dtype(name, tensor, like)
        if not torch.isfinite(tensor).all():
            raise ValueError(f"{name} contains NaN or inf")
        return tensor.to(device=like.device, dtype=like.dtype, copy=True)
    if tensor.dtype == torch.bool or tensor.is_complex():
        raise TypeError(f"{name} must hold floats or integer class indices, got {y.dtype}")
    return tensor.to(device=like.device, dtype=torch.int64, copy=True)


def _infer_task(loss_fn: nn.Module, task: str | None) -> str:
    if task is not None:
        return _check_task(task)
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


def _check_task(task: str) -> str:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    return task


def _check_batches(batches: Sequence[Sequence[np.ndarray]], n: int) -> list[list[list[int]]]:
    """Validate the explicit batch order and turn it into plain index lists."""
    if len(batches) == 0:
        raise ValueError("batches is empty; expected a list of epochs, each a list of batches")
    epochs: list[list[list[int]]] = []
    for e, epoch in enumerate(batches):
        if len(epoch) == 0:
            raise ValueError(f"batches[{e}] has no batches")
        lists = []
        for b, idx in enumerate(epoch):
            idx = np.asarray(idx)
            where = f"batches[{e}][{b}]"
            if idx.ndim != 1 or idx.size == 0:
                raise ValueError(f"{where} must be a non-empty 1-D index array, got {idx.shape}")
            if not np.issubdtype(idx.dtype, np.integer):
                raise TypeError(f"{where} must hold integer indices, got dtype {idx.dtype}")
            if idx.min() < 0 or idx.max() >= n:
                raise ValueError(
                    f"{where} has indices in [{idx.min()}, {idx.max()}], outside [0, {n})"
                )
            lists.append(idx.tolist())
        epochs.append(lists)
    return epochs


def _probabilities(model: nn.Module, out: torch.Tensor, task: str) -> torch.Tensor:
    """Model outputs -> probabilities: (N, 1) P(class 1) for binary, (N, C) rows for
    multiclass. A model whose last module is ``Sigmoid`` / ``Softmax`` already outputs them."""
    last = model[-1] if isinstance(model, nn.Sequential) and len(model) else None
    if task == "binary":
        if out.ndim != 2 or out.shape[1] != 1:
            raise ValueError(f"binary task needs outputs of shape (N, 1), got {tuple(out.shape)}")
        return out if isinstance(last, nn.Sigmoid) else torch.sigmoid(out)
    if task == "multiclass":
        if isinstance(last, nn.Sigmoid):
            raise ValueError("multiclass task needs logits or a Softmax output, not Sigmoid")
        return out if isinstance(last, nn.Softmax) else torch.softmax(out, dim=-1)
    raise ValueError(f"probabilities are defined for binary and multiclass, not {task!r}")


def _labels(y: torch.Tensor, task: str) -> torch.Tensor:
    """Targets -> (N,) integer labels for accuracy: one-hot -> argmax, 0/1 floats -> round."""
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(dim=1)
    y = y.reshape(len(y))
    return y.round().long() if task == "binary" else y.long()


def _evaluate(
    model: nn.Module, loss_fn: nn.Module, X: torch.Tensor, y: torch.Tensor, task: str
) -> tuple[float, float | None]:
    """Loss and accuracy on a whole set, in eval mode, without autograd."""
    model.eval()
    with torch.inference_mode():
        out = model(X)
        loss = loss_fn(out, y).item()
        if task == "regression":
            return loss, None
        proba = _probabilities(model, out, task)
        pred = (proba[:, 0] > 0.5).long() if task == "binary" else proba.argmax(dim=1)
        return loss, (pred == _labels(y, task)).double().mean().item()


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

    Args:
        model: the network, e.g. from ``build_model``. Float data must already have its
            dtype (TypeError otherwise: no silent casts, as in scratch and ``nn.Linear``);
            data is moved to its device.
        loss_fn: e.g. ``nn.MSELoss()``, ``nn.BCEWithLogitsLoss()``, ``nn.CrossEntropyLoss()``.
        optimizer: a ``torch.optim`` optimizer over ``model.parameters()``.
        X: (N, in_features) floats. y: (N, out) floats for MSE / BCE, (N,) int class
            indices for cross-entropy.
        batches: the batch order, one list per epoch of 1-D index arrays into ``X``.
            Exclusive with ``batch_size`` / ``epochs`` / ``seed``, which give a seeded shuffle
            instead (all three required).
        X_val, y_val: optional validation set, evaluated after each epoch.
        task: ``"regression"``, ``"binary"`` or ``"multiclass"``; inferred from ``loss_fn``
            (MSE, BCE / BCE-with-logits, cross-entropy) when ``None``.
        on_backward: ``on_backward(step, model)`` after ``loss.backward()`` and before
            ``optimizer.step()``: the gradients of step ``step`` (from 0 over the whole run)
            are in ``p.grad``.
        progress: ``progress(done, total)`` after each step; ``done`` runs from 1 to
            ``total``, the number of steps in the whole run.
        on_epoch: ``on_epoch(epoch, history)`` after each epoch's metrics are recorded
            (``epoch`` counts from 0).
    """
    like = _param(model)
    task = _infer_task(loss_fn, task)
    X_t = _features("X", X, like)
    y_t = _targets("y", y, len(X_t), like)
    if isinstance(loss_fn, _FLOAT_TARGET_LOSSES) and not y_t.is_floating_point():
        raise TypeError(f"{type(loss_fn).__name__} needs float targets, got {y.dtype}")
    if (X_val is None) != (y_val is None):
        raise ValueError("pass both X_val and y_val, or neither")
    val = None
    if X_val is not None and y_val is not None:
        X_v = _features("X_val", X_val, like)
        val = (X_v, _targets("y_val", y_val, len(X_v), like))

    # Batches are indexed on the CPU and moved to the model's device, as in the tutorials.
    dataset = TensorDataset(X_t.cpu(), y_t.cpu())
    shuffle_args = (batch_size, epochs, seed)
    if batches is not None:
        if any(arg is not None for arg in shuffle_args):
            raise ValueError("pass either batches or (batch_size, epochs, seed), not both")
        order = _check_batches(batches, len(X_t))
        loaders = [DataLoader(dataset, batch_sampler=epoch) for epoch in order]
        total = sum(len(epoch) for epoch in order)
    else:
        if batch_size is None or epochs is None or seed is None:
            raise ValueError("without batches, batch_size, epochs and seed are all required")
        batch_size = _check_count("batch_size", batch_size)
        epochs = _check_count("epochs", epochs)
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
        generator = torch.Generator().manual_seed(int(seed))
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)
        loaders = [loader] * epochs  # each pass over the loader draws a fresh permutation
        total = epochs * len(loader)

    history = History()
    step = 0
    for loader in loaders:
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(like.device), yb.to(like.device)
            optimizer.zero_grad()
            out = model(xb)  # (B, out)
            if isinstance(loss_fn, _FLOAT_TARGET_LOSSES) and out.shape != yb.shape:
                raise ValueError(
                    f"{type(loss_fn).__name__}: output shape {tuple(out.shape)} != target "
                    f"shape {tuple(yb.shape)}; reshape y to match (e.g. y[:, None])"
                )
            loss = loss_fn(out, yb)
            loss.backward()
            if on_backward is not None:
                on_backward(step, model)
            optimizer.step()
            history.losses.append(loss.item())
            step += 1
            if progress is not None:
                progress(step, total)

        train_loss, train_acc = _evaluate(model, loss_fn, X_t, y_t, task)
        history.train_loss.append(train_loss)
        history.train_acc.append(train_acc)
        if val is not None:
            val_loss, val_acc = _evaluate(model, loss_fn, *val, task)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
        if on_epoch is not None:
            on_epoch(len(history.train_loss) - 1, history)
    model.train()
    return history


def _check_count(name: str, value: int) -> int:
    """A count such as ``epochs``: a Python or NumPy integer >= 1 (not a bool), as ``int``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _forward_eval(model: nn.Module, X: ArrayLike) -> torch.Tensor:
    """``model(X)`` in eval mode under ``inference_mode``; restores the training flag."""
    X_t = _features("X", X, _param(model))
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            return model(X_t)
    finally:
        model.train(was_training)


def _infer_head(model: nn.Module, out: torch.Tensor) -> str:
    last = model[-1] if isinstance(model, nn.Sequential) and len(model) else None
    if isinstance(last, nn.Sigmoid):
        return "binary"
    if isinstance(last, nn.Softmax):
        return "multiclass"
    return "binary" if out.shape[-1] == 1 else "multiclass"


def predict_proba(model: nn.Module, X: ArrayLike, task: str | None = None) -> np.ndarray:
    """Class probabilities: (N, 1) P(class 1) for ``"binary"``, (N, C) for ``"multiclass"``.

    Applies sigmoid / softmax to logits, but not to a model whose last module is already
    ``nn.Sigmoid`` / ``nn.Softmax``. With ``task=None`` the head decides: a final
    ``Sigmoid`` or one output means binary, a final ``Softmax`` or C > 1 outputs multiclass.
    Regression has no probabilities (ValueError).
    """
    if task is not None:
        _check_task(task)
    out = _forward_eval(model, X)
    task = _infer_head(model, out) if task is None else task
    return _probabilities(model, out, task).cpu().numpy()


def predict(model: nn.Module, X: ArrayLike, task: str) -> np.ndarray:
    """Predictions: regression -> raw outputs (N, out); binary -> (N,) int64 labels from
    P(class 1) > 0.5; multiclass -> (N,) int64 argmax labels."""
    if _check_task(task) == "regression":
        return _forward_eval(model, X).cpu().numpy()
    proba = torch.from_numpy(predict_proba(model, X, task))
    labels = (proba[:, 0] > 0.5).long() if task == "binary" else proba.argmax(dim=1)
    return labels.numpy()
