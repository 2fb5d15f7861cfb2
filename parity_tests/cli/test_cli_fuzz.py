"""Property-based tests (hypothesis) of the ``nn-parity`` boundary: fuzzed ``model.json`` and
weights files for ``predict``, fuzzed ``.csv`` and ``.npz`` files for ``train`` and
``predict``, run in-process through ``parity.cli.main``.

Whatever the input, the command:

- never lets an exception out (a traceback), and exits 0, 1 or 2;
- on an error, ends with one line ``nn-parity: error: ...`` (a ``note:`` or a progress line
  may come before it) and changes nothing: the output directory or file is as it was (an
  earlier run stays byte for byte), and nothing is left beside it;
- on success, writes strict JSON and finite predictions.

RuntimeWarnings are errors here (numpy noise must not reach a user). The examples are
derandomized (the same on every run); the training curve is stubbed (drawing it is the one
slow step, and no input reaches it that the other outputs do not check).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from cli_support import snapshot, strict_json, write_csv
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from parity.cli import main

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")
DELETE = object()  # a mutation that removes the key


def fuzz(examples: int) -> settings:
    slow = [HealthCheck.too_slow, HealthCheck.data_too_large]
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=slow)  # fmt: skip


def run_cli(*argv) -> tuple[int, str, str]:
    """``nn-parity *argv`` in-process -> (status, stdout, stderr); any other exception than
    argparse's SystemExit escapes (that would be a traceback)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main([str(a) for a in argv])
        except SystemExit as exit_:
            status = exit_.code
    return status, out.getvalue(), err.getvalue()


def check_outcome(status, err) -> None:
    """Exit 0, 1 or 2; an error is one last line, the only error line, and no traceback."""
    assert status in (0, 1, 2), (status, err)
    event(f"exit {status}")
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("nn-parity: error: ")]
    if status == 0:
        assert errors == [], err
    else:
        assert errors == lines[-1:], err
        assert all(line.startswith(("note: ", "scratch: ", "torch: ")) for line in lines[:-1]), err


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Two small trained models (scratch): text classes (a, b -> species) and regression."""
    root = tmp_path_factory.mktemp("fuzz-models")
    species = ["setosa", "versicolor", "virginica"]
    rows = [[k * 3 + (i % 4) * 0.1, -k + (i % 3) * 0.2, species[k]]
            for i in range(30) for k in [i % 3]]  # fmt: skip
    write_csv(root / "flowers.csv", ["a", "b", "species"], rows)
    write_csv(root / "prices.csv", ["a", "b", "price"],
              [[i * 0.5, (i % 5) - 2.0, i * 1.5 + 0.25] for i in range(30)])  # fmt: skip
    for name, data, target in (("classes", "flowers", "species"), ("regression", "prices",
                                                                    "price")):  # fmt: skip
        assert main(["train", "--data", str(root / f"{data}.csv"), "--target", target,
                     "--hidden", "3", "--epochs", "1", "--backend", "scratch",
                     "--out", str(root / name)]) == 0  # fmt: skip
    return root


@pytest.fixture(scope="module", autouse=True)
def quick_curve():
    """The training curve as a stub file (matplotlib is the slow step of a tiny run)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("parity.cli.train.plot_history",
                   lambda *args, **kwargs: Path(args[3]).write_bytes(b"png"))  # fmt: skip
        yield


# ------------------------------------------------------------------ strategies

JSON_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(),
    st.sampled_from([0, 1, 2, 3, -1, 10**9, 10**12, 1e300]), st.text(max_size=6),
    st.sampled_from(["swish", "tanh", "sigmoid", "binary", "multiclass", "regression",
                     "float16", "float32", "softmax", "mse", "cross_entropy", "../x.npz"]),
    st.lists(st.one_of(st.integers(-2, 10**9), st.floats(), st.text(max_size=3),
                       st.sampled_from(["relu", "tanh", "a", "b"])), max_size=4),
    st.dictionaries(st.sampled_from(["scratch", "torch", "x_mean", "x_std", "y_mean", "y_std"]),
                    st.one_of(st.floats(), st.text(max_size=4), st.lists(st.floats(), max_size=3)),
                    max_size=3),
)  # fmt: skip
CARD_KEYS = ["format", "version", "task", "head", "loss", "in_features", "hidden",
             "out_features", "activations", "output_activation", "dtype", "features", "target",
             "n_classes", "classes", "standardize", "weights", "data", "training",
             "test_metric", "standardize.x_mean", "standardize.x_std", "standardize.y_mean",
             "standardize.y_std", "hidden.0", "features.0", "classes.0", "x_std.0"]  # fmt: skip


def mutate(raw, key, value):
    """Set (or with DELETE remove) ``key`` in the parsed card: ``a.b`` is nested, ``a.0`` the
    list's first item (``x_std.0``: the first feature's std)."""
    if key == "x_std.0":
        key = "standardize.x_std.0"
    *path, last = key.split(".")
    node = raw
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node.get(part)
        if not isinstance(node, (dict, list)):
            return
    if isinstance(node, list):
        if node and last.isdigit():
            if value is DELETE:
                node.pop(int(last))
            else:
                node[int(last)] = value
    elif value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value


@st.composite
def card_texts(draw, base):
    """model.json's text after 1-3 mutations, or its bytes cut or with a byte changed."""
    raw = json.loads(base)
    for _ in range(draw(st.integers(1, 3))):
        mutate(raw, draw(st.sampled_from(CARD_KEYS)),
               draw(st.one_of(st.just(DELETE), JSON_VALUES)))  # fmt: skip
    text = json.dumps(raw)  # NaN and Infinity as Python writes them: a tampered file can hold them
    damage = draw(st.sampled_from(["none", "none", "cut", "byte"]))
    at = draw(st.integers(0, len(text) - 1))
    if damage == "cut":
        text = text[:at]
    elif damage == "byte":
        byte = draw(st.sampled_from(["{", "]", '"', "\\", "\x00", "é", "9"]))
        text = text[:at] + byte + text[at + 1 :]
    return text


NUMBER_CELLS = st.one_of(
    st.floats(-1e3, 1e3, allow_nan=False).map(repr), st.integers(-3, 3).map(str),
    st.sampled_from(["", "nan", "inf", "-inf", "1e308", "1e400", "-1e-320", "x", "setosa",
                     "virginica", "rose", "1,5", '"'])
)  # fmt: skip


CLEAN_CELLS = {
    "floats": st.floats(-5, 5, allow_nan=False).map(repr),
    "labels": st.sampled_from(["setosa", "virginica"]),
}


@st.composite
def csv_texts(draw, columns):
    """A small CSV of ``columns`` (the last the target): clean (float features, a float or
    two-class target, 6-12 rows) or, one in two, messy (a renamed column, odd cells, a
    ragged row, 0-12 rows)."""
    messy = draw(st.booleans())
    header = list(draw(st.permutations(columns))) if messy else list(columns)
    if messy and draw(st.booleans()):
        header[draw(st.integers(0, len(header) - 1))] = draw(st.sampled_from(["", "a", "id", "é"]))
    kinds = ["floats"] * (len(header) - 1) + [draw(st.sampled_from(["floats", "labels"]))]
    cells = [draw(st.sampled_from([NUMBER_CELLS, CLEAN_CELLS[k]])) if messy else CLEAN_CELLS[k]
             for k in kinds]  # fmt: skip
    rows = [[draw(c) for c in cells] for _ in range(draw(st.integers(0 if messy else 6, 12)))]
    if messy and rows and draw(st.booleans()):
        rows[-1] = rows[-1][:-1]  # ragged
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue()


@st.composite
def npz_bytes(draw, columns):
    """An ``.npz`` of ``columns`` (the last the target): clean (equal float64 columns, 6-10
    rows) or, one in two, messy (any names, shapes, 2-D X, bools, text, complex, NaN);
    stored or compressed."""
    messy = draw(st.booleans())
    n = draw(st.integers(0 if messy else 6, 10))
    arrays = {}
    if not messy:
        elements = st.floats(-5, 5, allow_nan=False)
        for name in columns:
            arrays[name] = draw(hnp.arrays(np.float64, (n,), elements=elements))
    else:
        dtypes = st.sampled_from(["float64", "float32", "int64", "bool", "<U4", "complex64"])
        shapes = st.one_of(st.just((n,)), hnp.array_shapes(min_dims=0, max_dims=2, max_side=4))
        names = draw(st.lists(st.sampled_from([*columns, "X"]), min_size=1, max_size=4,
                              unique=True))  # fmt: skip
        for name in names:
            shape = (n, draw(st.integers(0, 3))) if name == "X" else draw(shapes)
            arrays[name] = draw(hnp.arrays(np.dtype(draw(dtypes)), shape))
    f = io.BytesIO()
    (np.savez_compressed if draw(st.booleans()) else np.savez)(f, **arrays)
    return f.getvalue()


# ------------------------------------------------------------------ predict


def predict_into(work: Path, model: Path, data: Path, *extra) -> None:
    """Run predict into ``work/preds.csv``: checked outcome, and nothing written on error."""
    before = snapshot(model)
    status, _, err = run_cli("predict", "--model", model, "--data", data, "--output",
                               work / "preds.csv", *extra)  # fmt: skip
    check_outcome(status, err)
    assert snapshot(model) == before  # predict never writes into the model
    names = sorted(p.name for p in work.iterdir())
    if status == 0:
        rows = list(csv.DictReader(io.StringIO((work / "preds.csv").read_text())))
        assert rows and all(r["prediction"] not in ("nan", "inf", "-inf", "") for r in rows)
        names.remove("preds.csv")
    assert "preds.csv" not in names and not any(n.endswith(".tmp") for n in names), names


@fuzz(250)
@given(st.data())
def test_predict_on_a_fuzzed_model_json(models, data):
    model = models / data.draw(st.sampled_from(["classes", "regression"]))
    text = data.draw(card_texts((model / "model.json").read_text()))
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        shutil.copytree(model, work / "m")
        (work / "m" / "model.json").write_text(text)
        points = write_csv(work / "p.csv", ["b", "a", "species"], [[0.1, 0.2, "setosa"]])
        predict_into(work, work / "m", points)


WEIGHT_CHANGES = ["drop", "add", "reshape", "dtype", "nan", "huge", "text", "empty"]


@fuzz(120)
@given(st.data())
def test_predict_with_fuzzed_weights(models, data):
    model = models / data.draw(st.sampled_from(["classes", "regression"]))
    with np.load(model / "weights_scratch.npz") as archive:
        state = {k: archive[k] for k in archive.files}
    for change in data.draw(st.lists(st.sampled_from(WEIGHT_CHANGES), min_size=1, max_size=2)):
        key = data.draw(st.sampled_from(sorted(state) or ["0.weight"]))
        if change == "drop":
            state.pop(key, None)
        elif change == "add":
            state[data.draw(st.sampled_from(["4.weight", "x", "0.bias"]))] = np.zeros(3)
        elif change == "reshape":
            state[key] = np.zeros(data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=5)))
        elif change == "dtype":
            dtype = data.draw(st.sampled_from(["int64", "float32", "bool", "complex128",
                                               "float16"]))  # fmt: skip
            state[key] = np.zeros(3 if key.endswith("bias") else (3, 2), dtype=dtype)
        elif change in ("nan", "huge") and key in state:
            state[key] = np.full_like(state[key], np.nan if change == "nan" else 1e300)
        elif change == "text":
            state[key] = np.array(["a", "b"])
        else:
            state = {}
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        shutil.copytree(model, work / "m")
        (work / "m" / "weights_scratch.npz").unlink()
        with open(work / "m" / "weights_scratch.npz", "wb") as f:
            np.savez(f, **state)
        points = write_csv(work / "p.csv", ["a", "b"], [[0.1, 0.2], [3.0, -1.0]])
        backend = data.draw(st.sampled_from(["scratch", "torch"]))
        predict_into(work, work / "m", points, "--backend", backend)


@fuzz(150)
@given(st.data())
def test_predict_on_fuzzed_data_files(models, data):
    model = models / data.draw(st.sampled_from(["classes", "regression"]))
    columns = [*data.draw(st.permutations(["a", "b"])),
               data.draw(st.sampled_from(["species", "price", "id"]))]  # fmt: skip
    kind = data.draw(st.sampled_from(["csv", "npz"]))
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        path = work / f"new.{kind}"
        if kind == "csv":
            path.write_text(data.draw(csv_texts(columns)), encoding="utf-8")
        else:
            path.write_bytes(data.draw(npz_bytes(columns)))
        predict_into(work, model, path)


# ------------------------------------------------------------------ train


def train_into(work: Path, old_run: Path, data: Path, *extra) -> None:
    """Train into a copy of an earlier run: checked outcome; on error the copy is unchanged
    and nothing is left beside it; on success strict JSON."""
    out = work / "run"
    shutil.copytree(old_run, out)
    before = snapshot(out)
    status, _, err = run_cli("train", "--data", data, "--target", "t", "--hidden", 2,
                             "--epochs", 1, "--batch-size", 4, "--backend", "scratch",
                             "--out", out, *extra)  # fmt: skip
    check_outcome(status, err)
    beside = sorted(p.name for p in work.iterdir() if p not in (out, data))
    assert beside == [], beside  # no staging, set-aside or lock file left
    if status == 0:
        for name in ("model.json", "history.json"):
            strict_json((out / name).read_text())
    else:
        assert snapshot(out) == before


HEADS = st.sampled_from([[], [], ["--head", "regression"], ["--head", "binary"],
                         ["--head", "multiclass"], ["--head", "softmax_mse"]])  # fmt: skip


@fuzz(150)
@given(st.data())
def test_train_on_a_fuzzed_csv(models, data):
    columns = ["a", "b", "t"][data.draw(st.sampled_from([0, 0, 0, 1, 2])) :]
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        path = work / "t.csv"
        path.write_text(data.draw(csv_texts(columns)), encoding="utf-8")
        train_into(work, models / "classes", path, *data.draw(HEADS))


@fuzz(100)
@given(st.data())
def test_train_on_a_fuzzed_npz(models, data):
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        path = work / "t.npz"
        path.write_bytes(data.draw(npz_bytes(["a", "b", "t"])))
        train_into(work, models / "regression", path, *data.draw(HEADS))
