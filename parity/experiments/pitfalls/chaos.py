"""Chaotic training: when parity is not decidable at a tolerance.

Two correct implementations differ by rounding (their BLAS sum in different orders), about
one ulp per operation. Most runs carry that difference along unchanged; a run at the edge of
stability (a large learning rate with heavy momentum) amplifies it step after step until the
two loss curves part by O(1). Such a run is as far from *itself*, started one ulp away, as
from the other implementation, so no tolerance can tell a mistake from rounding after that
point. ``parity.run`` measures this (``parity.harness.outcome``) and reports ``"chaotic"``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from parity._util.threads import limit_threads
from parity.compare import Comparison, compare
from parity.experiments.pitfalls.common import Numbers
from parity.harness.outcome import one_ulp_up
from parity.harness.runner import SideResult, prepare, run, train_side
from parity.harness.sides import TORCH
from parity.spec import RunSpec
from parity.tolerances import tolerance

# SGD lr 0.3 with momentum 0.9 (an effective step of lr / (1 - momentum) = 3) on spirals
CHAOTIC_SPEC = RunSpec(
    task="multiclass", hidden=(16, 16), activation="tanh", lr=0.3, momentum=0.9, epochs=20
)
CALM_LR = 0.03  # the same run with a tenth of the learning rate: not chaotic


def _curve(a: SideResult, b: SideResult) -> Comparison:
    """The per-step loss curves of two results, at the float64 trained-run tolerance."""
    return compare("loss_curve", a.losses, b.losses, tolerance("curve", "float64"), per_step=True)


def _numbers(name: str, a: SideResult, b: SideResult) -> Numbers:
    """``name.first_loss_diff`` (|difference| of the step-0 losses), ``name.max_scaled``
    (the curves' scaled error) and ``name.first_bad_step`` (-1: never over the tolerance)."""
    curve = _curve(a, b)
    first_bad = curve.first_bad_step
    return {
        f"{name}.first_loss_diff": float(abs(a.losses[0] - b.losses[0])),
        f"{name}.max_scaled": curve.scaled,
        f"{name}.first_bad_step": -1.0 if first_bad is None else float(first_bad),
    }


def chaotic_training(seed: int = 0) -> Numbers:
    """``CHAOTIC_SPEC`` on spirals (300 steps, float64): scratch against torch, and each
    side against itself trained from the initial weights moved up by one ulp.

    ``ulp_rel_change``: the perturbation, ``max |w' - w| / |w|`` (about 2e-16).
    ``{cross, scratch_self, torch_self}.{first_loss_diff, max_scaled, first_bad_step}``:
    scratch vs torch, scratch vs its one-ulp twin, torch vs its one-ulp twin; the step-0
    loss difference (roundoff, or 0), the loss curves' scaled error over the run (O(1)) and
    the first step over the 1e-9 tolerance (-1 if none). ``outcome_chaotic`` (1.0 when
    ``parity.run`` says ``"chaotic"``), ``chaos_step`` (its step, -1 if none), and
    ``calm.agree`` (1.0 when the same run at lr ``CALM_LR`` agrees) with ``calm.max_scaled``.
    """
    spec = CHAOTIC_SPEC.replace(seed=seed)
    with limit_threads(1):
        result = run(spec, "spirals")
        setup = prepare(spec, "spirals")
        twin_setup = dataclasses.replace(setup, initial_state=one_ulp_up(setup.initial_state))
        scratch_twin = train_side(result.candidate.implementation, twin_setup)
        torch_twin = train_side(TORCH, twin_setup)
        calm = run(spec.replace(lr=CALM_LR), "spirals")
    w0, w1 = (np.concatenate([v.ravel() for v in s.values()]) for s in (
        setup.initial_state, twin_setup.initial_state))  # fmt: skip
    out: Numbers = {"ulp_rel_change": float(np.max(np.abs(w1 - w0) / np.abs(w0)))}
    out |= _numbers("cross", result.candidate, result.reference)
    out |= _numbers("scratch_self", result.candidate, scratch_twin)
    out |= _numbers("torch_self", result.reference, torch_twin)
    out["outcome_chaotic"] = float(result.outcome == "chaotic")
    out["chaos_step"] = -1.0 if result.chaos_step is None else float(result.chaos_step)
    out["calm.agree"] = float(calm.outcome == "agree")
    out["calm.max_scaled"] = _curve(calm.candidate, calm.reference).scaled
    return out
