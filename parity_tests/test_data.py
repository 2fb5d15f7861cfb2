"""parity.data: registry datasets, splits, standardisation, label conventions, user files."""

import math
import re

import numpy as np
import pytest

from parity.data import (
    DATASETS,
    MIN_SAMPLES,
    REAL_DATASETS,
    SYNTHETIC_DATASETS,
    TASKS,
    Dataset,
    load_arrays,
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


@pytest.mark.parametrize("n", [7, 0, -5, 10.0, True], ids=["7", "0", "neg", "float", "bool"])
def test_n_samples_too_small_or_not_int(n):
    with pytest.raises(ValueError, match=r"n_samples must be an int >= 8"):
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


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_bad_test_fraction(fraction):
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\)"):
        load_dataset("moons", test_fraction=fraction)


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
    X_train = np.array([[1.0, 5.0], [3.0, 5.0]])
    X_test = np.array([[5.0, 6.0]])
    tr, te = standardize(X_train, X_test)
    np.testing.assert_array_equal(tr, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(te, [[3.0, 1.0]])  # constant column: std taken as 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_hot(dtype):
    out = one_hot(np.array([2, 0, 1, 2]), 3, dtype)
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert out.dtype == np.dtype(dtype)
    assert one_hot(np.array([], dtype=np.int64), 4).shape == (0, 4)


def test_one_hot_out_of_range():
    with pytest.raises(ValueError, match=r"labels out of range \[0, 3\): \[-1, 3\]"):
        one_hot(np.array([0, 3, -1]), 3)


# ---------------------------------------------------------------------------------------------
# load_arrays: users' own files


def write(path, content):
    """Write ``content``: str as text, bytes raw, dict as an .npz of those arrays."""
    if isinstance(content, dict):
        with path.open("wb") as f:
            np.savez(f, **content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


CSV_OK = "a,b,y\n0.5,1,0\n1.5,2,1\n\n2.5,3,1\n3.5,-4,0\n"


def test_csv_round_trip(tmp_path):
    X, y, task, names = load_arrays(write(tmp_path / "t.csv", CSV_OK), target="y")
    assert (task, names) == ("binary", ("a", "b"))
    np.testing.assert_array_equal(X, [[0.5, 1], [1.5, 2], [2.5, 3], [3.5, -4]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert X.dtype == np.float64 and X.flags.c_contiguous and y.dtype == np.int64


def test_csv_target_in_the_middle_and_float32(tmp_path):
    path = write(tmp_path / "t.CSV", " a , y ,b\n1, 0.25, 2\n3, 0.5, 4\n")
    X, y, task, names = load_arrays(path, target="y", dtype="float32")
    assert (task, names) == ("regression", ("a", "b"))
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(y, [[0.25], [0.5]])
    assert X.dtype == y.dtype == np.float32


@pytest.mark.parametrize(
    ("labels", "task"),
    [
        ([0, 1, 1, 0], "binary"),
        ([0, 2, 1, 3], "multiclass"),
        (list(range(20)), "multiclass"),
        (list(range(21)), "regression"),
        ([0.5, 1.0, 0.5, 1.0], "regression"),
    ],
    ids=["two-ints", "four-ints", "twenty-ints", "twentyone-ints", "floats"],
)
def test_task_inference(tmp_path, labels, task):
    path = write(tmp_path / "t.npz", {"f": np.arange(len(labels)), "y": np.array(labels)})
    _, y, inferred, _ = load_arrays(path, target="y")
    assert inferred == task
    if task == "regression":
        assert y.shape == (len(labels), 1) and y.dtype == np.float64
    else:
        assert y.shape == (len(labels),) and y.dtype == np.int64


def test_explicit_task_overrides_inference(tmp_path):
    path = write(tmp_path / "t.csv", "x,y\n1,0\n2,1\n3,1\n")
    assert load_arrays(path, target="y", task="multiclass")[2] == "multiclass"
    _, y, task, _ = load_arrays(path, target="y", task="regression")
    assert task == "regression" and y.shape == (3, 1)


def test_npz_columns(tmp_path):
    cols = {"height": np.array([1.0, 2.0, 3.0]), "label": np.array([0, 1, 2]), "w": np.ones(3)}
    X, y, task, names = load_arrays(write(tmp_path / "t.npz", cols), target="label")
    assert (task, names) == ("multiclass", ("height", "w"))
    np.testing.assert_array_equal(X, [[1, 1], [2, 1], [3, 1]])
    np.testing.assert_array_equal(y, [0, 1, 2])


def test_npz_X_y(tmp_path):
    Xin = np.arange(12.0).reshape(4, 3)
    path = write(tmp_path / "t.npz", {"X": Xin, "y": np.array([0, 1, 0, 1])})
    X, y, task, names = load_arrays(path, target="y")
    assert (task, names) == ("binary", ("x0", "x1", "x2"))
    np.testing.assert_array_equal(X, Xin)
    np.testing.assert_array_equal(y, [0, 1, 0, 1])


def test_loaded_arrays_split_into_a_dataset(tmp_path):
    rng = np.random.default_rng(0)
    cols = {"a": rng.normal(size=40), "b": rng.normal(size=40), "y": np.arange(40) % 3}
    X, y, task, names = load_arrays(write(tmp_path / "t.npz", cols), target="y")
    ds = split_dataset("mine", task, X, y, seed=0, feature_names=names)
    assert (ds.task, ds.n_classes, ds.n_outputs, ds.feature_names) == ("multiclass", 3, 3, names)
    assert ds.X_train.shape[0] + ds.X_test.shape[0] == 40


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no such file: .*nope\.csv"):
        load_arrays(tmp_path / "nope.csv", target="y")


BAD_FILES = [
    # id, file name, content, load_arrays kwargs, message (regex)
    ("suffix", "t.txt", "a,y\n1,0\n", {}, r"unsupported file type '\.txt'; use \.csv or \.npz"),
    ("empty-csv", "t.csv", "", {}, r"file is empty"),
    ("blank-csv", "t.csv", "\n\n", {}, r"file is empty"),
    ("empty-npz", "t.npz", b"", {}, r"file is empty"),
    ("npz-no-arrays", "t.npz", {}, {}, r"file is empty \(no arrays\)"),
    ("npz-not-zip", "t.npz", b"a,y\n1,0\n", {}, r"not a \.npz archive"),
    ("ragged", "t.csv", "a,b,y\n1,2,0\n3,1\n", {}, r"line 3 has 2 cells, the header has 3"),
    ("non-numeric", "t.csv", "a,b,y\n1,abc,0\n", {}, r"line 2, column 'b': 'abc' is not a number"),
    ("empty-cell", "t.csv", "a,b,y\n1,2,0\n1, ,1\n", {}, r"line 3, column 'b': empty cell"),
    ("nan-feature", "t.csv", "a,b,y\n1,2,0\n1,nan,1\n", {}, r"column 'b' has 1 missing.*row 2"),
    ("inf-feature", "t.csv", "a,b,y\n1,inf,0\n1,2,1\n", {}, r"column 'b' has 1 missing"),
    ("nan-target", "t.csv", "a,y\n1,NaN\n2,1\n", {}, r"column 'y' has 1 missing.*row 1"),
    ("no-target", "t.csv", "a,b\n1,2\n", {}, r"target column 'y' not found; columns: \['a', 'b'\]"),
    ("one-row", "t.csv", "a,y\n1,0\n", {}, r"needs at least 2 data rows, found 1"),
    ("header-only", "t.csv", "a,y\n", {}, r"needs at least 2 data rows, found 0"),
    ("only-target", "t.csv", "y\n0\n1\n", {}, r"no feature columns besides the target 'y'"),
    ("dup-header", "t.csv", "a,a,y\n1,2,0\n", {}, r"duplicate column names in the header: \['a'\]"),
    ("empty-header", "t.csv", "a,,y\n1,2,0\n", {}, r"empty name in column 2"),
    ("npz-ragged", "t.npz", {"a": np.ones(3), "y": np.ones(4)}, {}, r"1-D columns of equal length"),
    ("npz-2d-col", "t.npz", {"a": np.ones((3, 2)), "y": np.ones(3)}, {}, r"1-D columns"),
    ("npz-X-extra", "t.npz", {"X": np.ones((3, 2)), "y": np.ones(3), "z": np.ones(3)}, {},
     r"exactly 'X' and 'y', found X, y, z"),
    ("npz-X-no-y", "t.npz", {"X": np.ones((3, 2)), "t": np.ones(3)}, {},
     r"target 'y' not found.*arrays present: X, t"),
    ("npz-X-bad-y", "t.npz", {"X": np.ones((3, 2)), "y": np.ones(2)}, {},
     r"'y' must have shape \(3,\), got \(2,\)"),
    ("npz-strings", "t.npz", {"a": np.array(["u", "v"]), "y": np.ones(2)}, {},
     r"array 'a' has non-numeric dtype"),
    ("binary-labels", "t.csv", "a,y\n1,0\n2,2\n3,1\n", {"task": "binary"},
     r"binary labels in 'y' must be the integers 0\.\.1; found values \[0, 1, 2\], "
     r"offending values: \[2\]; a binary target has exactly two classes"),
    ("inferred-binary-odd", "t.csv", "a,y\n1,3\n2,7\n3,3\n", {},
     r"binary labels in 'y' must be the integers 0\.\.1; found values \[3, 7\], "
     r"offending values: \[3, 7\]; renumber the classes to 0\.\.K-1 \(here 0\.\.1\)"),
    ("plus-minus-one", "t.csv", "a,y\n1,-1\n2,1\n3,1\n", {},
     r"found values \[-1, 1\], offending values: \[-1\]; renumber the classes to 0\.\.K-1 "
     r"\(here 0\.\.1\)"),
    ("one-to-k", "t.csv", "a,y\n1,1\n2,2\n3,3\n", {},
     r"multiclass labels in 'y' must be the integers 0\.\.2; found values \[1, 2, 3\], "
     r"offending values: \[3\]; renumber the classes to 0\.\.K-1 \(here 0\.\.2\)"),
    ("multiclass-gap", "t.csv", "a,y\n1,0\n2,3\n3,1\n", {},
     r"multiclass labels in 'y' must be the integers 0\.\.2; found values \[0, 1, 3\], "
     r"offending values: \[3\]"),
    ("one-class", "t.csv", "a,b,y\n1,2,0\n2,3,0\n3,4,0\n", {},
     r"target column 'y' has only one value \(0\); need at least two classes "
     r"\(or values for regression\)"),
    ("one-class-forced", "t.csv", "a,y\n1,1\n2,1\n", {"task": "multiclass"},
     r"target column 'y' has only one value \(1\)"),
    ("constant-regression", "t.csv", "a,y\n1,2.5\n2,2.5\n3,2.5\n", {"task": "regression"},
     r"target column 'y' has only one value \(2\.5\)"),
    ("one-class-npz", "t.npz", {"X": np.ones((3, 2)), "y": np.zeros(3)}, {},
     r"target column 'y' has only one value \(0\)"),
    ("negative-labels", "t.csv", "a,y\n1,-1\n2,0\n3,1\n", {"task": "multiclass"},
     r"offending values: \[-1\]"),
    ("fractional-labels", "t.csv", "a,y\n1,0.5\n2,0\n", {"task": "binary"},
     r"offending values: \[0\.5\]"),
    ("bad-task", "t.csv", CSV_OK, {"task": "ranking"},
     r"unknown task 'ranking'; valid tasks: regression, binary, multiclass"),
    ("bad-dtype", "t.csv", CSV_OK, {"dtype": "int32"}, r"unsupported dtype 'int32'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fname", "content", "kwargs", "message"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_files(tmp_path, fname, content, kwargs, message):
    path = write(tmp_path / fname, content)
    with pytest.raises(ValueError, match=message) as info:
        load_arrays(path, target="y", **kwargs)
    if kwargs.get("task") != "ranking" and "dtype" not in kwargs:
        assert re.search(re.escape(str(path)), str(info.value)), "message names the file"
