"""``nn-parity train`` end to end (with ``predict`` on what it saved), its outputs, and
every bad training input's one-line error."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from cli_support import (
    assert_one_line_error,
    cli,
    imported_by,
    nothing_written,
    read_predictions,
    standardise,
    write_csv,
)

import scratch
import torch_impl
from parity import RunSpec, run
from parity._util.progress import Progress
from parity.data import load_dataset


def test_train_builtin_matches_parity_run_and_predict_round_trips(tmp_path, capsys):
    """train --dataset iris saves exactly the weights parity.run trains (same initial weights,
    same batches), and predict on raw iris rows returns that model's predictions."""
    out = tmp_path / "iris"
    status, stdout, err = cli(capsys, "train", "--dataset", "iris", "--epochs", 3, "--out", out)
    assert status == 0
    assert "PARITY OK (12 steps" in stdout
    # one progress bar per side, each counting that side's 12 steps, scratch first
    assert err.index("scratch: 12/12 in ") < err.index("torch: 12/12 in ")
    # one per-epoch table after training, both sides side by side
    lines = stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:1] == ["epoch"])
    assert lines[head - 1].split() == ["train", "loss", "test", "loss", "test", "acc"]
    assert lines[head].split() == ["epoch", *["scratch", "torch"] * 3]
    rows = [line.split() for line in lines[head + 1 : head + 4]]
    assert [r[0] for r in rows] == ["1/3", "2/3", "3/3"] and all(len(r) == 7 for r in rows)
    history = json.loads((out / "history.json").read_text())
    for i, row in enumerate(rows):
        for j, key in enumerate(("train_loss", "val_loss", "val_acc")):
            for k, side in enumerate(("scratch", "torch")):
                assert float(row[1 + 2 * j + k]) == pytest.approx(
                    history[side]["epochs"][i][key], abs=1e-4
                )
    names = {".nn-parity.json", "model.json", "history.json", "training_curve.png"}
    names |= {"weights_scratch.npz", "weights_torch.npz"}
    assert {p.name for p in out.iterdir()} == names
    assert len(history["scratch"]["epochs"]) == 3 and history["parity"]["ok"]

    spec = RunSpec(task="multiclass", hidden=(16,), activation="tanh", epochs=3)
    reference = run(spec, "iris")
    saved = scratch.load_weights(out / "weights_scratch.npz")
    assert saved.keys() == reference.candidate.final_state.keys()
    for key, value in reference.candidate.final_state.items():
        np.testing.assert_array_equal(saved[key], value)

    from sklearn.datasets import load_iris

    iris = load_iris()
    csv_path = write_csv(
        tmp_path / "flowers.csv",
        [*iris.feature_names, "y"],
        np.column_stack([iris.data, iris.target]).tolist(),
    )
    preds = tmp_path / "preds.csv"
    status, _, err = cli(capsys, "predict", "--model", out, "--data", csv_path, "--output", preds)
    assert status == 0
    assert "accuracy over 150 rows" in err
    X, desc = standardise(iris.data, out)
    model = scratch.build_model(4, desc["hidden"], 3, desc["activations"])
    model.load_state_dict(saved)
    expected = scratch.predict(model, X, "multiclass")
    rows = read_predictions(preds)
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
    table = write_csv(tmp_path / "table.csv", ["a", "b", "price"], np.c_[a, b, y].tolist())
    out = tmp_path / "model"
    status, stdout, err = cli(
        capsys, "train", "--data", table, "--target", "price", "--backend", "torch",
        "--hidden", "8", "--epochs", 30, "--lr", 0.05, "--out", out,
    )  # fmt: skip
    assert status == 0
    assert "PARITY" not in stdout  # one backend: no verdict
    assert "torch: 150/150 in " in err and "scratch:" not in err
    assert ["epoch", "train", "loss", "test", "loss"] in [
        line.split() for line in stdout.splitlines()
    ]
    assert sorted(p.name for p in out.glob("weights_*")) == ["weights_torch.npz"]

    # predict with the torch backend on features only (no target column), to stdout
    features = write_csv(tmp_path / "new.csv", ["b", "a"], np.c_[b, a].tolist())  # reordered
    status, stdout, _ = cli(capsys, "predict", "--model", out, "--data", features,
                             "--backend", "torch")  # fmt: skip
    assert status == 0
    got = np.array([float(r["prediction"]) for r in csv.DictReader(io.StringIO(stdout))])

    X, desc = standardise(np.c_[a, b], out)
    model = torch_impl.build_model(2, desc["hidden"], 1, desc["activations"])
    torch_impl.load_numpy_state_dict(model, torch_impl.load_weights(out / "weights_torch.npz"))
    std = desc["standardize"]
    expected = torch_impl.predict(model, X, "regression").reshape(-1) * std["y_std"]
    expected += std["y_mean"]
    np.testing.assert_array_equal(got, expected)
    assert np.corrcoef(got, y)[0, 1] > 0.9  # in the target's units, and it learned

    # with the target present, the score is in the target's units, and says so
    status, _, err = cli(capsys, "predict", "--model", out, "--data", table, "--backend", "torch")
    assert status == 0
    mse = float(np.mean((expected - y) ** 2))
    assert f"MSE on these 200 rows (target units): {mse:.6g}, RMSE {np.sqrt(mse):.6g}" in err


TRAIN_ERRORS = {
    "one-class": (["--data", "{one}", "--target", "label"],
                  "target column 'label' has only one value (0); need at least two classes"),
    # labels 1..K are no longer refused: parity_tests/cli/test_cli_labels.py trains on them
    "single-member-class": (["--data", "{lonely}", "--target", "t"],
                            "class 'c' has 1 row(s); a stratified split needs at least 2"),
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


@pytest.mark.parametrize("case", TRAIN_ERRORS, ids=list(TRAIN_ERRORS))
def test_train_bad_input(case, files, tmp_path, capsys):
    args, message = TRAIN_ERRORS[case]
    paths = {**{k: str(v) for k, v in files.items()}, "tmp": str(tmp_path)}
    out = tmp_path / "out"
    status, stdout, err = cli(capsys, "train", *[a.format(**paths) for a in args], "--out", out)
    assert_one_line_error(status, stdout, err, message)
    nothing_written(tmp_path, out)


def test_retraining_removes_the_other_backends_stale_weights(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--dataset", "xor", "--epochs", 1, "--out", out]
    assert cli(capsys, *args)[0] == 0
    (out / "notes.txt").write_text("mine")
    (out / "weights_scratch.npz.bak").write_text("mine too")
    status, stdout, _ = cli(capsys, *args, "--backend", "torch")
    assert status == 0
    assert "removed weights_scratch.npz" in stdout
    assert sorted(p.name for p in out.iterdir()) == [
        ".nn-parity.json", "history.json", "model.json", "notes.txt", "training_curve.png",
        "weights_scratch.npz.bak", "weights_torch.npz",
    ]  # fmt: skip
    assert json.loads((out / "model.json").read_text())["weights"] == {"torch": "weights_torch.npz"}


def test_training_curve_draws_the_difference_as_the_report_does(tmp_path, capsys, monkeypatch):
    import parity._util.plots
    from parity.tolerances import tolerance

    calls = []
    real = parity._util.plots.plot_loss_difference

    def spy(ax, s, t, tol):
        calls.append((s, t, tol))
        real(ax, s, t, tol)

    monkeypatch.setattr(parity._util.plots, "plot_loss_difference", spy)
    out = tmp_path / "run"
    assert cli(capsys, "train", "--dataset", "xor", "--epochs", 2, "--dtype", "float32",
                "--out", out)[0] == 0  # fmt: skip
    [(s, t, tol)] = calls
    history = json.loads((out / "history.json").read_text())
    np.testing.assert_array_equal(s, history["scratch"]["losses"])
    np.testing.assert_array_equal(t, history["torch"]["losses"])
    assert tol == tolerance("curve", "float32", "cpu").value
    calls.clear()
    assert cli(capsys, "train", "--dataset", "xor", "--epochs", 1, "--backend", "scratch",
                "--out", out)[0] == 0  # fmt: skip
    assert calls == []  # one backend: no difference panel


def test_threads_option_is_restored(capsys, tmp_path):
    before = torch.get_num_threads()
    assert cli(capsys, "train", "--dataset", "xor", "--epochs", 1, "--backend", "torch",
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


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (["--dataset", "xor"], "['matplotlib']"),
        (["--dataset", "sine"], "['matplotlib']"),
        (["--data", "{csv}", "--target", "t"], "['matplotlib']"),
        # moons is parity.data.synthetic's NumPy copy of scikit-learn's generator (no sklearn)
        (["--dataset", "moons"], "['matplotlib']"),
        (["--dataset", "iris"], "['matplotlib', 'sklearn']"),  # a real dataset: scikit-learn's
    ],
    ids=["xor", "sine", "csv", "moons", "iris"],
)
def test_scratch_only_training_never_imports_torch(source, expected, files, tmp_path):
    """``train --backend scratch`` in a fresh interpreter: no torch; scikit-learn only for a
    built-in dataset loaded by it; matplotlib for the training curve it draws."""
    out = tmp_path / "out"
    argv = ["train", *[a.format(csv=files["good"]) for a in source], "--epochs", "2",
            "--backend", "scratch", "--out", str(out)]  # fmt: skip
    assert imported_by(f"from parity.cli import main\nassert main({argv!r}) == 0") == expected
    assert (out / "weights_scratch.npz").is_file()


def test_train_imports_no_report_module(tmp_path):
    """``train`` draws its training curve with the plotting helper the report shares: it
    imports no module of ``parity.report`` (nor of ``parity.check``)."""
    out = tmp_path / "out"
    argv = ["train", "--dataset", "xor", "--epochs", "2", "--out", str(out)]
    code = (
        f"import sys\nfrom parity.cli import main\nassert main({argv!r}) == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith(('parity.report', 'parity.check'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (out / "training_curve.png").is_file()


def test_scratch_prediction_imports_no_heavy_library(tmp_path, capsys):
    out = tmp_path / "xor"
    assert cli(capsys, "train", "--dataset", "xor", "--epochs", 1, "--backend", "scratch",
               "--out", out)[0] == 0  # fmt: skip
    points = write_csv(tmp_path / "points.csv", ["x0", "x1"], [[0.1, 0.2], [1.0, -0.5]])
    argv = ["predict", "--model", str(out), "--data", str(points), "--output",
            str(tmp_path / "p.csv")]  # fmt: skip
    assert imported_by(f"from parity.cli import main\nassert main({argv!r}) == 0") == "[]"
    assert len(read_predictions(tmp_path / "p.csv")) == 2


def test_a_chaotic_run_is_flagged_not_failed(tmp_path, capsys):
    # SGD lr 0.3 with momentum 0.9 on spirals: a one-rounding difference grows to order 1
    code, out, _ = cli(
        capsys, "train", "--dataset", "spirals", "--hidden", "16,16", "--activation", "tanh",
        "--lr", "0.3", "--momentum", "0.9", "--epochs", "20", "--out", str(tmp_path / "run"),
    )  # fmt: skip
    assert code == 0
    assert "CHAOTIC after step" in out
    assert "parity is not decidable at this tolerance beyond it" in out
    assert (tmp_path / "run" / "model.json").is_file()
