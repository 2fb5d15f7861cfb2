"""parity.data.files at the filesystem and for prediction: what a path is (directory, device, pipe,
nothing), and read_features parsing only the columns a model needs."""

import os

import numpy as np
import pytest

from parity.data.files import load_training, read_features, read_table

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def special_path(tmp_path, kind):
    """A path of the given kind, and the message (regex) read_table gives for it."""
    if kind == "directory":
        return tmp_path, IsADirectoryError, r"is a directory; give a \.csv or \.npz file"
    if kind == "dev-null":
        return "/dev/null", OSError, r"/dev/null: is not a regular file \(a device, pipe or"
    if kind == "fifo":  # reading it would block forever
        os.mkfifo(tmp_path / "pipe.csv")
        return tmp_path / "pipe.csv", OSError, r"pipe\.csv: is not a regular file"
    if kind == "missing":
        return tmp_path / "absent.csv", FileNotFoundError, r"no such file: .*absent\.csv"
    if kind == "broken-link":
        (tmp_path / "link.csv").symlink_to(tmp_path / "gone.csv")
        return tmp_path / "link.csv", FileNotFoundError, r"no such file: .*link\.csv"
    if kind == "nul-in-name":
        return "a\0b.csv", OSError, r"cannot read it"
    if kind in ("empty-csv", "empty-npz"):
        path = tmp_path / f"e.{kind[-3:]}"
        path.write_bytes(b"")
        return path, ValueError, r"e\.(csv|npz): file is empty"
    raise AssertionError(kind)


KINDS = ["directory", "dev-null", "fifo", "missing", "broken-link", "nul-in-name", "empty-csv",
         "empty-npz"]  # fmt: skip


@pytest.mark.parametrize("reader", ["table", "train", "predict"])
@pytest.mark.parametrize("kind", KINDS)
def test_what_a_path_is_is_said_plainly(tmp_path, kind, reader):
    path, error, message = special_path(tmp_path, kind)
    with pytest.raises(error, match=message) as info:
        if reader == "table":
            read_table(path)
        elif reader == "train":
            load_training(path, target="y")
        else:
            read_features(path, ["a"], "y")
    assert type(info.value) is error  # "no such file" only for what is missing
    assert "no such file" not in str(info.value) or kind in ("missing", "broken-link")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file: no permission error to see")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.csv"
    path.write_text("a,y\n1,0\n")
    path.chmod(0)
    with pytest.raises(PermissionError, match=r"secret\.csv: cannot read it"):
        read_table(path)


def test_csv_over_the_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("a,y\n" + "1,0\n" * 1000)
    with pytest.raises(ValueError, match=r"big\.csv: file is 3\.91 KiB, over the limit of 1 KiB"):
        load_training(path, target="y", max_bytes=1024)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [((3, ["a"], "y"), TypeError, r"path must be a str or os\.PathLike, got int 3"),
     (("{p}", "a", "y"), TypeError, r"features must be a sequence of column names, got 'a'"),
     (("{p}", [1], "y"), TypeError, r"features must be column names \(str\), got \[1\]"),
     (("{p}", ["a"], 5), TypeError, r"target must be a column name \(str\) or None, got 5"),
     (("{p}", ["a"], "y", {"classes": "ab"}), TypeError, r"classes must be a sequence of str")],
    ids=["path", "features-str", "features-int", "target", "classes"],
)  # fmt: skip
def test_read_features_argument_types(tmp_path, args, error, message):
    path = tmp_path / "t.csv"
    path.write_text("a,y\n1,0\n")
    *positional, kwargs = args if isinstance(args[-1], dict) else (*args, {})
    with pytest.raises(error, match=message):
        read_features(*[str(path) if a == "{p}" else a for a in positional], **kwargs)


# ---------------------------------------------------------------------------------------------
# prediction reads only what it needs

PREDICT_OK = [
    # id, file content, features, target, classes, X expected, y expected
    ("id-and-text-target", "id,b,species,a\nx-1,2,virginica,1\nx-2,4,setosa,3\n", ["a", "b"],
     "species", ("setosa", "virginica"), [[1, 2], [3, 4]], [1, 0]),
    ("pandas-index", ",a,b\n0,1,2\n1,3,4\n", ["a", "b"], "y", None, [[1, 2], [3, 4]], None),
    ("notes-with-commas", 'a,note,b\n1,"hello, world",2\n3,"say ""hi""",4\n', ["a", "b"], None,
     None, [[1, 2], [3, 4]], None),
    ("unneeded-duplicates", "a,x,x,b\n1,p,q,2\n3,r,s,4\n", ["a", "b"], None, None,
     [[1, 2], [3, 4]], None),
    ("unneeded-gaps", "a,c,b\n1,,2\n3,nan,4\n", ["a", "b"], None, None, [[1, 2], [3, 4]], None),
    ("empty-target-cells", "a,b,y\n1,2,\n3,4,7.5\n", ["a", "b"], "y", None, [[1, 2], [3, 4]],
     [np.nan, 7.5]),
    ("empty-label-cells", "a,b,y\n1,2,\n3,4,cat\n", ["a", "b"], "y", ("cat", "dog"),
     [[1, 2], [3, 4]], [np.nan, 0]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "features", "target", "classes", "X_expected", "y_expected"),
    [case[1:] for case in PREDICT_OK],
    ids=[case[0] for case in PREDICT_OK],
)
def test_read_features_ignores_what_it_does_not_need(
    tmp_path, content, features, target, classes, X_expected, y_expected
):
    path = tmp_path / "p.csv"
    path.write_text(content)
    X, y = read_features(path, features, target, classes=classes)
    np.testing.assert_array_equal(X, X_expected)
    if y_expected is None:
        assert y is None
    else:
        np.testing.assert_array_equal(y, y_expected)


PREDICT_ERRORS = [
    # id, file content, classes, message
    ("text-in-feature", "a,b,y\n1,2,0\n3,four,1\n", None,
     r"line 3, column 'b': 'four' is not a number"),
    ("needed-duplicate", "a,b,b\n1,2,3\n", None,
     r"column 'b' appears 2 times in the header \(columns 2, 3\); rename the copies"),
    ("empty-feature-cell", "a,b\n1,\n", None,
     r"feature 'b' is missing or not finite at data row 1 \(line 2\)"),
    ("text-in-regression-target", "a,b,y\n1,2,3.5\n3,4,unknown\n", None,
     r"line 3, column 'y': 'unknown' is not a number \(the target column, read only to score "
     r"the predictions: fix the cell, or drop the column to predict without a score\)"),
    ("npz-text-feature", None, None, r"array 'b' holds text \(dtype <U1\); this column must"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "classes", "message"),
    [case[1:] for case in PREDICT_ERRORS],
    ids=[case[0] for case in PREDICT_ERRORS],
)
def test_read_features_names_the_bad_cell_of_a_needed_column(tmp_path, content, classes, message):
    if content is None:
        path = tmp_path / "p.npz"
        np.savez(path, a=np.ones(2), b=np.array(["u", "v"]), id=np.array(["r1", "r2"]))
    else:
        path = tmp_path / "p.csv"
        path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        read_features(path, ["a", "b"], "y", classes=classes)
    assert str(info.value).startswith(f"{path}: ")


def test_npz_text_id_column_is_ignored_by_prediction(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, id=np.array(["r1", "r2"]), b=np.array([2.0, 4.0]), a=np.array([1.0, 3.0]))
    X, y = read_features(path, ["a", "b"], "y")
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    assert y is None
