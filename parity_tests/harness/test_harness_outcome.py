"""A run's outcome (``parity.harness.outcome``): agree, disagree, diverged, chaotic.

A diverged side is never reported as agreeing; a run that is as far from its own one-ulp
twin as from torch is flagged ``"chaotic"``, not failed; a genuinely wrong candidate still
reads ``"disagree"``, in a chaotic setting too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import scratch
import torch_impl
from parity import RunSpec, run
from parity.compare import Comparison
from parity.harness.grid import Cell
from parity.harness.outcome import (
    CHAOTIC,
    chaos_step,
    decided_steps,
    one_ulp_up,
    only_trained_fail,
    sensitivity_step,
)
from parity.harness.runner import prepare, train_side
from parity.harness.sides import SCRATCH, TORCH

pytestmark = pytest.mark.filterwarnings("error")  # no RuntimeWarning escapes a diverging run

CHAOTIC_SPEC = RunSpec(
    task="multiclass", hidden=(16, 16), activation="tanh", lr=0.3, momentum=0.9, epochs=20
)


def with_optimizer(make: Any) -> Any:
    """scratch with another optimizer: ``make(model, spec)``."""
    return dataclasses.replace(SCRATCH, make_optimizer=make)


# ------------------------------------------------------------------ diverged


def test_momentum_5_diverges_on_both_sides_and_is_not_ok():
    """The issue's case: momentum 5 reached losses of 1e21 and reported ok=True."""
    result = run(RunSpec(task="binary", momentum=5.0, epochs=3), "moons")
    assert (result.outcome, result.ok) == ("diverged", False)
    cand, ref = result.candidate, result.reference
    assert cand.diverged.step == ref.diverged.step == len(cand.losses) == 22
    assert isinstance(cand.diverged, scratch.TrainingDiverged)
    assert isinstance(ref.diverged, torch_impl.TrainingDiverged)
    lines = result.summary().splitlines()
    assert "DIVERGED at step 22 on scratch (loss 5.77e+12): lower lr (now 0.1)" in lines[0]
    assert lines[1:3] == [
        "  scratch: diverged at step 22 (loss 5.77e+12)",
        "  torch: diverged at step 22 (loss 5.77e+12)",
    ]
    # what both reached is still compared, and agrees
    assert result.comparisons[0].name == "loss_curve[:22]"
    assert all(c.ok for c in result.comparisons), result.summary()
    assert max(cand.losses) > 1e11 and np.isnan(cand.test_metric)


def test_diabetes_at_lr_1e6_diverges_alike_with_one_message():
    """The issue's ``nn-parity train --dataset diabetes --activation relu --lr 1e6
    --epochs 3`` on each backend: one message naming the step, the loss and the lr."""
    spec = RunSpec(task="regression", activation="relu", lr=1e6, epochs=3)
    setup = prepare(spec, "diabetes")
    messages = {}
    for impl in (SCRATCH, TORCH):
        with pytest.raises(FloatingPointError) as info:
            train_side(impl, setup)
        assert (info.value.step, info.value.lr) == (1, 1e6)
        messages[impl.name] = str(info.value)
    assert set(messages.values()) == {"diverged at step 1 (loss 9.43e+22); lower lr (now 1e+06)"}
    assert run(spec, "diabetes").outcome == "diverged"


def test_a_side_that_diverges_alone_is_named():
    """A candidate with momentum 5 where the spec says 0: scratch diverges, torch trains."""
    candidate = with_optimizer(
        lambda model, spec: scratch.SGD(model.parameters(), lr=spec.lr, momentum=5.0)
    )
    result = run(RunSpec(task="binary", epochs=3), "moons", candidate=candidate)
    assert result.outcome == "diverged" and result.reference.diverged is None
    summary = result.summary()
    assert f"DIVERGED at step {result.candidate.diverged.step} on scratch" in summary
    assert "lower lr (now 0.1)" in summary
    assert f"  torch: trained all {len(result.reference.losses)} steps" in summary


# ------------------------------------------------------------------ chaotic


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sgd_lr_03_momentum_09_on_spirals_is_chaotic(dtype):
    result = run(CHAOTIC_SPEC.replace(dtype=dtype), "spirals")
    assert (result.outcome, result.ok) == ("chaotic", False)
    k = result.chaos_step
    assert 50 < k < len(result.candidate.losses) - 50  # parts well inside the 300 steps
    curve = next(c for c in result.comparisons if c.name == "loss_curve")
    # scratch and torch part within a fifth of k of the twin (decided_steps): before or after
    # it, as the machine's roundings fall
    assert not curve.ok and abs(curve.first_bad_step - k) < 0.2 * k
    assert curve.scaled > 1e-3  # ... and part by far more than any tolerance after it
    own = next(c for c in result.sensitivity if c.name == "loss_curve")
    assert own.first_bad_step == k and own.scaled > 1e-3  # the run is as far from itself
    assert all(c.ok for c in result.comparisons if c.name.startswith("grad_first_step"))
    summary = result.summary()
    assert f"CHAOTIC after step {k}" in summary.splitlines()[0]
    assert CHAOTIC.format(k=k) in summary
    assert "scratch vs itself from weights +1 ulp: loss_curve: MISMATCH" in summary
    margin = f"scratch and torch part at step {curve.first_bad_step}, within the rounding margin"
    assert (margin in summary) is (curve.first_bad_step < k)  # said where the pair parts first


def test_the_chaotic_message_is_the_documented_one():
    assert CHAOTIC.format(k=7) == (
        "chaotic after step 7: parity is not decidable at this tolerance beyond it"
    )


def test_a_real_mistake_in_a_chaotic_setting_still_disagrees():
    """Dampening where torch has none moves the curve from the second step, long before
    the run's own sensitivity shows: "disagree", with the sensitivity measured."""
    candidate = with_optimizer(
        lambda model, spec: scratch.SGD(
            model.parameters(), lr=spec.lr, momentum=spec.momentum, dampening=0.1
        )
    )
    result = run(CHAOTIC_SPEC, "spirals", candidate=candidate)
    assert (result.outcome, result.chaos_step) == ("disagree", None)
    assert result.sensitivity  # measured: the twin parts at the chaotic step, too late
    curve = next(c for c in result.comparisons if c.name == "loss_curve")
    assert curve.first_bad_step is not None and curve.first_bad_step < 5
    assert "PARITY FAILED" in result.summary()


def test_a_negative_control_is_disagree_without_a_sensitivity_run():
    """The float32-input control of ``test_harness_negative``: its first step's gradients
    already differ, so no sensitivity could explain it and none is measured."""

    def fit_on_rounded_input(model, loss_fn, optimizer, X, y, **kw):
        rounded = X.astype(np.float32).astype(np.float64)
        return scratch.fit(model, loss_fn, optimizer, rounded, y, **kw)

    cell = Cell("tanh", "shallow", "binary", "float64")
    candidate = dataclasses.replace(SCRATCH, fit=fit_on_rounded_input)
    result = run(cell.spec(min_steps=12), cell.data(), candidate=candidate)
    assert (result.outcome, result.chaos_step, result.sensitivity) == ("disagree", None, [])


def test_an_agreeing_run_measures_no_sensitivity():
    result = run(RunSpec(task="binary", epochs=3), "moons")
    assert (result.outcome, result.ok, result.sensitivity) == ("agree", True, [])
    assert "PARITY OK" in result.summary()


# ------------------------------------------------------------------ the pieces


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_one_ulp_up_moves_every_entry_to_the_next_number(dtype):
    state = {"w": np.array([[-1.0, 0.0], [1e-30, 3.0]], dtype), "b": np.array([2.5], dtype)}
    up = one_ulp_up(state)
    for k, v in state.items():
        assert up[k].dtype == v.dtype and up[k].shape == v.shape
        assert np.all(up[k] > v)
        assert np.all(np.nextafter(v, np.array(-np.inf, dtype)) < v)
        np.testing.assert_array_equal(np.nextafter(up[k], np.array(-np.inf, dtype)), v)


def _c(name: str, ok: bool, first_bad: int | None = None) -> Comparison:
    return Comparison(name, 0.0, 0.0, 0.0 if ok else 1.0, 1e-9, ok, first_bad)


@pytest.mark.parametrize(
    ("failing", "expected"),
    [
        ([], False),  # nothing failed: nothing to explain
        (["loss_curve"], True),
        (["final_weights[0.weight]", "test_outputs"], True),
        (["grad_last_step[2.bias]"], True),
        (["loss_curve", "grad_first_step[0.weight]"], False),  # one pass already differs
    ],
)
def test_only_trained_quantities_can_be_chaotic(failing, expected):
    names = ["loss_curve", "grad_first_step[0.weight]", "grad_last_step[2.bias]",
             "final_weights[0.weight]", "test_outputs"]  # fmt: skip
    assert only_trained_fail([_c(n, n not in failing) for n in names]) is expected


@pytest.mark.parametrize(
    ("comparisons", "expected"),
    [
        ([_c("loss_curve", False, 40), _c("test_outputs", False)], 40),
        ([_c("loss_curve", True), _c("final_weights[0.weight]", False)], 300),  # end only
        ([_c("loss_curve", True), _c("test_outputs", True)], None),  # insensitive
    ],
)
def test_sensitivity_step(comparisons, expected):
    assert sensitivity_step(comparisons, 300) == expected


def _side(losses: np.ndarray, weight: float = 1.0, *, diverged: bool = False) -> Any:
    """A finished side with what ``chaos_step`` compares: the loss curve, one final weight,
    no gradients, test outputs; ``diverged`` stops it (the twin's ``compare_prefix`` path)."""
    from parity.harness.runner import SideResult

    stopped = FloatingPointError("stopped") if diverged else None
    return SideResult(SCRATCH, losses, None, {"0.weight": np.array([[weight]])}, {}, {},
                      np.zeros((1, 1)), 0.0, diverged=stopped)  # fmt: skip


def _parts_at(step: int | None, steps: int = 200) -> np.ndarray:
    """A loss curve that leaves the shared one at ``step`` (never: ``None``)."""
    curve = np.linspace(1.0, 0.5, steps)
    if step is not None:
        curve[step:] += 0.1
    return curve


@pytest.mark.parametrize("twin_diverged", [False, True], ids=["twin-finished", "twin-stopped"])
@pytest.mark.parametrize(
    ("pair_parts_at", "expected"),
    [
        (79, None),  # the pair parts before four fifths of the twin's 100 steps: a mistake
        (80, 100),  # from four fifths on: rounding can explain it
        (99, 100),  # just before the twin (seen on an AMD EPYC: 158 vs 159)
        (120, 100),  # after the twin
    ],
)
def test_the_pair_must_agree_over_four_fifths_of_the_twins_steps(
    pair_parts_at, expected, twin_diverged
):
    """``chaos_step``'s margin (``decided_steps``): chaotic when the one-ulp twin's curve
    parts at step k and the implementations agree over the first k - k//5 steps."""
    cand, ref = _side(_parts_at(None)), _side(_parts_at(pair_parts_at))
    twin = _side(_parts_at(100), diverged=twin_diverged)
    k, _ = chaos_step(RunSpec(task="binary"), cand, ref, twin, "cpu")
    assert k == expected
    assert (decided_steps(100), decided_steps(159), decided_steps(4)) == (80, 128, 4)
    assert (decided_steps(1), decided_steps(0)) == (1, 0)


@pytest.mark.parametrize(("pair_parts_at", "expected"), [(120, None), (None, 200)])
def test_a_twin_whose_curve_never_parts_leaves_no_margin(pair_parts_at, expected):
    """Only the twin's final weights go over (its curve agrees throughout): nothing explains
    a curve the implementations part on, at any step; the end alone may be chaotic."""
    cand, twin = _side(_parts_at(None)), _side(_parts_at(None), weight=2.0)
    ref = _side(_parts_at(pair_parts_at), weight=1.5)
    k, self_comps = chaos_step(RunSpec(task="binary"), cand, ref, twin, "cpu")
    assert k == expected
    assert [c.ok for c in self_comps if c.name.startswith("loss_curve")] == [True]
