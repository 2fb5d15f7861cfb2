"""The finite-difference oracle: kinks found and judged between the one-sided slopes, float32
arithmetic recognised, your objects left alone, and never a verdict against a network that
agrees with torch row for row."""

from __future__ import annotations

import numpy as np
import pytest

from parity.check import Layers, check
from parity.check.examples import layers_net as L
from parity.check.rows import NOT_COUNTED, Row
from parity.check.run.oracle import EPS, _differences, _entries, _measure, float32_inside, verdict
from parity.compare import Comparison

TOL = 1e-7  # tolerance("finite_difference", "float64")


def _judge(loss, p, yours):
    """The oracle's measurement of ``yours`` as the gradient of ``loss(p)`` at every entry."""
    d = _differences(lambda: loss(p), loss(p), p, np.arange(p.size))
    return _measure(np.asarray(yours, float), p.shape, np.arange(p.size), d, scale=1.0)


def relu_loss(p):  # kinks where p == 0, curved elsewhere
    return float(np.maximum(p, 0).sum() + 0.3 * (p**2).sum() + np.sin(p).sum())


P = np.array([0.0, 0.7, -0.4, 0.0, 2e-7])  # two exact kinks, one within eps of one


def smooth_gradient(p, at_zero):
    return np.where(p > 0, 1.0, 0.0) + 0.6 * p + np.cos(p) + np.where(p == 0, at_zero, 0.0)


@pytest.mark.parametrize("at_zero", [0.0, 1.0], ids=["mask x > 0", "mask x >= 0"])
def test_at_a_kink_either_mask_agrees_with_your_own_loss(at_zero):
    m = _judge(relu_loss, P.copy(), smooth_gradient(P, at_zero))
    assert m.ok, m
    assert m.note.startswith("3 entries at a kink of your loss")


def test_at_a_kink_a_gradient_outside_the_one_sided_slopes_fails():
    wrong = smooth_gradient(P, 0.0) + np.where(P == 0, 2.0, 0.0)  # 2 beyond the right slope
    assert not _judge(relu_loss, P.copy(), wrong).ok


def test_a_smooth_loss_has_no_kinks_and_a_small_mistake_fails():
    p = np.linspace(-1, 1, 9)

    def loss(q):
        return float(np.tanh(q).sum() + (q**3).sum())

    right = 1 - np.tanh(p) ** 2 + 3 * p**2
    assert _judge(loss, p.copy(), right).note == ""
    assert _judge(loss, p.copy(), right).ok
    assert not _judge(loss, p.copy(), right * (1 + 1e-5)).ok


def test_one_kink_is_one_entry_and_the_perturbation_is_undone():
    p = np.array([0.0, 0.5])
    before = p.copy()
    m = _judge(relu_loss, p, smooth_gradient(p, 0.0))
    assert m.note.startswith("1 entry at a kink")
    assert np.array_equal(p, before)
    assert EPS == 1e-6


def test_float32_arithmetic_is_recognised():
    grads64 = {"W": np.ones((2, 2))}
    losses64 = np.array([0.1, 0.2, 0.30000000000000004, 0.4])
    assert float32_inside(grads64, losses64) == ""
    assert "float32" in float32_inside({"W": np.ones((2, 2), np.float32)}, losses64)
    losses32 = np.array([0.1, 0.2, 0.3, 0.4], np.float32).astype(np.float64)
    assert "every loss it returns is a float32 number" in float32_inside(grads64, losses32)


def _row(stage, ok):
    m = Comparison("x", 0.0, 0.0, 0.0 if ok else 1.0, 1e-12, ok)
    return Row(stage, "W1", "gradient", "0.weight.grad", m)


def test_the_oracle_never_overrides_agreement_row_for_row():
    rows = [_row("forward", True), _row("backward", True)]
    text = verdict(rows, [_row("oracle", False)], [])
    assert text.startswith("agrees:") and "do not count" in text
    assert verdict([_row("backward", False)], [_row("oracle", False)], []).startswith(
        "backward bug"
    )


def test_an_oracle_row_that_disagrees_with_a_network_torch_agrees_with_is_not_counted():
    from parity.check.adapters.functional import Functional
    from parity.check.examples.functional_net import init_params, make_loss

    rng = np.random.default_rng(1)
    X = rng.normal(size=(32, 6))
    X[::4] = 0.0  # all-zero rows: with zero biases, exact kinks
    params = {**init_params((6, 8, 3)), "b1": np.zeros(8)}
    report = check(Functional(make_loss("relu"), params), X=X, y=rng.integers(0, 3, 32))
    assert report.ok, report.table()
    assert all(r.ok or r.status == NOT_COUNTED for r in report.rows if r.stage == "oracle")


class CountingTanh(L.Tanh):
    def forward(self, x):
        self.calls = getattr(self, "calls", 0) + 1  # state kept on your object
        return super().forward(x)


def test_the_oracle_works_on_a_copy_of_your_layers():
    layers = L.build((64, 8, 10), act=CountingTanh)
    report = check(Layers(layers, L.SoftmaxCrossEntropy()))
    assert report.ok and any(r.stage == "oracle" for r in report.rows)
    # probe, end to end, teacher-forced: a handful; the oracle's hundreds ran on a copy
    assert layers[1].calls < 10, layers[1].calls


def test_the_entries_where_yours_and_torch_differ_are_probed_first_and_once():
    grad = np.arange(16.0)
    picked = _entries(grad, np.random.default_rng(0), np.array([3, 5, 15]))
    assert list(picked[:3]) == [3, 5, 15]
    assert len(set(picked)) == len(picked) == 15  # the 3, then 12 more: no entry twice


def test_oracle_modes_count_their_calls_and_quick_still_tells_a_backward_bug():
    from parity.check.examples import EXAMPLES

    calls = {}
    for mode in ("full", "quick", "off"):
        report = check(EXAMPLES["functional-missing-mean"].build(), oracle=mode)
        calls[mode] = report.settings["oracle_calls"]
        if mode != "off":
            assert report.verdict.startswith("backward bug"), report.verdict
            assert f"oracle ({mode}): {calls[mode]} calls of your loss" in report.notes
    assert calls["full"] > 3 * calls["quick"] > 0 == calls["off"]
    assert "oracle='off'" in report.verdict
