"""The train/test split of ``parity.data``: scikit-learn's ``train_test_split``, in NumPy.

``train_test_split(X, y, test_size=n_test, random_state=seed, stratify=...)`` returns the
very rows scikit-learn's function returns for the same arguments (``ShuffleSplit`` /
``StratifiedShuffleSplit``: the same ``np.random.RandomState(seed)`` draws in the same
order), so datasets split here equal those split by scikit-learn, bit for bit; a test
compares the two. Doing it here spares a command on a CSV file or on ``xor``, ``spirals`` or
``sine`` the import of scikit-learn (about 1 s).
"""

from __future__ import annotations

import numpy as np


def _approximate_mode(counts: np.ndarray, n_draws: int, rng: np.random.RandomState) -> np.ndarray:
    """Per class, how many of ``n_draws`` rows to take: ``floor(counts / sum * n_draws)``,
    then one more for the classes with the largest remainders (ties broken by ``rng``)
    until ``n_draws`` are taken. ``counts (C,)`` -> ``(C,)`` ints summing to ``n_draws``.
    Twin of ``sklearn.utils.extmath._approximate_mode``."""
    continuous = counts / counts.sum() * n_draws
    floored = np.floor(continuous)
    need = int(n_draws - floored.sum())
    if need > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (tied,) = np.where(remainder == value)
            add = min(len(tied), need)
            floored[rng.choice(tied, size=add, replace=False)] += 1
            need -= add
            if need == 0:
                break
    return floored.astype(int)


def _stratified(
    y: np.ndarray, n_test: int, rng: np.random.RandomState
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices with every class in proportion (``StratifiedShuffleSplit``)."""
    n_train = len(y) - n_test
    classes, y_indices, counts = np.unique(y, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        raise ValueError(
            f"cannot split stratified: class(es) {classes[counts < 2].tolist()} have a single "
            f"row; every class needs at least 2 (one for training, one for the test split)"
        )
    if min(n_train, n_test) < len(classes):
        raise ValueError(
            f"cannot split {len(y)} rows of {len(classes)} classes into {n_train} train and "
            f"{n_test} test rows: each side needs one row per class"
        )
    by_class = np.split(np.argsort(y_indices, kind="stable"), np.cumsum(counts)[:-1])
    n_i = _approximate_mode(counts, n_train, rng)
    t_i = _approximate_mode(counts - n_i, n_test, rng)
    train: list[np.ndarray] = []
    test: list[np.ndarray] = []
    for i, rows in enumerate(by_class):
        shuffled = rows.take(rng.permutation(counts[i]), mode="clip")
        train.append(shuffled[: n_i[i]])
        test.append(shuffled[n_i[i] : n_i[i] + t_i[i]])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    *,
    test_size: int,
    random_state: int,
    stratify: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, X_test, y_train, y_test)``: ``test_size`` rows drawn for the test split,
    the rest for training, shuffled by ``np.random.RandomState(random_state)``.

    ``X (N, ...)``, ``y (N, ...)``; ``stratify (N,)`` labels keep each class's share on both
    sides. Same rows, same order as ``sklearn.model_selection.train_test_split`` with these
    arguments.
    """
    n = len(X)
    if not 0 < test_size < n:
        raise ValueError(f"test_size must be between 1 and {n - 1} rows, got {test_size!r}")
    rng = np.random.RandomState(random_state)
    if stratify is None:
        permutation = rng.permutation(n)
        test, train = permutation[:test_size], permutation[test_size:]
    else:
        train, test = _stratified(np.asarray(stratify), test_size, rng)
    return X[train], X[test], y[train], y[test]
