"""parity.data.files: users' own tables (.csv, .npz), read the same way for training
(``load_arrays``) and prediction (``read_features``)."""

import re

import numpy as np
import pytest

from parity.data import split_dataset
from parity.data.files import load_arrays, read_features, read_table


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
    ("non-numeric", "t.csv", "a,b,y\n1,abc,0\n2,3,1\n", {},
     r"line 2, column 'b': 'abc' is not a number; every column but the target is a feature"),
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
     r"array 'a' holds text \(dtype <U1\); this column must hold numbers"),
    ("binary-labels", "t.csv", "a,y\n1,0\n2,2\n3,1\n", {"task": "binary"},
     r"a binary target has exactly two classes; 'y' has 3: \[0, 1, 2\] \(the multiclass "
     r"head takes more\)"),
    ("binary-text-labels", "t.csv", "a,y\n1,a\n2,b\n3,c\n", {"task": "binary"},
     r"a binary target has exactly two classes; 'y' has 3: \['a', 'b', 'c'\]"),
    ("regression-text", "t.csv", "a,y\n1,2.5\n2,abc\n", {"task": "regression"},
     r"line 3, column 'y': 'abc' is not a number"),
    ("text-labels-too-many", "t.csv", "a,y\n" + "".join(f"{i},v{i}\n" for i in range(21)), {},
     r"target 'y' is not numeric \(line 2: 'v0'\) and has 21 distinct labels, more than the 20 "
     r"classes taken without --head; fix the cell if the target is a number, or pass --head "
     r"multiclass"),
    ("text-label-missing", "t.csv", "a,y\n1,a\n2,NA\n3,b\n", {},
     r"column 'y' has 1 missing or non-finite value\(s\) \(empty, NA, NaN or inf\), first at "
     r"data row 2 \(line 3\)"),
    ("one-class", "t.csv", "a,b,y\n1,2,0\n2,3,0\n3,4,0\n", {},
     r"target column 'y' has only one value \(0\); need at least two classes "
     r"\(or values for regression\)"),
    ("one-class-forced", "t.csv", "a,y\n1,1\n2,1\n", {"task": "multiclass"},
     r"target column 'y' has only one value \(1\)"),
    ("constant-regression", "t.csv", "a,y\n1,2.5\n2,2.5\n3,2.5\n", {"task": "regression"},
     r"target column 'y' has only one value \(2\.5\)"),
    ("one-class-npz", "t.npz", {"X": np.ones((3, 2)), "y": np.zeros(3)}, {},
     r"target column 'y' has only one value \(0\)"),
    ("fractional-labels", "t.csv", "a,y\n1,0.5\n2,0\n", {"task": "binary"},
     r"binary labels in 'y' must be integers or text; found values \[0, 0\.5\], offending "
     r"values: \[0\.5\]; for a numeric target use --head regression"),
    ("one-text-class", "t.csv", "a,y\n1,cat\n2,cat\n", {},
     r"target column 'y' has only one value \('cat'\)"),
    ("pandas-index", "t.csv", ",a,y\n0,1,0\n1,2,1\n", {},
     r"header has an empty name in column 1; every column but the target is a feature and "
     r"needs a name \(pandas writes its index so: to_csv\(index=False\)\)"),
    ("float32-overflow", "t.csv", "a,y\n1e39,0\n2,1\n", {"dtype": "float32"},
     r"column 'a' has values up to 1e\+39 in magnitude, which do not fit float32 \(normal "
     r"range 1\.2e-38 to 3\.4e\+38\); use --dtype float64 \(dtype='float64'\) or rescale"),
    ("float32-underflow", "t.csv", "a,b,y\n1e-45,1,0\n-2e-46,2,1\n", {"dtype": "float32"},
     r"column 'a' has values at most 1e-45 in magnitude, which do not fit float32"),
    ("float32-target", "t.csv", "a,y\n1,1e39\n2,1.5\n", {"dtype": "float32"},
     r"column 'y' has values up to 1e\+39 in magnitude, which do not fit float32"),
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
    if kwargs.get("task") != "ranking" and kwargs.get("dtype") != "int32":
        assert re.search(re.escape(str(path)), str(info.value)), "message names the file"


# ---------------------------------------------------------------------------------------------
# read_features: the same reader for prediction


@pytest.mark.parametrize(
    ("fname", "content", "target"),
    [
        ("t.csv", "b,extra,a,y\n2,9,1,0\n4,9,3,1\n", "y"),
        ("t.npz", {"b": np.array([2.0, 4.0]), "a": np.array([1.0, 3.0]), "y": np.array([0, 1])},
         "y"),
        ("t.npz", {"X": np.array([[1.0, 2.0], [3.0, 4.0]]), "y": np.array([0, 1])}, "y"),
        ("t.npz", {"X": np.array([[1.0, 2.0], [3.0, 4.0]])}, None),
    ],
    ids=["csv-reordered-extra", "npz-columns", "npz-X-and-target", "npz-X-only"],
)  # fmt: skip
def test_read_features_in_the_models_order(tmp_path, fname, content, target):
    X, y = read_features(write(tmp_path / fname, content), ["a", "b"], "y")
    np.testing.assert_array_equal(X, [[1.0, 2.0], [3.0, 4.0]])
    assert X.dtype == np.float64
    if target is None:
        assert y is None
    else:
        np.testing.assert_array_equal(y, [0.0, 1.0])


def test_one_file_reads_for_training_and_prediction(tmp_path):
    path = write(tmp_path / "t.npz", {"X": np.arange(8.0).reshape(4, 2), "y": np.arange(4) % 2})
    table = read_table(path)
    assert (table.columns, table.x_width) == (("x0", "x1", "y"), 2)
    X_train, _, _, names = load_arrays(path, target="y")
    X_pred, _ = read_features(path, names, None)
    np.testing.assert_array_equal(X_train, X_pred)


@pytest.mark.parametrize(
    ("fname", "content", "message"),
    [
        ("t.csv", "a,c\n1,2\n", r"missing feature column\(s\) \['b'\]; the model was trained "
         r"on \['a', 'b'\]"),
        ("t.csv", "a,b\n1,nan\n", r"feature 'b' is missing or not finite at data row 1"),
        ("t.csv", "a,b\n", r"no data rows"),
        ("t.npz", {"X": np.ones((2, 3))}, r"X has 3 columns, the model takes 2"),
        ("t.npz", {"X": np.ones((2, 2)), "y": np.ones(3)}, r"'y' must have shape \(2,\)"),
        ("t.npz", {"X": np.ones((2, 2)), "a": np.ones(2)}, r"clash with the names of X's"),
    ],
    ids=["missing", "nan", "no-rows", "X-width", "X-target-rows", "X-name-clash"],
)  # fmt: skip
def test_read_features_bad_files(tmp_path, fname, content, message):
    path = write(tmp_path / fname, content)
    with pytest.raises(ValueError, match=message) as info:
        read_features(path, ["a", "b"], "y")
    assert str(path) in str(info.value)
