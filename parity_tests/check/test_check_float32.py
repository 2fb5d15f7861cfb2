"""float32: yours is judged against a float64 torch run, passing when its error is at most a
small multiple of torch-float32's own error against float64; both numbers are shown."""

from __future__ import annotations

import numpy as np
import pytest

from parity.check import Functional, Layers, check
from parity.check.agreement import F32_FLOOR, F32_MULTIPLE, measure
from parity.check.examples import EXAMPLES
from parity.check.examples import functional_net as F
from parity.check.examples import layers_net as L


def _einsum_loss(slope=0.01):
    """A Leaky ReLU net summing in another order than torch (einsum, a log-sum-exp)."""

    def loss(X, y, p):
        z = np.einsum("nd,dh->nh", X, p["W1"]) + p["b1"]
        h = np.where(z > 0, z, slope * z)
        s = np.einsum("nh,hc->nc", h, p["W2"]) + p["b2"]
        m = s.max(axis=1, keepdims=True)
        logp = s - m - np.log(np.exp(s - m).sum(axis=1, keepdims=True))
        n = len(y)
        ds = np.exp(logp)
        ds[np.arange(n), y] -= 1
        ds /= n
        dz = (ds @ p["W2"].T) * np.where(z > 0, 1, slope).astype(z.dtype)
        grads = {"W1": X.T @ dz, "b1": dz.sum(0), "W2": h.T @ ds, "b2": ds.sum(0)}
        return float(-logp[np.arange(n), y].mean()), grads

    return loss


@pytest.mark.parametrize(
    "build",
    [lambda: Functional(_einsum_loss(), F.init_params((64, 32, 10)), activation="leaky_relu"),
     lambda: Layers(L.build((64, 32, 16, 10), "tanh"), L.SoftmaxCrossEntropy())],
    ids=["functional-einsum", "layers-tanh"],
)  # fmt: skip
def test_float32_rounding_is_not_called_a_bug(build):
    report = check(build(), dtype="float32", steps=3)
    assert report.ok, report.table()
    judged = [m for r in report.rows if r.stage != "oracle" for m in (r.e2e, r.tf) if m]
    assert all(m.ref_err is not None for m in judged)
    assert all(m.tol == max(F32_MULTIPLE * m.ref_err, F32_FLOOR) for m in judged)
    assert max(m.scaled for m in judged) > 1e-9  # float32 rounding is there, and tolerated
    assert "torch f32" in report.table()


def test_a_small_real_mistake_still_fails_in_float32():
    impl = Functional(_einsum_loss(slope=0.02), F.init_params((64, 32, 10)),
                      activation="leaky_relu")  # fmt: skip
    report = check(impl, dtype="float32")
    assert not report.ok
    assert report.first_divergence.stage in ("forward", "backward")


@pytest.mark.parametrize("name", ["layers-relu-mask", "functional-missing-mean"])
def test_float32_mistakes_are_diagnosed_as_in_float64(name):
    example = EXAMPLES[name]
    d = check(example.build(), dtype="float32").first_divergence
    assert (d.stage, d.name, d.diagnosis.pattern) == example.expect


def test_the_float32_judge():
    torch64 = np.linspace(-1, 1, 11)
    torch32 = torch64 + 1e-6  # torch-float32's own scaled error: 1e-6
    close = measure(torch64 + 5e-6, torch64, "gradient", "float32", torch32=torch32)
    far = measure(torch64 + 5e-5, torch64, "gradient", "float32", torch32=torch32)
    assert close.ref_err == pytest.approx(1e-6, rel=1e-3)
    assert close.tol == pytest.approx(1e-5, rel=1e-3) and close.ok
    assert not far.ok and far.scaled == pytest.approx(5e-5, rel=1e-3)
    exact = measure(torch64 + 1e-6, torch64, "gradient", "float32", torch32=torch64)
    assert exact.tol == F32_FLOOR and exact.ok  # torch-float32 exact: the floor applies


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_remove_the_cast_only_where_the_code_casts(dtype):
    """Your code casts (its parameters were float64): "remove the cast". You created the
    parameters in float32 (float32 gradient buffers made from them): "create your parameters
    in float64", and no cast to remove; in a float32 check the verdict says you chose it."""
    casts = EXAMPLES["layers-casts-to-float32"].run(dtype=dtype)
    params = EXAMPLES["layers-float32-params"].run(dtype=dtype)
    for report in (casts, params):
        assert report.ok == (dtype == "float32")
        assert "cannot judge your gradients" in report.verdict
    assert "remove the cast to float32" in casts.verdict
    assert "remove the cast" not in params.verdict
    assert "you created your parameters in float32 (layers[0].W" in params.verdict
    assert "create your parameters in float64" in params.verdict
    if dtype == "float64":
        d = params.first_divergence.diagnosis
        assert d.pattern == "float32_arithmetic"
        assert "remove the cast" not in d.fix and "create your parameters in float64" in d.fix
        assert "remove the cast" in casts.first_divergence.diagnosis.fix
    else:
        assert "as you chose (dtype='float32')" in params.verdict
