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

This module imports only NumPy (and ``scratch``'s name lists) at import time. The synthetic
sets need no scikit-learn: moons, circles and blobs come from ``parity.data.synthetic``, NumPy
copies of scikit-learn's generators that return bit-identical arrays; scikit-learn is
imported only to load a real dataset (iris, digits, breast_cancer, diabetes). Users'
own files are read by ``parity.data.files``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from parity.data.split import train_test_split
from parity.data.standardize import (
    cast_scaled,
    check_statistics,
    check_target_headroom,
    mean_std,
    scale,
)
from parity.data.standardize import standardize as standardize
from parity.data.synthetic import make_blobs, make_circles, make_moons
from parity.data.targets import Label, check_classes, targets_and_test_size
from parity.spec import check_seed
from scratch import DTYPES, TASKS


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
    # classification: classes[k] is the label class k stands for (str or int, e.g. a file's
    # 'virginica' or 3); None for regression (and for a Dataset built without them)
    classes: tuple[Label, ...] | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; valid tasks: {', '.join(TASKS)}")
        check_classes(self.task, 2 if self.task == "binary" else self.n_classes, self.classes)

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


def check_dtype(dtype: str | np.dtype | type) -> np.dtype:
    """``np.dtype(dtype)`` if it is float32 or float64: ValueError for another dtype or name,
    TypeError for a value that names no dtype at all."""
    if not isinstance(dtype, (str, np.dtype, type)):
        raise TypeError(
            f"dtype must be a name or a NumPy dtype, got {type(dtype).__name__} {dtype!r}; "
            f"valid dtypes: {', '.join(DTYPES)}"
        )
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}; valid dtypes: {', '.join(DTYPES)}")
    return resolved


def _check_fraction(test_fraction: float) -> None:
    """TypeError unless a real number, ValueError unless strictly between 0 and 1."""
    message = f"test_fraction must be in (0, 1), got {test_fraction!r}"
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float, np.number)):
        raise TypeError(message)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(message)


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
    return make_moons(n_samples=n, noise=0.2, random_state=seed)


def _make_circles(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return make_circles(n_samples=n, noise=0.1, factor=0.5, random_state=seed)


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
    return make_blobs(n_samples=n, centers=4, n_features=2, cluster_std=1.0, random_state=seed)


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


def _digits_without_sklearn() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]] | None:
    """``load_digits()`` read straight from scikit-learn's data file, without importing
    scikit-learn (about 1 s, the most of a first ``nn-parity check``); None if not found."""
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    if not (path / "digits.csv.gz").is_file():
        return None
    with gzip.open(path / "digits.csv.gz", "rt") as f:
        data = np.loadtxt(f, delimiter=",")
    names = tuple(f"pixel_{r}_{c}" for r in range(8) for c in range(8))
    return data[:, :-1], data[:, -1].astype(int, copy=False), names


def _load_real(name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    found = _digits_without_sklearn() if name == "digits" else None
    if found is not None:
        return found
    from sklearn import datasets

    if name == "diabetes":
        bunch = datasets.load_diabetes(scaled=False)
    else:
        bunch = getattr(datasets, f"load_{name}")()
    return bunch.data, bunch.target, tuple(str(f) for f in bunch.feature_names)


# ---------------------------------------------------------------------------------------------
# public loaders


def _check_split_inputs(
    name: str, task: str, X: np.ndarray, y: np.ndarray, feature_names: Sequence[str] | None
) -> None:
    """TypeError for targets that are not numbers (text labels), ValueError for
    ``feature_names`` of another length than X's columns."""
    if y.dtype.kind not in "biuf":
        first = y.reshape(-1)[:1].tolist()
        raise TypeError(
            f"dataset {name!r}: y must hold numbers ({task} targets as class indices 0..C-1), "
            f"got dtype {y.dtype} (first value {first[0] if first else None!r}); map text "
            "labels to indices and pass the labels as classes= (parity.data.files.load_training "
            "does both for a file)"
        )
    if feature_names is not None and len(feature_names) != X.shape[1]:
        raise ValueError(
            f"dataset {name!r}: feature_names has {len(feature_names)} names "
            f"{tuple(feature_names)!r} for {X.shape[1]} columns of X; give one name per column"
        )


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
    classes: Sequence[Label] | None = None,
) -> Dataset:
    """Split arrays into a standardised :class:`Dataset` (what :func:`load_dataset` does).

    ``X (N, D)``; ``y (N,)`` or ``(N, 1)``, class indices ``0..C-1`` for classification.
    The split is scikit-learn's ``train_test_split(random_state=seed)`` (done in NumPy by
    ``parity.data.split``, same rows), stratified for classification,
    with at least one test and one train sample per class. Features (and a regression target)
    are standardised with the train split's mean/std and cast to ``dtype``; those statistics
    are kept on the result (``x_mean``, ``x_std``, ``y_mean``, ``y_std``) for new raw inputs,
    computed so that they cannot overflow (``parity.data.standardize``). ``classes``: the labels
    of classes ``0..C-1`` (``parity.data.files.load_training`` gives them for a file's labels),
    kept as ``Dataset.classes``; by default the indices themselves.

    ValueError, naming the dataset (``name``, a file's path) and the column or class: X or
    the target not finite, a class with fewer than 2 rows (the stratified split puts one on
    each side), a standardised value that does not fit ``dtype``, a regression target so
    large that predictions mapped back to its units would overflow.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid tasks: {', '.join(TASKS)}")
    seed = check_seed(seed)
    out_dtype = check_dtype(dtype)
    _check_fraction(test_fraction)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    n = X.shape[0]
    if X.ndim != 2 or y.shape[0] != n:
        raise ValueError(f"expected X (N, D) and y (N,), got {X.shape} and {y.shape}")
    _check_split_inputs(name, task, X, y, feature_names)
    if feature_names is None:
        feature_names = tuple(f"x{j}" for j in range(X.shape[1]))
    if not np.isfinite(X).all():
        column = feature_names[int(np.argwhere(~np.isfinite(X))[0, 1])]
        raise ValueError(f"dataset {name!r}: column {column!r} has NaN or inf values")
    y, labels, n_test = targets_and_test_size(name, task, y, test_fraction, classes)
    stratify = None if task == "regression" else y
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=n_test, random_state=seed, stratify=stratify
    )
    source = f"dataset {name!r}"
    x_mean, x_std = mean_std(X_train)
    check_statistics(source, feature_names, x_mean, x_std)
    X_train, X_test = (
        cast_scaled(scale(a, x_mean, x_std), out_dtype, source, feature_names, what)
        for a, what in ((X_train, "train"), (X_test, "test"))
    )
    y_mean = y_std = None
    if task == "regression":
        m, s = mean_std(y_train)
        check_statistics(source, ("target",), m, s)
        y_mean, y_std = float(m[0]), float(s[0])
        check_target_headroom(source, y_mean, y_std)
        y_train, y_test = (
            cast_scaled(scale(a, m, s), out_dtype, source, ("target",), what)
            for a, what in ((y_train, "train"), (y_test, "test"))
        )
    else:
        y_train, y_test = (np.ascontiguousarray(a, dtype=np.int64) for a in (y_train, y_test))
    return Dataset(
        name=name,
        task=task,
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        n_classes=0 if labels is None else len(labels),
        feature_names=tuple(feature_names),
        x_mean=x_mean,
        x_std=x_std,
        y_mean=y_mean,
        y_std=y_std,
        classes=labels,
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
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string, got {type(name).__name__} {name!r}")
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid datasets: {', '.join(DATASETS)}")
    seed = check_seed(seed)
    check_dtype(dtype)
    task = DATASETS[name].task
    if name in _SYNTHETIC:
        make, default_n = _SYNTHETIC[name]
        n = default_n if n_samples is None else n_samples
        message = f"n_samples must be an int >= {MIN_SAMPLES}, got {n_samples!r}"
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            raise TypeError(message)
        if n < MIN_SAMPLES:
            raise ValueError(message)
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
