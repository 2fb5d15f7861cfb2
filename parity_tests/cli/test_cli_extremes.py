"""``nn-parity train`` and ``predict`` on extreme values: a regression target or a feature
scaled by 1e300 trains and predicts in finite numbers, and float32 data beyond float32's range
is refused in one line; no RuntimeWarning reaches the user."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from cli_support import assert_one_line_error, cli, nothing_written

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def linear_data(path, x_scale=1.0, y_scale=1.0, n=60):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    y = X @ [1.0, -2.0, 0.5] + 3.0
    np.savez(path, X=X * x_scale, y=y * y_scale)
    return path


@pytest.mark.parametrize(("x_scale", "y_scale"), [(1.0, 1e300), (1e300, 1.0)],
                         ids=["target-1e300", "feature-1e300"])  # fmt: skip
def test_train_and_predict_at_1e300(x_scale, y_scale, tmp_path, capsys):
    data = linear_data(tmp_path / "big.npz", x_scale, y_scale)
    out = tmp_path / "model"
    status, _, err = cli(capsys, "train", "--data", data, "--target", "y", "--backend", "scratch",
                         "--hidden", 8, "--epochs", 60, "--out", out)  # fmt: skip
    assert status == 0, err
    status, stdout, err = cli(capsys, "predict", "--model", out, "--data", data)
    assert status == 0, err
    pred = np.array([float(r["prediction"]) for r in csv.DictReader(io.StringIO(stdout))])
    assert np.isfinite(pred).all()
    y = np.load(data)["y"]
    assert np.corrcoef(pred / y_scale, y / y_scale)[0, 1] > 0.99  # it learnt the target
    rmse = float(err.split("RMSE ")[1])
    assert np.isfinite(rmse) and rmse / y_scale < 0.2 * (y / y_scale).std()
    assert ("MSE on these 60 rows (target units): inf" in err) == (y_scale == 1e300)


def test_float32_beyond_its_range_is_refused(tmp_path, capsys):
    data = linear_data(tmp_path / "huge.npz", x_scale=1e39)
    out = tmp_path / "model"
    status, stdout, err = cli(capsys, "train", "--data", data, "--target", "y", "--dtype",
                              "float32", "--out", out)  # fmt: skip
    assert_one_line_error(status, stdout, err, "column 'x0' has values up to ")
    assert "which do not fit float32 (normal range 1.2e-38 to 3.4e+38); use --dtype float64" in err
    nothing_written(tmp_path, out)
