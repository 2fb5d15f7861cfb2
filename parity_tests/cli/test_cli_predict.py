"""``nn-parity predict``: either backend on either's weights, and every bad input's one-line
error."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from cli_support import (
    assert_one_line_error,
    cli,
    write_csv,
)


def test_predict_with_the_other_backend_agrees(tmp_path, capsys):
    """Weights saved by scratch run in torch and vice versa (same keys, same shapes)."""
    out = tmp_path / "xor"
    assert cli(capsys, "train", "--dataset", "xor", "--backend", "scratch", "--epochs", 5,
                "--out", out)[0] == 0  # fmt: skip
    rows = np.random.default_rng(1).uniform(-2, 2, (50, 2))
    points = tmp_path / "points.npz"
    np.savez(points, X=rows)
    results = {}
    for backend in ("scratch", "torch"):
        status, stdout, _ = cli(capsys, "predict", "--model", out, "--data", points,
                                 "--backend", backend)  # fmt: skip
        assert status == 0
        results[backend] = list(csv.DictReader(io.StringIO(stdout)))
    assert [r["prediction"] for r in results["scratch"]] == [
        r["prediction"] for r in results["torch"]
    ]
    p_s = np.array([float(r["p_1"]) for r in results["scratch"]])
    p_t = np.array([float(r["p_1"]) for r in results["torch"]])
    np.testing.assert_allclose(p_s, p_t, rtol=0, atol=1e-14)


def test_predict_bad_input(trained, files, tmp_path, capsys):
    moons, output = trained / "moons", tmp_path / "preds.csv"
    points = write_csv(tmp_path / "points.csv", ["x0", "x1"], [[0.1, 0.2], [1.0, -0.5]])
    cases = [
        (["--weights", trained / "wide" / "weights_scratch.npz", "--data", points],
         "weights do not fit the network in model.json: unexpected keys '4.weight', '4.bias'; "
         "misshapen keys '0.weight' (4, 2) instead of (8, 2), '0.bias' (4,) instead of (8,), "
         "'2.weight' (4, 4) instead of (1, 8), '2.bias' (4,) instead of (1,)"),
        (["--data", files["good"]], "missing feature column(s) ['x0', 'x1']"),
        (["--data", tmp_path / "absent.csv"], "no such file"),
        (["--data", write_csv(tmp_path / "nan.csv", ["x0", "x1"], [[0.1, "nan"]])],
         "feature 'x1' is missing or not finite"),
    ]  # fmt: skip
    for args, message in cases:
        status, stdout, err = cli(capsys, "predict", "--model", moons, *args, "--output", output)
        assert_one_line_error(status, stdout, err, message)
        assert not output.exists()
    status, stdout, err = cli(capsys, "predict", "--model", tmp_path, "--data", points)
    assert_one_line_error(status, stdout, err, "has no model.json")


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
    points = write_csv(tmp_path / "points.csv", ["x0", "x1"], [[0.1, 0.2]])
    errors = []
    for backend in ("scratch", "torch"):
        status, stdout, err = cli(capsys, "predict", "--model", trained / "moons", "--data",
                                   points, "--weights", weights, "--backend", backend)  # fmt: skip
        assert_one_line_error(status, stdout, err, message)
        assert "[]" not in err and "state dict" not in err
        errors.append(err)
    assert errors[0] == errors[1]
