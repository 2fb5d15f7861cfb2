"""parity.data: registry datasets, splits, standardisation, label conventions (users' own files:
test_data_files.py)."""

import math

import numpy as np
import pytest

from parity.data import (
    DATASETS,
    MIN_SAMPLES,
    REAL_DATASETS,
    SYNTHETIC_DATASETS,
    TASKS,
    Dataset,
    check_dtype,
    load_dataset,
    one_hot,
    split_dataset,
    standardize,
    xor_points,
)

EXPECTED = {  # name: (task, n_features, n_classes, total samples at the default size)
    "xor": ("binary", 2, 2, 400),
    "moons": ("binary", 2, 2, 500),
    "circles": ("binary", 2, 2, 500),
    "spirals": ("multiclass", 2, 3, 600),
    "blobs": ("multiclass", 2, 4, 500),
    "sine": ("regression", 1, 0, 400),
    "iris": ("multiclass", 4, 3, 150),
    "digits": ("multiclass", 64, 10, 1797),
    "breast_cancer": ("binary", 30, 2, 569),
    "diabetes": ("regression", 10, 0, 442),
}


@pytest.fixture(scope="module")
def loaded() -> dict[tuple[str, str], Dataset]:
    """Every dataset in both dtypes, loaded once for the module (seed 0)."""
    return {(n, dt): load_dataset(n, dtype=dt) for n in DATASETS for dt in ("float32", "float64")}


def arrays(ds: Dataset) -> tuple[np.ndarray, ...]:
    return ds.X_train, ds.y_train, ds.X_test, ds.y_test


# ---------------------------------------------------------------------------------------------
# registry


def test_registry_covers_expected_datasets():
    assert set(DATASETS) == set(EXPECTED)
    assert set(SYNTHETIC_DATASETS) | set(REAL_DATASETS) == set(DATASETS)
    assert not set(SYNTHETIC_DATASETS) & set(REAL_DATASETS)
    for name, info in DATASETS.items():
        assert info.task == EXPECTED[name][0]
        assert info.task in TASKS
        assert info.description


# ---------------------------------------------------------------------------------------------
# every dataset, both dtypes


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(EXPECTED))
def test_shapes_dtypes_and_labels(loaded, name, dtype):
    ds = loaded[name, dtype]
    task, d, n_classes, total = EXPECTED[name]
    assert (ds.name, ds.task, ds.n_classes, ds.n_features) == (name, task, n_classes, d)
    assert ds.n_outputs == (n_classes if task == "multiclass" else 1)
    assert len(ds.feature_names) == d
    n_train, n_test = ds.X_train.shape[0], ds.X_test.shape[0]
    assert n_train + n_test == total
    assert n_test == math.ceil(0.25 * total)
    assert ds.X_train.shape == (n_train, d) and ds.X_test.shape == (n_test, d)
    for X in (ds.X_train, ds.X_test):
        assert X.dtype == np.dtype(dtype) and X.flags.c_contiguous
    for a in arrays(ds):
        assert np.all(np.isfinite(a))
    if task == "regression":
        assert ds.y_train.shape == (n_train, 1) and ds.y_test.shape == (n_test, 1)
        assert ds.y_train.dtype == np.dtype(dtype) and ds.y_test.dtype == np.dtype(dtype)
    else:
        assert ds.y_train.shape == (n_train,) and ds.y_test.shape == (n_test,)
        assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
        # every class present on both sides (stratified), nothing outside [0, C)
        assert set(np.unique(ds.y_train)) == set(range(n_classes))
        assert set(np.unique(ds.y_test)) == set(range(n_classes))


@pytest.mark.parametrize("name", list(EXPECTED))
def test_train_features_standardised(loaded, name):
    ds = loaded[name, "float64"]
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-10)
    std = ds.X_train.std(axis=0)
    # constant train columns (digits' blank border pixels) stay at 0 instead of dividing by 0
    assert np.all(np.isclose(std, 1.0, atol=1e-10) | (std == 0.0))
    assert np.isclose(std, 1.0).sum() >= 1
    if ds.task == "regression":
        np.testing.assert_allclose(ds.y_train.mean(), 0.0, atol=1e-10)
        np.testing.assert_allclose(ds.y_train.std(), 1.0, atol=1e-10)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_float32_is_float64_rounded(loaded, name):
    lo, hi = loaded[name, "float32"], loaded[name, "float64"]
    for a32, a64 in zip(arrays(lo), arrays(hi), strict=True):
        np.testing.assert_array_equal(a32, a64.astype(a32.dtype))


@pytest.mark.parametrize("name", list(EXPECTED))
def test_same_seed_is_bit_identical(loaded, name):
    again = load_dataset(name, seed=0)
    for a, b in zip(arrays(loaded[name, "float64"]), arrays(again), strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", list(EXPECTED))
def test_other_seed_differs(loaded, name):
    # synthetic sets draw new points, real sets a new split: the train features change either way
    other = load_dataset(name, seed=1)
    assert not np.array_equal(loaded[name, "float64"].X_train, other.X_train)


# ---------------------------------------------------------------------------------------------
# sizes and arguments


@pytest.mark.parametrize("name", SYNTHETIC_DATASETS)
@pytest.mark.parametrize("n", [MIN_SAMPLES, 9, 101])
def test_synthetic_n_samples(name, n):
    ds = load_dataset(name, n_samples=n, seed=3)
    assert ds.X_train.shape[0] + ds.X_test.shape[0] == n
    if ds.task != "regression":  # even the smallest split keeps a sample of each class per side
        assert set(np.unique(ds.y_train)) == set(np.unique(ds.y_test)) == set(range(ds.n_classes))


@pytest.mark.parametrize(
    ("n", "error"),
    [(7, ValueError), (0, ValueError), (-5, ValueError), (10.0, TypeError), (True, TypeError)],
    ids=["7", "0", "neg", "float", "bool"],
)
def test_n_samples_too_small_or_not_int(n, error):
    with pytest.raises(error, match=r"n_samples must be an int >= 8"):
        load_dataset("moons", n_samples=n)


@pytest.mark.parametrize("name", REAL_DATASETS)
def test_real_datasets_reject_n_samples(name):
    with pytest.raises(ValueError, match=rf"real dataset '{name}'.*fixed size"):
        load_dataset(name, n_samples=100)


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown dataset 'mnist'") as info:
        load_dataset("mnist")
    for name in DATASETS:
        assert name in str(info.value)


@pytest.mark.parametrize("dtype", ["float16", "int64", "bogus"])
def test_bad_dtype(dtype):
    with pytest.raises(ValueError, match=rf"unsupported dtype '{dtype}'.*float32, float64"):
        load_dataset("moons", dtype=dtype)


def test_numpy_dtype_object_accepted():
    assert load_dataset("xor", dtype=np.float32).X_train.dtype == np.float32


@pytest.mark.parametrize(
    ("fraction", "error"),
    [(0.0, ValueError), (1.0, ValueError), (-0.1, ValueError), (1.5, ValueError),
     ("0.5", TypeError)],
)  # fmt: skip
def test_bad_test_fraction(fraction, error):
    with pytest.raises(error, match=r"test_fraction must be in \(0, 1\)"):
        load_dataset("moons", test_fraction=fraction)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [(3, TypeError, "dtype must be a name or a NumPy dtype, got int 3"),
     ("float16", ValueError, "unsupported dtype 'float16'")],
)  # fmt: skip
def test_check_dtype_wrong_type_or_value(value, error, message):
    with pytest.raises(error, match=message):
        check_dtype(value)
    with pytest.raises(TypeError, match="dataset name must be a string, got int 3"):
        load_dataset(3)


def test_test_fraction_sets_split_size():
    ds = load_dataset("moons", test_fraction=0.5, n_samples=100)
    assert ds.X_test.shape[0] == 50


def test_test_features_use_train_statistics():
    X, y = np.arange(20.0).reshape(10, 2), np.zeros(10)
    ds = split_dataset("toy", "regression", X, y, seed=0)
    X_all = np.vstack([ds.X_train, ds.X_test])
    # one affine map (train mean/std) for both splits: the sorted column is evenly spaced
    np.testing.assert_allclose(np.diff(np.sort(X_all[:, 0])), np.diff(np.sort(X_all[:, 0]))[0])


def test_xor_points():
    X, y = xor_points()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert X.dtype == np.float64 and y.dtype == np.int64


def test_xor_dataset_labels_are_xor_of_signs():
    # standardising keeps the sign of these near-zero-mean clusters' points (noise 0.3 vs 1)
    ds = load_dataset("xor")
    for X, y in ((ds.X_train, ds.y_train), (ds.X_test, ds.y_test)):
        agree = ((X[:, 0] > 0) != (X[:, 1] > 0)) == y.astype(bool)
        assert agree.mean() > 0.99


# ---------------------------------------------------------------------------------------------
# helpers


def test_standardize_uses_train_statistics_and_guards_constant_columns():
    X_train = np.array([[1.0, 5.0, 0.5], [3.0, 5.0, 0.5]])
    X_test = np.array([[5.0, 6.0, 1.5]])
    tr, te = standardize(X_train, X_test)
    np.testing.assert_array_equal(tr, [[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    # constant columns: std taken as max(1, |mean|), so a new value is its relative deviation
    np.testing.assert_array_equal(te, [[3.0, 0.2, 1.0]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_hot(dtype):
    out = one_hot(np.array([2, 0, 1, 2]), 3, dtype)
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert out.dtype == np.dtype(dtype)
    assert one_hot(np.array([], dtype=np.int64), 4).shape == (0, 4)


def test_one_hot_out_of_range():
    with pytest.raises(ValueError, match=r"labels out of range \[0, 3\): \[-1, 3\]"):
        one_hot(np.array([0, 3, -1]), 3)
