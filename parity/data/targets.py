"""The target side of ``parity.data.split_dataset``: label conventions, class labels, split size.

Class labels: ``classes[k]`` is what class index ``k`` stands for (a ``str`` or an ``int``,
JSON-friendly), e.g. ``('setosa', 'versicolor', 'virginica')`` for a file's text labels or
``(1, 2, 3)`` for labels ``1..3``; by default the indices themselves, ``(0, .., C-1)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Label = str | int


def check_classes(task: str, n_classes: int, classes: Sequence[object] | None) -> None:
    """TypeError or ValueError unless ``classes`` fits the task: None for regression, else
    ``n_classes`` distinct labels, each a ``str`` or an ``int`` (not a bool)."""
    if classes is None:
        return
    if task == "regression":
        raise ValueError(f"classes={classes!r} given for a regression task; they name classes")
    if isinstance(classes, str) or not all(
        isinstance(c, (str, int)) and not isinstance(c, bool) for c in classes
    ):
        raise TypeError(f"classes must be a tuple of str or int labels, got {classes!r}")
    if len(classes) != n_classes or len(set(classes)) != len(classes):
        raise ValueError(
            f"classes must be {n_classes} distinct labels for this {task} target, "
            f"got {list(classes)!r}"
        )


def _plain(label: object) -> Label:
    """A label as a plain ``int`` or ``str`` (``np.int64(3) -> 3``, ``np.str_('a') -> 'a'``)."""
    if isinstance(label, (int, np.integer)) and not isinstance(label, (bool, np.bool_)):
        return int(label)
    if isinstance(label, str):
        return str(label)
    raise TypeError(
        f"classes must be str or int labels, got {type(label).__name__} {label!r}"
    )


def class_labels(
    name: str, task: str, y: np.ndarray, classes: Sequence[object] | None
) -> tuple[Label, ...]:
    """The labels of classes ``0..C-1`` for int64 indices ``y (N,)`` (default: the indices),
    checked: every index in range, every class with the 2 rows a stratified split needs."""
    if classes is None:
        n_classes = 2 if task == "binary" else int(y.max()) + 1 if y.size else 0
        labels: tuple[Label, ...] = tuple(range(n_classes))
    else:
        if isinstance(classes, str) or not isinstance(classes, Sequence):
            raise TypeError(f"classes must be a tuple of str or int labels, got {classes!r}")
        labels = tuple(_plain(c) for c in classes)
        n_classes = len(labels)
    check_classes(task, 2 if task == "binary" else n_classes, labels)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"dataset {name!r}: {task} labels must lie in [0, {n_classes})")
    counts = np.bincount(y, minlength=n_classes)
    if counts.size and counts.min() < 2:
        k = int(np.argmin(counts))
        raise ValueError(
            f"dataset {name!r}: class {labels[k]!r} has {counts[k]} row(s); a stratified split "
            "needs at least 2 of every class (one to train on, one to test on): add rows of "
            "that class or remove it"
        )
    return labels


def targets_and_test_size(
    name: str, task: str, y: np.ndarray, test_fraction: float, classes: Sequence[object] | None
) -> tuple[np.ndarray, tuple[Label, ...] | None, int]:
    """The targets as the task keeps them (float ``(N, 1)`` or int64 ``(N,)``), the class
    labels (None for regression) and the test split's size."""
    n = y.shape[0]
    labels = None
    if task == "regression":
        check_classes(task, 0, classes)
        n_test = max(1, math.ceil(test_fraction * n))
        y = y.astype(np.float64).reshape(n, 1)
        if not np.isfinite(y).all():
            raise ValueError(f"dataset {name!r}: the regression target has NaN or inf values")
    else:
        if y.dtype.kind == "f" and not (np.isfinite(y).all() and (y == np.round(y)).all()):
            raise ValueError(f"dataset {name!r}: {task} targets must be class indices 0..C-1")
        y = y.astype(np.int64).reshape(n)
        labels = class_labels(name, task, y, classes)
        # stratification needs at least one sample of every class on each side
        n_test = min(max(math.ceil(test_fraction * n), len(labels)), n - len(labels))
    if n_test < 1 or n - n_test < 1:
        raise ValueError(f"dataset {name!r}: {n} samples are too few to split")
    return y, labels, n_test
