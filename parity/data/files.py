"""A user's table from a ``.csv`` or ``.npz`` file: one reader for training and prediction.

``load_training`` reads a training table (features, target, task, the class labels);
``load_arrays`` is its tuple form; ``read_features`` reads the columns a trained model needs
for prediction, and maps the target through the training's classes when the file has it.
The formats are those of :mod:`parity.data.table`; class labels as :mod:`parity.data.labels` reads
them (text or any integers, mapped to ``0..K-1``).

Every problem with a file is a ValueError naming the file (and the column, the row and the
fix, where there is one); the filesystem's are OSError: FileNotFoundError ("no such file"),
IsADirectoryError ("is a directory"), OSError ("is not a regular file", "cannot read it").
Only the columns a call needs are parsed, so an ID or a comment column never stops
``read_features``. A file whose data would exceed ``max_bytes`` (default ``MAX_BYTES``,
1 GiB) is refused before it is read (see :mod:`parity.data.npz`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from parity.data import TASKS, check_dtype
from parity.data.labels import Label, check_finite, encode_labels, read_target
from parity.data.npz import MAX_BYTES
from parity.data.table import Table, read_table

__all__ = ["MAX_BYTES", "Table", "TrainingData", "load_arrays", "load_training",
           "read_features", "read_table"]  # fmt: skip


@dataclass(frozen=True, eq=False)
class TrainingData:
    """A training table, read: ``X (N, D)`` in the requested dtype; ``y`` per
    ``parity.data``'s label conventions (``(N, 1)`` float for regression, ``(N,)`` int64 class
    indices otherwise); ``classes[k]`` is class ``k``'s label as the file has it (None for
    regression); ``note``, when set, is worth showing the user (how the labels were read)."""

    path: Path
    X: np.ndarray
    y: np.ndarray
    task: str
    feature_names: tuple[str, ...]
    classes: tuple[Label, ...] | None
    note: str | None = None


def _check_x_layout(table: Table, target: str) -> None:
    """A training archive with a 2-D ``X`` holds exactly ``X`` and the target."""
    others = list(table.columns[table.x_width :])
    present = ", ".join(["X", *others])
    if target not in others:
        raise ValueError(
            f"{table.path}: target {target!r} not found; with a 2-D 'X' the archive must also "
            f"hold the target array (arrays present: {present})"
        )
    if others != [target]:
        raise ValueError(
            f"{table.path}: an archive with a 2-D 'X' must hold exactly 'X' and {target!r}, "
            f"found {present}"
        )


def _check_columns(table: Table, target: str) -> None:
    """Every column is named once, the target is there, with features and two rows."""
    path, columns = table.path, table.columns
    for j, c in enumerate(columns):
        if not c:
            raise ValueError(
                f"{path}: header has an empty name in column {j + 1}; every column but the "
                "target is a feature and needs a name (pandas writes its index so: "
                "to_csv(index=False))"
            )
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise ValueError(f"{path}: duplicate column names in the header: {dupes}")
    if target not in columns:
        raise ValueError(f"{path}: target column {target!r} not found; columns: {list(columns)}")
    if table.n_rows < 2:
        raise ValueError(f"{path}: needs at least 2 data rows, found {table.n_rows}")
    if len(columns) < 2:
        raise ValueError(f"{path}: no feature columns besides the target {target!r}")


def _feature(table: Table, name: str, dtype: np.dtype) -> np.ndarray:
    """Training feature ``name``: float64 ``(N,)``, finite and representable in ``dtype``."""
    try:
        x = table.numeric(name)
    except ValueError as err:
        raise ValueError(
            f"{err}; every column but the target is a feature: drop {name!r} from the file if "
            "it is not one"
        ) from None
    check_finite(table, name, x)
    check_fits(table.path, name, x, dtype)
    return x


def check_fits(path: Path, name: str, x: np.ndarray, dtype: np.dtype) -> None:
    """ValueError naming the column when ``x``'s values overflow ``dtype``, or all underflow
    float32 (a column of nonzero values that would round to 0 and be dropped as constant). In
    float64, which ``x`` already is, subnormal values are kept: standardisation takes such a
    column as constant (``parity.data.standardize``), as it would any column without spread."""
    info = np.finfo(dtype)
    top, tiny = float(info.max), float(info.smallest_normal)  # Python floats: no cast warning
    biggest = float(np.max(np.abs(x))) if x.size else 0.0
    underflow = 0.0 < biggest < tiny and np.dtype(dtype) != np.float64
    if biggest > top or underflow:
        size = "up to" if biggest > top else "at most"
        raise ValueError(
            f"{path}: column {name!r} has values {size} {biggest:.3g} in magnitude, which do "
            f"not fit {dtype.name} (normal range {tiny:.2g} to {top:.2g}); "
            "use --dtype float64 (dtype='float64') or rescale the column"
        )


def _check_arguments(target: object, task: object) -> None:
    if not isinstance(target, str):
        raise TypeError(f"target must be a column name (str), got {type(target).__name__}")
    if task is not None and task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid tasks: {', '.join(TASKS)}")


def load_training(
    path: str | os.PathLike[str],
    *,
    target: str,
    task: str | None = None,
    dtype: str | np.dtype = "float64",
    max_bytes: int = MAX_BYTES,
) -> TrainingData:
    """Load a user's training table (see :class:`TrainingData`); no split, no scaling (pass
    the arrays and ``classes`` to ``parity.data.split_dataset`` for that).

    ``target`` names the target column; every other column is a feature (an ``.npz`` with a
    2-D ``X`` must hold exactly ``X`` and the target, conventionally ``"y"``). The task is
    ``task``, or inferred from the target (see :mod:`parity.data.labels`); class labels, text or
    any integers, become indices ``0..K-1`` into ``classes``. Refused, with a ValueError
    naming the file and column: a non-numeric feature, a missing or non-finite value, a
    value that does not fit ``dtype``, a target with a single value.
    """
    out_dtype = check_dtype(dtype)
    _check_arguments(target, task)
    table = read_table(path, max_bytes=max_bytes)
    if table.x_width:
        _check_x_layout(table, target)
    _check_columns(table, target)
    names = tuple(c for c in table.columns if c != target)
    X = np.column_stack([_feature(table, c, out_dtype) for c in names])
    read = read_target(table, target, task)
    if read.task == "regression":
        check_fits(table.path, target, read.values, out_dtype)
        y = np.ascontiguousarray(read.values.reshape(-1, 1), dtype=out_dtype)
    else:
        y = read.values
    X = np.ascontiguousarray(X, dtype=out_dtype)
    return TrainingData(table.path, X, y, read.task, names, read.classes, read.note)


def load_arrays(
    path: str | os.PathLike[str],
    *,
    target: str,
    task: str | None = None,
    dtype: str | np.dtype = "float64",
    max_bytes: int = MAX_BYTES,
) -> tuple[np.ndarray, np.ndarray, str, tuple[str, ...]]:
    """:func:`load_training` as ``(X, y, task, feature_names)``; class labels as indices
    ``0..K-1`` (``load_training(...).classes`` gives the labels they stand for)."""
    data = load_training(path, target=target, task=task, dtype=dtype, max_bytes=max_bytes)
    return data.X, data.y, data.task, data.feature_names


def _check_names(features: object, target: object, classes: object) -> None:
    if isinstance(features, str) or not isinstance(features, Sequence):
        raise TypeError(f"features must be a sequence of column names, got {features!r}")
    if not all(isinstance(f, str) for f in features):
        raise TypeError(f"features must be column names (str), got {list(features)!r}")
    if target is not None and not isinstance(target, str):
        raise TypeError(f"target must be a column name (str) or None, got {target!r}")
    if classes is not None and (
        isinstance(classes, str)
        or not isinstance(classes, Sequence)
        or not all(isinstance(c, (str, int)) and not isinstance(c, bool) for c in classes)
    ):
        raise TypeError(f"classes must be a sequence of str or int labels, got {classes!r}")


def read_features(
    path: str | os.PathLike[str],
    features: Sequence[str],
    target: str | None,
    *,
    classes: Sequence[Label] | None = None,
    max_bytes: int = MAX_BYTES,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Raw features ``X (N, D)`` float64 in the model's column order, and the target if the
    file has the column ``target`` (else None).

    Columns are matched by name; only the features and the target are parsed, others are
    ignored (an ``.npz``'s 2-D ``X`` holds the features in training order). The target is
    ``(N,)`` float64, NaN where a cell is empty: for a classifier (``classes``: the labels
    training saw, ``TrainingData.classes``), the class indices its labels map to, a label
    training did not see being an error; else the numbers.
    """
    _check_names(features, target, classes)
    table = read_table(path, x_names=list(features), max_bytes=max_bytes)
    missing = [f for f in features if f not in table.columns]
    if missing:
        raise ValueError(
            f"{table.path}: missing feature column(s) {missing}; "
            f"the model was trained on {list(features)}"
        )
    if table.n_rows == 0:
        raise ValueError(f"{table.path}: no data rows")
    X = np.column_stack([table.numeric(f, missing_ok=True) for f in features])
    bad = ~np.isfinite(X)
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise ValueError(
            f"{table.path}: feature {features[col]!r} is missing or not finite at {table.row(row)}"
        )
    if target is None or target not in table.columns:
        return X, None
    if classes is not None:
        return X, encode_labels(table, target, classes)
    try:
        return X, table.numeric(target, missing_ok=True)
    except ValueError as err:
        raise ValueError(
            f"{err} (the target column, read only to score the predictions: fix the cell, or "
            "drop the column to predict without a score)"
        ) from None
