"""``nn-parity train`` / ``predict`` end to end, and every bad input's one-line error.

Commands run in-process through ``parity.cli.main`` (a subprocess pays ~3 s of torch import
each); only the laziness of ``--help`` needs a fresh interpreter.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import scratch
import torch_impl
from parity import RunSpec, run
from parity.cli import main
from parity.data import load_dataset
from parity.progress import Progress


def _cli(capsys, *argv):
    """Run ``nn-parity *argv`` in-process -> (exit status, stdout, stderr)."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _read_predictions(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return rows


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _standardise(X, model_dir):
    desc = json.loads((model_dir / "model.json").read_text())
    std = desc["standardize"]
    return (X - np.asarray(std["x_mean"])) / np.asarray(std["x_std"]), desc


def test_help_imports_neither_torch_nor_matplotlib():
    code = (
        "import sys\n"
        "from parity.cli import build_parser\n"
        "build_parser().format_help()\n"
        "print(sorted(m for m in ('torch', 'matplotlib', 'sklearn') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    helped = subprocess.run(
        [sys.executable, "-m", "parity.cli", "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0
    assert "report" in helped.stdout and "predict" in helped.stdout


def test_train_builtin_matches_parity_run_and_predict_round_trips(tmp_path, capsys):
    """train --dataset iris saves exactly the weights parity.run trains (same initial weights,
    same batches), and predict on raw iris rows returns that model's predictions."""
    out = tmp_path / "iris"
    status, stdout, _ = _cli(capsys, "train", "--dataset", "iris", "--epochs", 3, "--out", out)
    assert status == 0
    assert "PARITY OK" in stdout
    assert "3/3" in stdout  # per-epoch metrics were printed
    names = {"model.json", "history.json", "training_curve.png"}
    names |= {"weights_scratch.npz", "weights_torch.npz"}
    assert {p.name for p in out.iterdir()} == names
    history = json.loads((out / "history.json").read_text())
    assert len(history["scratch"]["epochs"]) == 3 and history["parity"]["ok"]

    reference = run(RunSpec(dataset="iris", hidden=(16,), activation="tanh", epochs=3))
    saved = scratch.load_weights(out / "weights_scratch.npz")
    assert saved.keys() == reference.scratch.final_state.keys()
    for key, value in reference.scratch.final_state.items():
        np.testing.assert_array_equal(saved[key], value)

    from sklearn.datasets import load_iris

    iris = load_iris()
    csv_path = _write_csv(
        tmp_path / "flowers.csv",
        [*iris.feature_names, "y"],
        np.column_stack([iris.data, iris.target]).tolist(),
    )
    preds = tmp_path / "preds.csv"
    status, _, err = _cli(capsys, "predict", "--model", out, "--data", csv_path, "--output", preds)
    assert status == 0
    assert "accuracy over 150 rows" in err
    X, desc = _standardise(iris.data, out)
    model = scratch.build_model(4, desc["hidden"], 3, desc["activations"])
    model.load_state_dict(saved)
    expected = scratch.predict(model, X, "multiclass")
    rows = _read_predictions(preds)
    assert [int(r["prediction"]) for r in rows] == expected.tolist()
    proba = np.array([[float(r[f"p_{k}"]) for k in range(3)] for r in rows])
    np.testing.assert_array_equal(proba, scratch.predict_proba(model, X, "multiclass"))
    # the standardisation saved is the one the dataset's train split used
    data = load_dataset("iris", seed=0)
    np.testing.assert_array_equal(np.asarray(desc["standardize"]["x_mean"]), data.x_mean)


def test_train_csv_regression_torch_predict_in_target_units(tmp_path, capsys):
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-3, 3, 200), rng.uniform(0, 10, 200)
    y = 2.0 * a - 0.5 * b + 7.0 + 0.1 * rng.standard_normal(200)
    table = _write_csv(tmp_path / "table.csv", ["a", "b", "price"], np.c_[a, b, y].tolist())
    out = tmp_path / "model"
    status, stdout, _ = _cli(
        capsys, "train", "--data", table, "--target", "price", "--backend", "torch",
        "--hidden", "8", "--epochs", 30, "--lr", 0.05, "--out", out,
    )  # fmt: skip
    assert status == 0
    assert "PARITY" not in stdout  # one backend: no verdict
    assert sorted(p.name for p in out.glob("weights_*")) == ["weights_torch.npz"]

    # predict with the torch backend on features only (no target column), to stdout
    features = _write_csv(tmp_path / "new.csv", ["b", "a"], np.c_[b, a].tolist())  # reordered
    status, stdout, _ = _cli(capsys, "predict", "--model", out, "--data", features,
                             "--backend", "torch")  # fmt: skip
    assert status == 0
    got = np.array([float(r["prediction"]) for r in csv.DictReader(io.StringIO(stdout))])

    X, desc = _standardise(np.c_[a, b], out)
    model = torch_impl.build_model(2, desc["hidden"], 1, desc["activations"])
    torch_impl.load_numpy_state_dict(model, torch_impl.load_weights(out / "weights_torch.npz"))
    std = desc["standardize"]
    expected = torch_impl.predict(model, X, "regression").reshape(-1) * std["y_std"]
    expected += std["y_mean"]
    np.testing.assert_array_equal(got, expected)
    assert np.corrcoef(got, y)[0, 1] > 0.9  # in the target's units, and it learned


def test_predict_with_the_other_backend_agrees(tmp_path, capsys):
    """Weights saved by scratch run in torch and vice versa (same keys, same shapes)."""
    out = tmp_path / "xor"
    assert _cli(capsys, "train", "--dataset", "xor", "--backend", "scratch", "--epochs", 5,
                "--out", out)[0] == 0  # fmt: skip
    rows = np.random.default_rng(1).uniform(-2, 2, (50, 2))
    points = tmp_path / "points.npz"
    np.savez(points, X=rows)
    results = {}
    for backend in ("scratch", "torch"):
        status, stdout, _ = _cli(capsys, "predict", "--model", out, "--data", points,
                                 "--backend", backend)  # fmt: skip
        assert status == 0
        results[backend] = list(csv.DictReader(io.StringIO(stdout)))
    assert [r["prediction"] for r in results["scratch"]] == [
        r["prediction"] for r in results["torch"]
    ]
    p_s = np.array([float(r["p_1"]) for r in results["scratch"]])
    p_t = np.array([float(r["p_1"]) for r in results["torch"]])
    np.testing.assert_allclose(p_s, p_t, rtol=0, atol=1e-14)


# --------------------------------------------------------------------------------------------
# bad input: one line, exit 2, nothing written


@pytest.fixture
def files(tmp_path):
    good = [[i % 3, (i * 7) % 5, i % 2] for i in range(12)]
    return {
        "good": _write_csv(tmp_path / "good.csv", ["a", "b", "t"], good),
        "nan": _write_csv(tmp_path / "nan.csv", ["a", "b", "t"], [*good, [1, 2, "nan"]]),
        "text": _write_csv(tmp_path / "text.csv", ["a", "b", "t"], [*good, [1, "two", 0]]),
        "ragged": _write_csv(tmp_path / "ragged.csv", ["a", "b", "t"], [*good, [1, 2]]),
    }


TRAIN_ERRORS = {
    "unknown-dataset": (["--dataset", "mnist"], "unknown dataset 'mnist'"),
    "unknown-activation": (["--dataset", "moons", "--activation", "swish"],
                           "unknown activation 'swish'"),
    "activation-per-layer": (["--dataset", "moons", "--hidden", "4,4",
                              "--activation", "relu,tanh,relu"], "3 names for 2 hidden layers"),
    "bad-hidden": (["--dataset", "moons", "--hidden", "16,x"], "--hidden must be"),
    "missing-csv": (["--data", "{tmp}/absent.csv", "--target", "t"], "no such file"),
    "text-in-csv": (["--data", "{text}", "--target", "t"], "'two' is not a number"),
    "ragged-csv": (["--data", "{ragged}", "--target", "t"], "has 2 cells, the header has 3"),
    "absent-target": (["--data", "{good}", "--target", "price"], "target column 'price' not found"),
    "nan-target": (["--data", "{nan}", "--target", "t"], "column 't' has 1 missing"),
    "no-target": (["--data", "{good}"], "needs --target"),
    "wrong-head": (["--dataset", "moons", "--head", "regression"], "head 'regression' is for"),
    "bad-lr": (["--dataset", "moons", "--lr", "-1"], "lr must be"),
}  # fmt: skip


def _assert_one_line_error(status, out, err, message):
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nn-parity: error: ") and message in lines[0], lines[0]
    assert "Traceback" not in err + out


def _nothing_written(tmp_path, out):
    assert not out.exists()
    assert not list(tmp_path.glob("*.tmp-*"))


@pytest.mark.parametrize("case", TRAIN_ERRORS, ids=list(TRAIN_ERRORS))
def test_train_bad_input(case, files, tmp_path, capsys):
    args, message = TRAIN_ERRORS[case]
    paths = {**{k: str(v) for k, v in files.items()}, "tmp": str(tmp_path)}
    out = tmp_path / "out"
    status, stdout, err = _cli(capsys, "train", *[a.format(**paths) for a in args], "--out", out)
    _assert_one_line_error(status, stdout, err, message)
    _nothing_written(tmp_path, out)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("command", ["train", "report"])
def test_cuda_requested_without_cuda(command, tmp_path, capsys):
    out = tmp_path / "out"
    extra = ["--dataset", "moons"] if command == "train" else []
    status, stdout, err = _cli(capsys, command, *extra, "--device", "cuda", "--out", out)
    _assert_one_line_error(status, stdout, err, "no CUDA device is available")
    _nothing_written(tmp_path, out)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small moons model (scratch only) and a second model of another shape."""
    root = tmp_path_factory.mktemp("trained")
    for name, hidden in (("moons", "8"), ("wide", "4,4")):
        args = ["train", "--dataset", "moons", "--hidden", hidden, "--epochs", "2"]
        assert main([*args, "--backend", "scratch", "--out", str(root / name)]) == 0
    return root


def test_predict_bad_input(trained, files, tmp_path, capsys):
    moons, output = trained / "moons", tmp_path / "preds.csv"
    points = _write_csv(tmp_path / "points.csv", ["x0", "x1"], [[0.1, 0.2], [1.0, -0.5]])
    cases = [
        (["--weights", trained / "wide" / "weights_scratch.npz", "--data", points],
         "weights do not fit the network"),
        (["--data", files["good"]], "missing feature column(s) ['x0', 'x1']"),
        (["--data", tmp_path / "absent.csv"], "no such file"),
        (["--data", _write_csv(tmp_path / "nan.csv", ["x0", "x1"], [[0.1, "nan"]])],
         "feature 'x1' is missing or not finite"),
    ]  # fmt: skip
    for args, message in cases:
        status, stdout, err = _cli(capsys, "predict", "--model", moons, *args, "--output", output)
        _assert_one_line_error(status, stdout, err, message)
        assert not output.exists()
    status, stdout, err = _cli(capsys, "predict", "--model", tmp_path, "--data", points)
    _assert_one_line_error(status, stdout, err, "has no model.json")


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--dataset", "moons", "--backend", "jax"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_threads_option_is_restored(capsys, tmp_path):
    before = torch.get_num_threads()
    assert _cli(capsys, "train", "--dataset", "xor", "--epochs", 1, "--backend", "torch",
                "--threads", 2, "--out", tmp_path / "t")[0] == 0  # fmt: skip
    assert torch.get_num_threads() == before


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_draws_on_a_terminal_and_summarises_elsewhere():
    tty, log = _Terminal(), io.StringIO()
    for stream in (tty, log):
        with Progress("grid", 4, stream) as bar:
            for _ in range(4):
                bar.advance()
    assert "\r" in tty.getvalue() and "4/4" in tty.getvalue()
    assert log.getvalue().startswith("grid: 4/4 in ") and log.getvalue().count("\n") == 1


def test_bench_prints_ratios_for_each_config(capsys):
    assert main(["bench", "--configs", "small", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| small |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    scratch_ms, torch_ms, step_ratio = (float(c) for c in cells[3:6])
    assert scratch_ms > 0 and torch_ms > 0
    assert step_ratio == pytest.approx(scratch_ms / torch_ms, rel=0.02)


def test_bench_unknown_config_exits_2(capsys):
    assert main(["bench", "--configs", "huge"]) == 2
    err = capsys.readouterr().err
    assert "unknown bench config" in err and "huge" in err
