"""The one comparison helper: shape and dtype before values, errors measured, steps named."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from parity.compare import assert_close, compare, compare_dicts


def test_equal_arrays_have_zero_error_and_pass():
    a = np.linspace(-1, 1, 7)
    c = compare("w", a, torch.tensor(a), 1e-12)
    assert c.ok and c.scaled == c.max_abs == c.max_rel == 0.0


def test_errors_are_measured_against_the_reference_magnitude():
    theirs = np.array([10.0, -4.0, 0.5])
    ours = theirs + np.array([0.0, 1e-6, -2e-6])
    c = compare("w", ours, theirs, 1e-6)
    assert c.max_abs == pytest.approx(2e-6)
    assert c.scaled == pytest.approx(2e-6 / 10.0)
    assert c.max_rel == pytest.approx(2e-6 / 0.5)
    assert c.ok


@pytest.mark.parametrize(
    ("ours", "theirs", "problem"),
    [
        (np.zeros((2, 3)), np.zeros((3, 2)), "shape mismatch: scratch (2, 3) vs torch (3, 2)"),
        (np.zeros(3, np.float32), np.zeros(3), "dtype mismatch: scratch float32 vs torch float64"),
    ],
    ids=["shape", "dtype"],
)
def test_shape_and_dtype_are_checked_before_values(ours, theirs, problem):
    c = compare("grad[0.weight]", ours, theirs, 1.0)
    assert not c.ok and c.problem == problem
    assert c.message == f"grad[0.weight]: {problem}"


def test_per_step_names_the_first_step_over_tolerance():
    theirs = np.ones(10)
    ours = theirs.copy()
    ours[6:] += 1e-3
    c = compare("loss_curve", ours, theirs, 1e-6, per_step=True)
    assert not c.ok and c.first_bad_step == 6
    assert "first exceeded at step 6" in c.message and "MISMATCH" in c.message


@pytest.mark.parametrize(
    ("ours", "ok"), [([np.inf, 1.0], True), ([np.nan, 1.0], False)], ids=["same-inf", "nan"]
)
def test_non_finite_values_must_match_exactly(ours, ok):
    c = compare("x", np.array(ours), np.array([np.inf, 1.0]), 1e-3)
    assert c.ok is ok


def test_scale_overrides_the_tensor_magnitude():
    ours, theirs = np.array([1e-6 + 1e-12]), np.array([1e-6])
    assert not compare("g", ours, theirs, 1e-7).ok  # 1e-6 relative to its own size
    assert compare("g", ours, theirs, 1e-7, scale=1.0).ok  # 1e-12 relative to the model's


def test_compare_dicts_reports_keys_present_on_one_side_only():
    cs = compare_dicts("w", {"a": np.ones(2), "b": np.ones(1)}, {"a": np.ones(2), "c": 1.0}, 1e-9)
    by_name = {c.name: c for c in cs}
    assert by_name["w[a]"].ok
    assert by_name["w[b]"].problem == "present only on the scratch side"
    assert by_name["w[c]"].problem == "present only on the torch side"


def test_assert_close_raises_with_the_message():
    # scaled by the larger magnitude of the two: 0.1 / 1.25
    with pytest.raises(AssertionError, match=r"logits: MISMATCH scaled err 8\.000e-02"):
        assert_close("logits", np.array([1.25]), np.array([1.15]), 1e-3)
