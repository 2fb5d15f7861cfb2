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
from parity.cli import build_parser, installed_version, main
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
    status, stdout, err = _cli(capsys, "train", "--dataset", "iris", "--epochs", 3, "--out", out)
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
    names = {"model.json", "history.json", "training_curve.png"}
    names |= {"weights_scratch.npz", "weights_torch.npz"}
    assert {p.name for p in out.iterdir()} == names
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
    status, stdout, err = _cli(
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

    # with the target present, the score is in the target's units, and says so
    status, _, err = _cli(capsys, "predict", "--model", out, "--data", table, "--backend", "torch")
    assert status == 0
    mse = float(np.mean((expected - y) ** 2))
    assert f"MSE on these 200 rows (target units): {mse:.6g}, RMSE {np.sqrt(mse):.6g}" in err


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
        "one": _write_csv(
            tmp_path / "one.csv", ["a", "b", "label"], [[i, i + 1, 0] for i in range(6)]
        ),
        "one_to_k": _write_csv(
            tmp_path / "k.csv", ["a", "b", "t"], [[a, b, t + 1] for a, b, t in good]
        ),
    }


TRAIN_ERRORS = {
    "one-class": (["--data", "{one}", "--target", "label"],
                  "target column 'label' has only one value (0); need at least two classes"),
    "labels-1-to-k": (["--data", "{one_to_k}", "--target", "t"],
                      "binary labels in 't' must be the integers 0..1; found values [1, 2], "
                      "offending values: [2]; renumber the classes to 0..K-1 (here 0..1)"),
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
    _assert_one_line_error(status, stdout, err, "--device cuda: no CUDA device is available")
    assert "use --device cpu, or --device auto" in err and "device='cpu'" not in err
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
         "weights do not fit the network in model.json: unexpected keys '4.weight', '4.bias'; "
         "misshapen keys '0.weight' (4, 2) instead of (8, 2), '0.bias' (4,) instead of (8,), "
         "'2.weight' (4, 4) instead of (1, 8), '2.bias' (4,) instead of (1,)"),
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


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"0.weight": np.zeros((8, 2))}, "missing keys '0.bias', '2.weight', '2.bias'"),
        (
            {
                "0.weight": np.zeros((8, 2)),
                "0.bias": np.zeros(8),
                "2.weight": np.zeros((1, 8)),
                "2.bias": np.array([np.nan]),
            },
            "NaN or inf in '2.bias'",
        ),
        (
            {
                "0.weight": np.zeros((8, 2), dtype=np.int64),
                "0.bias": np.zeros(8),
                "2.weight": np.zeros((1, 8)),
                "2.bias": np.zeros(1),
            },
            "non-float arrays '0.weight'",
        ),
    ],
    ids=["missing", "nan", "int"],
)
def test_weights_that_do_not_fit_read_the_same_on_both_backends(
    state, message, trained, tmp_path, capsys
):
    weights = tmp_path / "w.npz"
    np.savez(weights, **state)
    points = _write_csv(tmp_path / "points.csv", ["x0", "x1"], [[0.1, 0.2]])
    errors = []
    for backend in ("scratch", "torch"):
        status, stdout, err = _cli(capsys, "predict", "--model", trained / "moons", "--data",
                                   points, "--weights", weights, "--backend", backend)  # fmt: skip
        _assert_one_line_error(status, stdout, err, message)
        assert "[]" not in err and "state dict" not in err
        errors.append(err)
    assert errors[0] == errors[1]


ARGPARSE_ERRORS = {
    "backend": (["train", "--dataset", "moons", "--backend", "jax"],
                "argument --backend: invalid choice: 'jax'", "train"),
    "init": (["train", "--dataset", "moons", "--init", "foo"],
             "argument --init: invalid choice: 'foo'", "train"),
    "device": (["train", "--dataset", "moons", "--device", "gpu"],
               "argument --device: invalid choice: 'gpu'", "train"),
    "threads": (["train", "--dataset", "moons", "--threads", "0"],
                "argument --threads: expected a positive integer, got '0'", "train"),
    "repeats": (["bench", "--repeats", "0"],
                "argument --repeats: expected a positive integer, got '0'", "bench"),
    "data-and-dataset": (["train", "--data", "x.csv", "--dataset", "moons"],
                         "argument --dataset: not allowed with argument --data", "train"),
    "unknown-option": (["predict", "--model", "m", "--data", "d.csv", "--bogus"],
                       "unrecognized arguments: --bogus", "predict"),
    "no-command": ([], "the following arguments are required: COMMAND", None),
    "unknown-command": (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'", None),
}  # fmt: skip


@pytest.mark.parametrize("case", ARGPARSE_ERRORS, ids=list(ARGPARSE_ERRORS))
def test_argparse_errors_are_one_line_and_exit_2(case, capsys):
    argv, message, command = ARGPARSE_ERRORS[case]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    hint = f"nn-parity {command} --help" if command else "nn-parity --help"
    assert out == ""
    assert err.startswith(f"nn-parity: error: {message}") and err.endswith(f" (see {hint})\n")
    assert err.count("\n") == 1 and "usage:" not in err


def _help(capsys, *argv):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # unwrapped


def test_help_shows_defaults_and_bench_configs(capsys):
    train = _help(capsys, "train")
    for default in (
        "passes over the training split (default: 20)",
        "learning rate (default: 0.1)",
        "minibatch size (default: 32)",
        "update rule (default: sgd)",
        "SGD momentum (default: 0.0)",
        "(default: both)",
        "(default: float64)",
    ):
        assert default in train, default
    assert "(default: None)" not in train
    predict = _help(capsys, "predict")
    assert "trained the weights (default: scratch)" in predict
    bench = _help(capsys, "bench")
    for config in (
        "small (hidden 16, batch 32)",
        "medium (hidden 64x64, batch 64)",
        "large (hidden 256x256x256, batch 256)",
        "interleaved repeats (default: 5)",
    ):
        assert config in bench, config


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    from importlib.metadata import version

    assert capsys.readouterr().out == f"nn-parity {version('nn-parity')}\n"
    assert installed_version() == version("nn-parity")
    assert isinstance(build_parser().format_help(), str)


def test_retraining_removes_the_other_backends_stale_weights(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--dataset", "xor", "--epochs", 1, "--out", out]
    assert _cli(capsys, *args)[0] == 0
    (out / "notes.txt").write_text("mine")
    (out / "weights_scratch.npz.bak").write_text("mine too")
    status, stdout, _ = _cli(capsys, *args, "--backend", "torch")
    assert status == 0
    assert "removed weights_scratch.npz" in stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "history.json", "model.json", "notes.txt", "training_curve.png",
        "weights_scratch.npz.bak", "weights_torch.npz",
    ]  # fmt: skip
    assert json.loads((out / "model.json").read_text())["weights"] == {"torch": "weights_torch.npz"}


def test_training_curve_draws_the_difference_as_the_report_does(tmp_path, capsys, monkeypatch):
    import parity.report
    from parity.tolerances import tolerance

    calls = []
    real = parity.report.plot_loss_difference

    def spy(ax, s, t, tol):
        calls.append((s, t, tol))
        real(ax, s, t, tol)

    monkeypatch.setattr(parity.report, "plot_loss_difference", spy)
    out = tmp_path / "run"
    assert _cli(capsys, "train", "--dataset", "xor", "--epochs", 2, "--dtype", "float32",
                "--out", out)[0] == 0  # fmt: skip
    [(s, t, tol)] = calls
    history = json.loads((out / "history.json").read_text())
    np.testing.assert_array_equal(s, history["scratch"]["losses"])
    np.testing.assert_array_equal(t, history["torch"]["losses"])
    assert tol == tolerance("curve", "float32", "cpu").value
    calls.clear()
    assert _cli(capsys, "train", "--dataset", "xor", "--epochs", 1, "--backend", "scratch",
                "--out", out)[0] == 0  # fmt: skip
    assert calls == []  # one backend: no difference panel


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
