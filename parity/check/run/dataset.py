"""The rows a check runs on: a built-in dataset or your own ``X`` and ``y``.

``y`` as passed to your code: int64 class indices ``(N,)`` for multiclass, floats ``(N,)``
(in the check's dtype) for binary and regression. A built-in dataset gives the first
``rows`` rows of its standardised training split (``parity.data.load_dataset``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from parity.check.inputs import check_positive_int
from parity.errors import InputError, InputTypeError

DEFAULT_DATASET = {"multiclass": "digits", "binary": "breast_cancer", "regression": "diabetes"}
DEFAULT_ROWS = 64


@dataclass(frozen=True)
class Rows:
    """``X (N, D)`` in the check's dtype, ``y`` for your code, and where they came from."""

    X: np.ndarray
    y: np.ndarray
    n_classes: int | None  # multiclass: the number of classes the head needs (None: from y)
    source: str


# the heads a dataset's targets can serve: 0/1 labels are two classes, or real numbers
SERVES = {
    "binary": ("binary", "multiclass", "regression"),
    "multiclass": ("multiclass",),
    "regression": ("regression",),
}
WHY_NOT = {
    "multiclass": "its targets are class indices, more than two",
    "regression": "its targets are real numbers",
    "binary": "",
}


def from_dataset(name: str, head: str, rows: int | None, dtype: str, seed: int) -> Rows:
    """The first ``rows`` (default 64) training rows of a built-in dataset."""
    from parity.data import DATASETS, SYNTHETIC_DATASETS, load_dataset

    if not isinstance(name, str):
        raise InputTypeError(f"dataset must be a name, got {type(name).__name__}")
    if name not in DATASETS:
        raise InputError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")
    task = DATASETS[name].task
    if head not in SERVES[task]:
        fits = [k for k, d in DATASETS.items() if head in SERVES[d.task]]
        raise InputError(
            f"dataset {name!r} ({task}) cannot supply targets for the {head} head "
            f"({WHY_NOT[task]}); datasets that can: {', '.join(fits)}; or pass X= and y="
        )
    n = DEFAULT_ROWS if rows is None else check_positive_int(rows, "rows")
    size = math.ceil(n / 0.75) + 2 if name in SYNTHETIC_DATASETS else None
    data = load_dataset(name, seed=seed, n_samples=size, dtype="float64")
    if n > len(data.X_train):
        raise InputError(f"rows={n} but {name!r} has {len(data.X_train)} training rows")
    y = data.y_train[:n]
    if head == "multiclass" and task == "binary":  # 0/1 as two classes
        y = np.asarray(y).reshape(-1).astype(np.int64)
    return Rows(
        data.X_train[:n].astype(dtype),
        y if head == "multiclass" else y.reshape(-1).astype(dtype),
        (data.n_classes or 2) if head == "multiclass" else None,
        f"{name} (first {n} training rows)",
    )


def from_arrays(X: Any, y: Any, head: str, rows: int | None, dtype: str) -> Rows:
    """Your own ``X (N, D)`` and ``y``, checked for the head."""
    if not isinstance(X, np.ndarray) or not np.issubdtype(X.dtype, np.number):
        raise InputTypeError(f"X must be a numeric numpy array (N, D), got {type(X).__name__}")
    if X.ndim != 2 or X.shape[0] == 0:
        raise InputError(f"X must be 2-D (N, D) with N >= 1, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise InputError("X contains NaN or inf")
    if not isinstance(y, np.ndarray):
        raise InputTypeError(f"y must be a numpy array, got {type(y).__name__}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.reshape(-1)
    if y.shape != (X.shape[0],):
        raise InputError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    n = X.shape[0] if rows is None else check_positive_int(rows, "rows")
    if n > X.shape[0]:
        raise InputError(f"rows={n} but X has {X.shape[0]} rows")
    return Rows(X[:n].astype(dtype), _labels(y[:n], head, dtype), None, f"your X {X.shape}")


def _labels(y: np.ndarray, head: str, dtype: str) -> np.ndarray:
    """``y`` for the head: int64 classes, {0, 1} floats, or floats."""
    if head == "multiclass":
        if not np.issubdtype(y.dtype, np.integer):
            raise InputTypeError(
                f"y must hold integer class indices for the multiclass head, got dtype "
                f"{y.dtype} (use .astype(np.int64))"
            )
        if y.min() < 0:
            raise InputError(f"class indices must be >= 0, found {int(y.min())}")
        return y.astype(np.int64)
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise InputTypeError(f"y must be numeric for the {head} head, got dtype {y.dtype}")
    if not np.isfinite(y).all():
        raise InputError("y contains NaN or inf")
    if head == "binary" and not np.isin(y, (0, 1)).all():
        raise InputError(f"binary labels must be 0 or 1, found {np.unique(y)[:6]}")
    return y.astype(dtype)


def batches(n: int, steps: int, batch_size: int | None, seed: int) -> list[np.ndarray]:
    """The shared batches of ``steps`` training steps: the whole rows each step by default, or
    minibatches of a fresh permutation per epoch (``scratch.batch_order``)."""
    if steps == 0:
        return []
    if batch_size is None or batch_size >= n:
        return [np.arange(n)] * steps
    import scratch

    epochs = math.ceil(steps / math.ceil(n / batch_size))
    order = scratch.batch_order(n, batch_size, epochs, np.random.default_rng(seed))
    return [b for epoch in order for b in epoch][:steps]
