"""Property-based tests (hypothesis) of parity.data.files: fuzzed .csv and .npz files.

Random headers (duplicates, empty, unicode), ragged rows, random cells (numbers, NaN, inf,
1e400, text), random dtypes (complex, object, bool, int8, float16, str, bytes), random
shapes, empty files, raw bytes, truncated and corrupted archives. Fed to ``read_table``,
``load_training`` (then ``split_dataset``) and ``read_features``, the only outcomes allowed:

- a valid result: right shapes and dtypes, every float finite, labels in range, classes
  JSON-friendly; or
- ValueError or OSError with a one-line message that names the file.

Never another exception type, never a RuntimeWarning (turned into an error here). The
examples are derandomized (the same ones on every run) so that CI is stable.
"""

import contextlib
import csv
import io
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from parity.data import split_dataset
from parity.data.files import load_training, read_features, read_table

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning", "error::UserWarning")

TASKS = [None, "binary", "multiclass", "regression"]


def fuzz(examples: int) -> settings:
    slow = [HealthCheck.too_slow, HealthCheck.data_too_large]
    return settings(
        max_examples=examples, deadline=None, derandomize=True, database=None,
        suppress_health_check=slow,
    )  # fmt: skip


@contextlib.contextmanager
def written(name: str, content: bytes):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(content)
        yield path


def refused_properly(err: Exception, path: Path) -> None:
    """A refusal: ValueError or OSError, one line, naming the file."""
    assert isinstance(err, (ValueError, OSError)), f"{type(err).__name__}: {err}"
    message = str(err)
    assert str(path) in message, message
    assert "\n" not in message, message


def check_training(path: Path, target: str, task, dtype: str) -> None:
    """load_training then split_dataset: a valid result or a proper refusal."""
    try:
        data = load_training(path, target=target, task=task, dtype=dtype)
    except Exception as err:  # the property: which exceptions come out
        refused_properly(err, path)
        return
    n, d = data.X.shape
    assert d == len(data.feature_names) >= 1 and n >= 2
    assert data.X.dtype == np.dtype(dtype) and np.isfinite(data.X).all()
    assert data.task in ("regression", "binary", "multiclass") and (task in (None, data.task))
    if data.task == "regression":
        assert data.classes is None and data.y.shape == (n, 1) and np.isfinite(data.y).all()
    else:
        assert data.y.shape == (n,) and data.y.dtype == np.int64
        assert len(set(data.classes)) == len(data.classes) >= 2
        assert all(type(c) in (int, str) for c in data.classes)
        json.dumps(data.classes)
        assert 0 <= data.y.min() and data.y.max() < len(data.classes)
    try:
        ds = split_dataset(str(path), data.task, data.X, data.y, classes=data.classes,
                           feature_names=data.feature_names, dtype=dtype)  # fmt: skip
    except ValueError as err:
        assert f"dataset {str(path)!r}" in str(err), str(err)
        return
    for a in (ds.X_train, ds.X_test, ds.x_mean, ds.x_std):
        assert np.isfinite(a).all()
    if ds.task == "regression":
        assert np.isfinite([ds.y_mean, ds.y_std]).all() and np.isfinite(ds.y_train).all()


def check_prediction(path: Path, features: list[str], target, classes) -> None:
    try:
        X, y = read_features(path, features, target, classes=classes)
    except Exception as err:  # the property: which exceptions come out
        refused_properly(err, path)
        return
    assert X.shape == (X.shape[0], len(features)) and X.shape[0] >= 1
    assert X.dtype == np.float64 and np.isfinite(X).all()
    if y is not None:
        assert y.shape == (X.shape[0],) and y.dtype == np.float64
        if classes is not None:
            known = y[~np.isnan(y)]
            assert ((known >= 0) & (known < len(classes)) & (known == np.round(known))).all()


def check_table(path: Path) -> None:
    try:
        table = read_table(path)
    except Exception as err:  # the property: which exceptions come out
        refused_properly(err, path)
        return
    assert len(table.columns) == len(table.cells)
    assert all(len(c) == table.n_rows for c in table.cells)


# ---------------------------------------------------------------------------------------------
# strategies

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)  # no lone surrogates
NAMES = ["a", "b", "c", "y", "id", "x0", "Größe", "名前", "col 1"]
ODD_CELLS = st.one_of(
    st.floats().map(repr),
    st.integers(-(10**25), 10**25).map(str),
    st.sampled_from(["", "nan", "NA", "inf", "-inf", "1e308", "1e309", "-1e400", "1e-320",
                     "3.4e38", "3.5e38", "1e-45", "0x10", "1_000", "True", " 7 ", "١٢", "None"]),
    TEXT,
)  # fmt: skip
COLUMN_CELLS = {  # a column's kind -> its cells
    "ints": st.integers(-2, 3).map(str),
    "counts": st.integers(50, 120).map(str),
    "floats": st.floats(-1e6, 1e6, allow_nan=False).map(repr),
    "labels": st.sampled_from(["setosa", "versicolor", "virginica"]),
    "extreme": st.one_of(st.floats(allow_nan=False, allow_infinity=False).map(repr),
                         st.sampled_from(["1e308", "-1.7e308", "1e-320", "3.5e38", "1e39", "0"])),
    "odd": ODD_CELLS,
}  # fmt: skip
CLEAN_KINDS = st.sampled_from(["ints", "counts", "floats", "labels"])
KINDS = st.sampled_from(["ints", "counts", "floats", "labels", "extreme", "odd"])
CLASSES = st.one_of(
    st.none(),
    st.lists(st.integers(-3, 3), min_size=1, max_size=4, unique=True).map(tuple),
    st.lists(st.sampled_from(["setosa", "virginica", "versicolor", "0", "1"]), min_size=1,
             max_size=3, unique=True).map(tuple),
)  # fmt: skip


@st.composite
def headers(draw, messy):
    """Distinct plausible names; a messy header may have an empty name, a duplicate or
    random text."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1 if messy else 2, max_size=5,
                          unique=True))  # fmt: skip
    if messy and draw(st.booleans()):
        names[draw(st.integers(0, len(names) - 1))] = draw(
            st.one_of(st.just(""), st.sampled_from(names), TEXT)
        )
    return names


@st.composite
def csv_files(draw):
    """A .csv's bytes and its header: columns of a kind each; one file in three is messy
    (odd headers and cells, missing cells, ragged rows, quotes left raw)."""
    messy = draw(st.integers(0, 2)) == 0
    header = draw(headers(messy))
    kinds = [draw(KINDS if messy else CLEAN_KINDS) for _ in header]
    rows = []
    for _ in range(draw(st.integers(0 if messy else 2, 12))):
        row = [draw(COLUMN_CELLS[k]) for k in kinds]
        if messy and draw(st.integers(0, 9)) == 0:
            row[draw(st.integers(0, len(row) - 1))] = draw(st.sampled_from(["", "nan", "NA"]))
        if messy and draw(st.integers(0, 9)) == 0:
            row = row[: draw(st.integers(0, len(row)))] + draw(st.lists(ODD_CELLS, max_size=2))
        rows.append(row)
    out = io.StringIO()
    if not messy or draw(st.booleans()):
        csv.writer(out).writerows([header, *rows])
    else:
        out.write("\n".join(",".join(r) for r in [header, *rows]))
    encoded = out.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + encoded, header


GOOD_DTYPES = ["float64", "float32", "float16", "int8", "int64", "uint8", "bool", ">f8"]
ODD_DTYPES = ["complex128", "|S2", "<U3", "longdouble", "<M8[s]"]


@st.composite
def npz_arrays(draw, shape, messy):
    """An array of a plausible dtype and finite values; in a messy archive, maybe NaN/inf,
    or an odd dtype (refused, or text)."""
    if messy and draw(st.integers(0, 2)) == 0:
        return draw(hnp.arrays(np.dtype(draw(st.sampled_from(ODD_DTYPES))), shape))
    dtype = np.dtype(draw(st.sampled_from(GOOD_DTYPES)))
    finite = not messy or draw(st.booleans())
    elements = hnp.from_dtype(dtype, allow_nan=not finite, allow_infinity=not finite)
    if dtype.kind == "f" and finite and draw(st.booleans()):
        elements = st.integers(-2, 3).map(float)  # integer-valued floats: class labels
    return draw(hnp.arrays(dtype, shape, elements=elements))


@st.composite
def npz_files(draw):
    """An .npz's bytes: equal 1-D columns, or a 2-D X and a target; one archive in three is
    messy (any shapes, odd dtypes, NaN, a pickled object array); stored or compressed."""
    messy = draw(st.integers(0, 2)) == 0
    layout = draw(st.sampled_from(["columns", "X", "anything"] if messy else ["columns", "X"]))
    n = draw(st.integers(0 if messy else 2, 8))
    found = {}
    if layout == "X":
        found["X"] = draw(npz_arrays((n, draw(st.integers(0 if messy else 1, 3))), messy))
        found["y"] = draw(npz_arrays((n,), messy))
    else:
        names = st.lists(st.sampled_from(NAMES), min_size=1 if messy else 2, max_size=4,
                         unique=True)  # fmt: skip
        any_shape = hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)
        for name in draw(names):
            shape = (n,) if layout == "columns" else draw(any_shape)
            found[name] = draw(npz_arrays(shape, messy))
    if messy and draw(st.integers(0, 4)) == 0:
        found["obj"] = np.array([None, {"a": 1}], dtype=object)
    f = io.BytesIO()
    (np.savez_compressed if draw(st.booleans()) else np.savez)(f, **found)
    return f.getvalue(), list(found)


# ---------------------------------------------------------------------------------------------
# the properties


@fuzz(300)
@given(csv_files(), st.data())
def test_fuzzed_csv(file, data):
    content, header = file
    target = data.draw(st.sampled_from(header) if data.draw(st.integers(0, 4)) else st.just("y"))
    others = [h for h in header if h != target] or ["b"]
    features = data.draw(st.lists(st.sampled_from(others), min_size=1, max_size=3, unique=True))
    with written("t.csv", content) as path:
        check_table(path)
        check_training(path, target, data.draw(st.sampled_from(TASKS)),
                       data.draw(st.sampled_from(["float64", "float32"])))  # fmt: skip
        check_prediction(path, features, data.draw(st.sampled_from([target, None])),
                         data.draw(CLASSES))  # fmt: skip


@fuzz(250)
@given(npz_files(), st.data())
def test_fuzzed_npz(file, data):
    content, names = file
    target = "y" if "X" in names else data.draw(st.sampled_from(names))
    others = [n for n in names if n not in (target, "X")] or ["x0", "x1"]
    with written("t.npz", content) as path:
        check_table(path)
        check_training(path, target, data.draw(st.sampled_from(TASKS)),
                       data.draw(st.sampled_from(["float64", "float32"])))  # fmt: skip
        features = data.draw(st.lists(st.sampled_from(others), min_size=1, max_size=3,
                                      unique=True))  # fmt: skip
        check_prediction(path, features, target, data.draw(CLASSES))


def _valid_npz() -> bytes:
    f = io.BytesIO()
    np.savez_compressed(f, X=np.arange(12.0).reshape(6, 2), y=np.array([0, 1, 0, 1, 0, 1]))
    return f.getvalue()


VALID_NPZ = _valid_npz()


@fuzz(150)
@given(st.data())
def test_corrupted_npz(data):
    raw = bytearray(VALID_NPZ)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["truncate", "flip", "insert", "zero-run"]))
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "truncate":
            del raw[at:]
        elif kind == "flip" and raw:
            raw[at] ^= data.draw(st.integers(1, 255))
        elif kind == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            raw[at : at + 8] = bytes(len(raw[at : at + 8]))
    with written("t.npz", bytes(raw)) as path:
        check_table(path)
        check_training(path, "y", None, "float64")
        check_prediction(path, ["x0", "x1"], "y", (0, 1))


@fuzz(100)
@given(st.binary(max_size=300), st.sampled_from(["t.csv", "t.npz"]))
def test_raw_bytes(content, name):
    with written(name, content) as path:
        check_table(path)
        check_training(path, "y", None, "float64")
        check_prediction(path, ["a"], "y", None)


@fuzz(150)
@given(
    st.integers(2, 30).flatmap(lambda n: st.tuples(
        hnp.arrays(np.float64, (n, 2), elements=st.floats(allow_nan=False, allow_infinity=False)),
        hnp.arrays(np.float64, (n,), elements=st.floats(allow_nan=False, allow_infinity=False)),
    )),
    st.sampled_from(["float64", "float32"]),
)  # fmt: skip
def test_split_standardisation_of_extreme_finite_values(arrays_xy, dtype):
    """Any finite float64 data (1.7e308, subnormals, exact zeros): split_dataset either
    standardises it to finite values with finite statistics, or refuses naming the data."""
    X, y = arrays_xy
    try:
        ds = split_dataset("f.csv", "regression", X, y, dtype=dtype)
    except ValueError as err:
        assert str(err).startswith("dataset 'f.csv': "), str(err)
        return
    for a in (ds.X_train, ds.X_test, ds.y_train, ds.y_test, ds.x_mean, ds.x_std):
        assert np.isfinite(a).all()
    assert np.isfinite([ds.y_mean, ds.y_std]).all() and ds.y_std > 0 and (ds.x_std > 0).all()
    assert ds.X_train.dtype == np.dtype(dtype)
