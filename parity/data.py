"""Datasets for parity runs: scikit-learn's bundled sets and small synthetic ones, no downloads.

Every dataset comes back as a :class:`Dataset` with a fixed train/test split (stratified for
classification, ``random_state=seed``) and features standardised with the *train* split's
mean and std, so both networks see the same, well-scaled numbers.

Label conventions (shared by ``scratch/`` and ``torch_impl/``):

- regression: ``y`` float, shape ``(N, 1)``, standardised with the train mean/std
  (twin: the target of ``nn.MSELoss``);
- binary: ``y`` int64, shape ``(N,)``, values in ``{0, 1}`` (cast to float for
  ``nn.BCEWithLogitsLoss``);
- multiclass: ``y`` int64, shape ``(N,)``, values in ``[0, C)`` (class indices for
  ``nn.CrossEntropyLoss``).

This module imports only NumPy and the standard library at import time; scikit-learn is
imported inside the functions that need it, so ``import parity.data`` stays fast.
"""

from __future__ import annotations

import csv
import math
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

TASKS = ("regression", "binary", "multiclass")


class DatasetInfo(NamedTuple):
    """One registry entry: the task a dataset poses and a one-line description."""

    task: str
    description: str


DATASETS: dict[str, DatasetInfo] = {
    "xor": DatasetInfo(
        "binary", "four noisy 2-D clusters, one per quadrant, label = XOR of the signs"
    ),
    "moons": DatasetInfo("binary", "two interleaving half moons (make_moons, noise 0.2)"),
    "circles": DatasetInfo("binary", "two nested circles (make_circles, noise 0.1, factor 0.5)"),
    "spirals": DatasetInfo("multiclass", "three interleaved spiral arms in 2-D"),
    "blobs": DatasetInfo("multiclass", "four Gaussian blobs in 2-D (make_blobs)"),
    "sine": DatasetInfo("regression", "y = sin(x) + noise, x uniform in [-pi, pi], 1-D input"),
    "iris": DatasetInfo("multiclass", "Fisher's iris: 150 flowers, 4 features, 3 species"),
    "digits": DatasetInfo(
        "multiclass", "8x8 handwritten digits: 1797 images, 64 pixels, 10 digits"
    ),
    "breast_cancer": DatasetInfo("binary", "Wisconsin breast cancer: 569 tumours, 30 features"),
    "diabetes": DatasetInfo("regression", "diabetes progression: 442 patients, 10 features"),
}

SYNTHETIC_DATASETS = ("xor", "moons", "circles", "spirals", "blobs", "sine")
REAL_DATASETS = ("iris", "digits", "breast_cancer", "diabetes")

MIN_SAMPLES = 8  # smallest n_samples a synthetic set accepts
_NUMERIC_DTYPES = ("float32", "float64")
_MAX_INFERRED_CLASSES = 20  # an integer target with more unique values is taken as regression


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split ready for training; see the module docstring for label conventions.

    Shapes: ``X_train (N_train, D)``, ``X_test (N_test, D)``; ``y_*`` is ``(N, 1)`` float for
    regression, ``(N,)`` int64 for classification. ``eq=False``: datasets compare by identity
    (elementwise ``==`` on arrays has no single truth value).
    """

    name: str
    task: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    feature_names: tuple[str, ...]
    # the train split's standardisation, float64, so new raw inputs can get the same transform:
    # x_scaled = (x - x_mean) / x_std, and for regression y = y_scaled * y_std + y_mean
    x_mean: np.ndarray | None = None  # (D,)
    x_std: np.ndarray | None = None  # (D,)
    y_mean: float | None = None
    y_std: float | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; valid tasks: {', '.join(TASKS)}")

    @property
    def n_features(self) -> int:
        """Number of input features ``D``."""
        return int(self.X_train.shape[1])

    @property
    def n_outputs(self) -> int:
        """Width of the network's last layer: 1 for regression and binary, C for multiclass."""
        return self.n_classes if self.task == "multiclass" else 1


# ---------------------------------------------------------------------------------------------
# helpers


def _check_dtype(dtype: str | np.dtype) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float32 or float64, else raise ValueError."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in _NUMERIC_DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}; valid dtypes: {', '.join(_NUMERIC_DTYPES)}")
    return resolved


def _mean_std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and std (ddof=0) in float64; a (near-)constant column gets std 1."""
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    # std == 0 (up to rounding of the mean) means a constant column: leave it centred at 0
    std = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
    return mean, std


def standardize(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardise both splits with the train split's column mean and std.

    ``(x - mean_train) / std_train``; a constant train column keeps std 1 (it becomes 0).
    Shapes: ``X_train (N_train, D)``, ``X_test (N_test, D)`` -> same shapes, float64.
    """
    mean, std = _mean_std(X_train)
    return (
        (np.asarray(X_train, dtype=np.float64) - mean) / std,
        (np.asarray(X_test, dtype=np.float64) - mean) / std,
    )


def one_hot(labels: np.ndarray, n_classes: int, dtype: str | np.dtype = "float64") -> np.ndarray:
    """One-hot encode class indices: ``labels (N,)`` in ``[0, n_classes)`` -> ``(N, n_classes)``.

    Used for the ``softmax_mse`` head (Softmax + MSE on one-hot targets).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if n_classes < 1:
        raise ValueError(f"n_classes must be >= 1, got {n_classes}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        bad = np.unique(labels[(labels < 0) | (labels >= n_classes)])
        raise ValueError(f"labels out of range [0, {n_classes}): {bad.tolist()}")
    out = np.zeros((labels.shape[0], n_classes), dtype=np.dtype(dtype))
    out[np.arange(labels.shape[0]), labels.astype(np.int64)] = 1
    return out


# ---------------------------------------------------------------------------------------------
# synthetic generators: (n, rng or seed) -> X (n, D) float64, y (n,) int64 or float64


def xor_points() -> tuple[np.ndarray, np.ndarray]:
    """The classic 4-point XOR problem: ``X (4, 2)`` float64, ``y (4,)`` int64 = [0, 1, 1, 0]."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def _make_xor(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    quadrant = rng.permutation(np.arange(n) % 4)  # balanced: n // 4 (+1) points per quadrant
    signs = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float64)[quadrant]  # (n, 2)
    X = signs + 0.3 * rng.standard_normal((n, 2))
    y = (signs[:, 0] != signs[:, 1]).astype(np.int64)  # XOR of the cluster's signs
    return X, y


def _make_moons(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=n, noise=0.2, random_state=seed)
    return X, y.astype(np.int64)


def _make_circles(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=n, noise=0.1, factor=0.5, random_state=seed)
    return X, y.astype(np.int64)


def _make_spirals(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_arms = 3
    X = np.empty((n, 2))
    y = np.empty(n, dtype=np.int64)
    sizes = [n // n_arms + (k < n % n_arms) for k in range(n_arms)]
    start = 0
    for k, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)  # radius grows along the arm
        t = np.linspace(k * 4.0, (k + 1) * 4.0, m) + 0.2 * rng.standard_normal(m)  # angle
        X[start : start + m] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[start : start + m] = k
        start += m
    return X, y


def _make_blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=n, centers=4, n_features=2, cluster_std=1.0, random_state=seed)
    return X, y.astype(np.int64)


def _make_sine(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, size=n)
    y = np.sin(x) + 0.1 * rng.standard_normal(n)
    return x[:, None], y


_SYNTHETIC: dict[str, tuple[Callable[[int, int], tuple[np.ndarray, np.ndarray]], int]] = {
    # name: (generator, default n_samples)
    "xor": (_make_xor, 400),
    "moons": (_make_moons, 500),
    "circles": (_make_circles, 500),
    "spirals": (_make_spirals, 600),
    "blobs": (_make_blobs, 500),
    "sine": (_make_sine, 400),
}


def _load_real(name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    from sklearn import datasets

    if name == "diabetes":
        bunch = datasets.load_diabetes(scaled=False)
    else:
        bunch = getattr(datasets, f"load_{name}")()
    return bunch.data, bunch.target, tuple(str(f) for f in bunch.feature_names)


# ---------------------------------------------------------------------------------------------
# public loaders


def split_dataset(
    name: str,
    task: str,
    X: np.ndarray,
    y: np.ndarray,
    *,
    seed: int = 0,
    test_fraction: float = 0.25,
    dtype: str | np.dtype = "float64",
    feature_names: tuple[str, ...] | None = None,
) -> Dataset:
    """Split arrays into a standardised :class:`Dataset` (what :func:`load_dataset` does).

    ``X (N, D)``; ``y (N,)`` or ``(N, 1)``, class indices ``0..C-1`` for classification.
    The split is ``train_test_split(random_state=seed)``, stratified for classification,
    with at least one test and one train sample per class. Features (and a regression target)
    are standardised with the train split's mean/std and cast to ``dtype``; those statistics
    are kept on the result (``x_mean``, ``x_std``, ``y_mean``, ``y_std``) for new raw inputs.
    """
    from sklearn.model_selection import train_test_split

    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid tasks: {', '.join(TASKS)}")
    out_dtype = _check_dtype(dtype)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    n = X.shape[0]
    if X.ndim != 2 or y.shape[0] != n:
        raise ValueError(f"expected X (N, D) and y (N,), got {X.shape} and {y.shape}")
    if feature_names is None:
        feature_names = tuple(f"x{j}" for j in range(X.shape[1]))

    if task == "regression":
        n_classes, stratify = 0, None
        n_test = max(1, math.ceil(test_fraction * n))
        y = y.astype(np.float64).reshape(n, 1)
    else:
        y = y.astype(np.int64).reshape(n)
        n_classes = 2 if task == "binary" else int(y.max()) + 1
        if y.min() < 0 or y.max() >= n_classes:
            raise ValueError(f"dataset {name!r}: {task} labels must lie in [0, {n_classes})")
        stratify = y
        # stratification needs at least one sample of every class on each side
        n_test = min(max(math.ceil(test_fraction * n), n_classes), n - n_classes)
    if n_test < 1 or n - n_test < 1:
        raise ValueError(f"dataset {name!r}: {n} samples are too few to split")

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=n_test, random_state=seed, stratify=stratify
    )
    x_mean, x_std = _mean_std(X_train)
    X_train, X_test = standardize(X_train, X_test)
    y_mean = y_std = None
    if task == "regression":
        y_mean, y_std = (float(v[0]) for v in _mean_std(y_train))
        y_train, y_test = standardize(y_train, y_test)
        y_train, y_test = (np.ascontiguousarray(a, dtype=out_dtype) for a in (y_train, y_test))
    else:
        y_train, y_test = (np.ascontiguousarray(a, dtype=np.int64) for a in (y_train, y_test))
    return Dataset(
        name=name,
        task=task,
        X_train=np.ascontiguousarray(X_train, dtype=out_dtype),
        y_train=y_train,
        X_test=np.ascontiguousarray(X_test, dtype=out_dtype),
        y_test=y_test,
        n_classes=n_classes,
        feature_names=tuple(feature_names),
        x_mean=x_mean,
        x_std=x_std,
        y_mean=y_mean,
        y_std=y_std,
    )


def load_dataset(
    name: str,
    *,
    seed: int = 0,
    n_samples: int | None = None,
    test_fraction: float = 0.25,
    dtype: str | np.dtype = "float64",
) -> Dataset:
    """Load a registered dataset (see ``DATASETS``), split and standardised; deterministic per seed.

    ``seed`` drives both the synthetic generator and the split. ``n_samples`` (>= 8) resizes a
    synthetic set; real sets have a fixed size and reject it. ``dtype`` is float32 or float64
    (features and regression targets; class labels are always int64).
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid datasets: {', '.join(DATASETS)}")
    _check_dtype(dtype)
    task = DATASETS[name].task
    if name in _SYNTHETIC:
        make, default_n = _SYNTHETIC[name]
        n = default_n if n_samples is None else n_samples
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < MIN_SAMPLES:
            raise ValueError(f"n_samples must be an int >= {MIN_SAMPLES}, got {n_samples!r}")
        X, y = make(int(n), seed)
        names = tuple(f"x{j}" for j in range(X.shape[1])) if X.shape[1] > 1 else ("x",)
    else:
        if n_samples is not None:
            raise ValueError(
                f"n_samples={n_samples!r} given for real dataset {name!r}: real datasets have a "
                f"fixed size; n_samples applies only to {', '.join(SYNTHETIC_DATASETS)}"
            )
        X, y, names = _load_real(name)
    return split_dataset(
        name, task, X, y, seed=seed, test_fraction=test_fraction, dtype=dtype, feature_names=names
    )


# ---------------------------------------------------------------------------------------------
# users' own files


def read_csv(path: Path) -> tuple[list[str], np.ndarray]:
    """Parse a numeric CSV with a header row -> (column names, values (N, K) float64)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:  # -sig: drop an Excel BOM
            rows = [(i, row) for i, row in enumerate(csv.reader(f), start=1) if row]
    except (UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f"{path}: not a readable UTF-8 CSV file ({err})") from None
    if not rows:
        raise ValueError(f"{path}: file is empty")
    header_line, header = rows[0]
    columns = [c.strip() for c in header]
    for j, c in enumerate(columns):
        if not c:
            raise ValueError(
                f"{path}: header (line {header_line}) has an empty name in column {j + 1}"
            )
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise ValueError(f"{path}: duplicate column names in the header: {dupes}")
    values = np.empty((len(rows) - 1, len(columns)))
    for r, (line, row) in enumerate(rows[1:]):
        if len(row) != len(columns):
            raise ValueError(
                f"{path}: line {line} has {len(row)} cells, the header has {len(columns)}"
            )
        for j, cell in enumerate(row):
            text = cell.strip()
            if not text:
                raise ValueError(f"{path}: line {line}, column {columns[j]!r}: empty cell")
            try:
                values[r, j] = float(text)
            except ValueError:
                raise ValueError(
                    f"{path}: line {line}, column {columns[j]!r}: {text!r} is not a number"
                ) from None
    return columns, values


def _read_npz(path: Path, target: str) -> tuple[list[str], np.ndarray]:
    """Read an .npz -> (column names, values (N, K) float64); see :func:`load_arrays`."""
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: file is empty")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not a .npz archive (np.savez writes one)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise ValueError(f"{path}: not a readable .npz archive ({err})") from None
    except ValueError as err:  # object arrays need pickle, which we refuse
        raise ValueError(f"{path}: cannot read arrays without pickle ({err})") from None
    if not arrays:
        raise ValueError(f"{path}: file is empty (no arrays)")
    for key, a in arrays.items():
        if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
            raise ValueError(f"{path}: array {key!r} has non-numeric dtype {a.dtype}")

    if "X" in arrays and arrays["X"].ndim == 2:  # X/y layout
        X = arrays["X"]
        others = [k for k in arrays if k != "X"]
        if target not in arrays or target == "X":
            raise ValueError(
                f"{path}: target {target!r} not found; with a 2-D 'X' the archive must also "
                f"hold the target array (arrays present: {', '.join(arrays)})"
            )
        if others != [target]:
            raise ValueError(
                f"{path}: an archive with a 2-D 'X' must hold exactly 'X' and {target!r}, "
                f"found {', '.join(arrays)}"
            )
        y = arrays[target]
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"{path}: {target!r} must have shape ({X.shape[0]},), got {y.shape}")
        names = [f"x{j}" for j in range(X.shape[1])]
        return [*names, target], np.column_stack([X.astype(np.float64), y.astype(np.float64)])

    # column layout: every array is one named 1-D column
    lengths = {key: a.shape for key, a in arrays.items()}
    if any(len(s) != 1 for s in lengths.values()) or len({s[0] for s in lengths.values()}) != 1:
        raise ValueError(
            f"{path}: expected a 2-D 'X' plus a target, or 1-D columns of equal length; "
            f"got shapes {lengths}"
        )
    columns = list(arrays)
    return columns, np.column_stack([arrays[c].astype(np.float64) for c in columns])


def _number(value: float) -> int | float:
    """A target value as written: ``0`` rather than ``0.0`` when it is an integer."""
    return int(value) if value == round(value) else float(value)


def _values(values: np.ndarray, limit: int = 12) -> str:
    """Sorted unique target values as a short list: ``[-1, 1]``, ``[0.5, 2]``, ``[0, 1, ...]``."""
    more = ", ..." if len(values) > limit else ""
    return f"[{', '.join(str(_number(v)) for v in values[:limit])}{more}]"


def load_arrays(
    path: str | os.PathLike[str],
    *,
    target: str,
    task: str | None = None,
    dtype: str | np.dtype = "float64",
) -> tuple[np.ndarray, np.ndarray, str, tuple[str, ...]]:
    """Load a user's table from ``.csv`` or ``.npz`` -> ``(X, y, task, feature_names)``.

    Formats:

    - ``.csv``: a header row of column names, then numeric rows (blank lines skipped);
      ``target`` names the target column, every other column is a feature.
    - ``.npz``: either named 1-D columns of equal length (``target`` picks one, the rest are
      features, in archive order), or exactly two arrays, a 2-D ``X (N, D)`` and the 1-D
      target named by ``target`` (conventionally ``"y"``); features are then named ``x0..``.

    Task inference when ``task`` is None: an integer-valued target with 2 unique values is
    binary, with at most 20 unique values multiclass, anything else regression.
    Classification labels must already be the integers ``0..C-1`` (the error says so and
    lists the values found, e.g. for labels ``1..K`` or ``-1/+1``). A target with a single
    value is rejected whatever the task: nothing to learn.

    Returns ``X (N, D)`` in ``dtype`` and ``y`` per the module's label conventions
    (``(N, 1)`` float for regression, ``(N,)`` int64 otherwise); no split, no scaling
    (pass the result to :func:`split_dataset` for that).
    """
    path = Path(path)
    out_dtype = _check_dtype(dtype)
    if task is not None and task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid tasks: {', '.join(TASKS)}")
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        columns, values = read_csv(path)
    elif suffix == ".npz":
        columns, values = _read_npz(path, target)
    else:
        raise ValueError(f"{path}: unsupported file type {path.suffix!r}; use .csv or .npz")

    if target not in columns:
        raise ValueError(f"{path}: target column {target!r} not found; columns: {columns}")
    if values.shape[0] < 2:
        raise ValueError(f"{path}: needs at least 2 data rows, found {values.shape[0]}")
    if len(columns) < 2:
        raise ValueError(f"{path}: no feature columns besides the target {target!r}")
    for j, c in enumerate(columns):
        bad = ~np.isfinite(values[:, j])
        if bad.any():
            raise ValueError(
                f"{path}: column {c!r} has {int(bad.sum())} missing or non-finite value(s) "
                f"(NaN/inf), first at data row {int(np.argmax(bad)) + 1}"
            )

    t = columns.index(target)
    y = values[:, t]
    X = np.delete(values, t, axis=1)
    feature_names = tuple(c for c in columns if c != target)

    is_integer = bool(np.all(y == np.round(y)))
    unique = np.unique(y)
    if unique.size < 2:  # a constant target: nothing to learn, and training "succeeds" silently
        raise ValueError(
            f"{path}: target column {target!r} has only one value ({_number(unique[0])}); "
            f"need at least two classes (or values for regression)"
        )
    if task is None:
        if is_integer and unique.size == 2:
            task = "binary"
        elif is_integer and unique.size <= _MAX_INFERRED_CLASSES:
            task = "multiclass"
        else:
            task = "regression"

    if task == "regression":
        y_out = np.ascontiguousarray(y.reshape(-1, 1), dtype=out_dtype)
    else:
        n_valid = 2 if task == "binary" else unique.size
        offending = unique[(unique != np.round(unique)) | (unique < 0) | (unique >= n_valid)]
        if offending.size:
            if unique.size > n_valid:  # only for binary: more than two classes
                fix = "a binary target has exactly two classes (the multiclass head takes more)"
            else:
                fix = f"renumber the classes to 0..K-1 (here 0..{n_valid - 1})"
            raise ValueError(
                f"{path}: {task} labels in {target!r} must be the integers 0..{n_valid - 1}; "
                f"found values {_values(unique)}, offending values: {_values(offending)}; {fix}"
            )
        y_out = y.astype(np.int64)
    return np.ascontiguousarray(X, dtype=out_dtype), y_out, task, feature_names
