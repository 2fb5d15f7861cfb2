"""What a finished lock-step run means: agree, disagree, diverged or chaotic.

* ``"agree"``: every comparison (``compare_sides``) is within its tolerance.
* ``"diverged"``: a side's ``fit`` stopped at a non-finite or exploding loss
  (``scratch.TrainingDiverged`` / ``torch_impl.TrainingDiverged``, both
  ``FloatingPointError``); a diverged run is never reported as agreeing.
* ``"chaotic"``: a trained quantity (the loss curve, the last step's gradients, the final
  weights, the test outputs) is over its tolerance, but the run is as far from *itself*: the
  candidate trained a second time from the initial weights moved up by one ulp
  (``one_ulp_up``), on the same batches, differs from its first run by more than the
  tolerance from step ``k`` on, and the two implementations agree over the first four fifths
  of those ``k`` steps (``decided_steps``) and on the first step's gradients. Rounding
  differences of one ulp are what two correct implementations produce anyway, so beyond
  ``k`` parity is not decidable at this tolerance. Four fifths, not all ``k``: the step at
  which a chaotic run parts depends on which roundings seeded it (one ulp once for the
  twin, one here and there at every step between the implementations), so the pair and the
  twin part within a few steps of each other, in either order (158 and 159 of 300 on one
  machine, the other way round on another), while a real mistake shows within a few steps.
  A twin whose curve never parts (only its final weights or outputs do) leaves no margin:
  the implementations must then agree over the whole curve.
* ``"disagree"``: anything else over its tolerance; a real mistake shows before the run's
  own sensitivity does (a wrong formula moves the curve within a few steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from parity.compare import Comparison, compare, compare_dicts
from parity.harness.sides import SideResult, StateDict, diverged_loss
from parity.spec import Network, RunSpec
from parity.tolerances import Tolerance, tolerance

OUTCOMES = ("agree", "disagree", "diverged", "chaotic")
TRAINED = ("loss_curve", "grad_last_step", "final_weights", "test_outputs")  # after training
CHAOTIC = "chaotic after step {k}: parity is not decidable at this tolerance beyond it"


def one_ulp_up(state: StateDict) -> StateDict:
    """Every parameter moved to the next representable number toward +inf, in its dtype."""
    return {k: np.nextafter(v, np.array(np.inf, dtype=v.dtype)) for k, v in state.items()}


def compare_sides(
    spec: RunSpec, cand: SideResult, ref: SideResult, device: str
) -> list[Comparison]:
    """Every comparison of a finished run: per-step loss curve, first- and last-step
    gradients, final weights and test outputs, each against its tolerance on ``device``."""
    dt, names = spec.dtype, (cand.name, ref.name)

    def tol(kind: str) -> Tolerance:
        return tolerance(kind, dt, device)

    comps = [compare("loss_curve", cand.losses, ref.losses, tol("curve"), per_step=True,
                     names=names)]  # fmt: skip
    comps += compare_dicts(
        "grad_first_step", cand.grads_first, ref.grads_first, tol("gradient"), names=names
    )
    # the last step's gradients come from trained weights: the trained-run bound applies
    comps += compare_dicts(
        "grad_last_step", cand.grads_last, ref.grads_last, tol("weights"), names=names
    )
    comps += compare_dicts(
        "final_weights", cand.final_state, ref.final_state, tol("weights"), names=names
    )
    comps.append(
        compare("test_outputs", cand.test_outputs, ref.test_outputs, tol("outputs"), names=names)
    )
    return comps


def compare_prefix(
    spec: RunSpec, cand: SideResult, ref: SideResult, device: str, steps: int | None = None
) -> list[Comparison]:
    """The loss curves over their first ``steps`` steps (default: as many as both have) and
    the first step's gradients where both sides recorded them: what a run that stopped
    early (a diverged side) can still be compared on."""
    n = min(len(cand.losses), len(ref.losses)) if steps is None else steps
    names = (cand.name, ref.name)
    comps = [
        compare(f"loss_curve[:{n}]", cand.losses[:n], ref.losses[:n],
                tolerance("curve", spec.dtype, device), per_step=True, names=names)
    ]  # fmt: skip
    if cand.grads_first and ref.grads_first:
        comps += compare_dicts(
            "grad_first_step", cand.grads_first, ref.grads_first,
            tolerance("gradient", spec.dtype, device), names=names,
        )  # fmt: skip
    return comps


def only_trained_fail(comparisons: Sequence[Comparison]) -> bool:
    """True when something failed and every failure is of a trained quantity (``TRAINED``):
    the only case a run's own sensitivity can explain."""
    failed = [c for c in comparisons if not c.ok]
    return bool(failed) and all(c.name.split("[")[0] in TRAINED for c in failed)


def sensitivity_step(self_comparisons: Sequence[Comparison], steps: int) -> int | None:
    """The first step at which the run differs from itself (its one-ulp twin) by more than
    the tolerance: the self loss curve's first bad step; ``steps`` when only the end of the
    run (weights, outputs) is over; ``None`` when the run is insensitive at this tolerance."""
    curve = next(c for c in self_comparisons if c.name.startswith("loss_curve"))
    if not curve.ok:
        return curve.first_bad_step if curve.first_bad_step is not None else steps
    if any(not c.ok for c in self_comparisons):
        return steps
    return None


def decided_steps(k: int) -> int:
    """The steps over which the implementations must agree for a run whose one-ulp twin's
    loss curve parts at step ``k`` to be called chaotic: ``k`` less a fifth of it (see the
    module docstring; all ``k`` below 5)."""
    return k - k // 5


def chaos_step(
    spec: RunSpec, cand: SideResult, ref: SideResult, perturbed: SideResult, device: str
) -> tuple[int | None, list[Comparison]]:
    """``(k, self_comparisons)``: ``k`` the step after which the run is chaotic, or ``None``
    when it is not (its one-ulp twin ``perturbed`` stays within tolerance of ``cand``, or the
    implementations already disagree before the twin parts: over the first
    ``decided_steps(k)`` steps when the twin's loss curve parts at ``k``, over every step
    when only the end of the twin's run (weights, outputs) does)."""
    if perturbed.diverged is not None:  # the twin diverged and cand did not: compare the prefix
        self_comps = compare_prefix(spec, perturbed, cand, device)
        k = sensitivity_step(self_comps, len(perturbed.losses))
    else:
        self_comps = compare_sides(spec, perturbed, cand, device)
        k = sensitivity_step(self_comps, len(cand.losses))
    if k is None:
        return None, self_comps
    curve_parted = not next(c for c in self_comps if c.name.startswith("loss_curve")).ok
    agreed = decided_steps(k) if curve_parted else k
    if not all(c.ok for c in compare_prefix(spec, cand, ref, device, agreed)):
        return None, self_comps
    return k, self_comps


@dataclass
class ParityResult:
    """A parity run's outcome: both sides' results and every comparison.

    ``dataset`` names the data the run trained on; ``device`` is where the reference ran.
    ``outcome`` (see ``parity.harness.outcome``) is ``"agree"``, ``"disagree"``, ``"diverged"`` (a
    side's loss became non-finite or exploded: never reported as agreeing) or
    ``"chaotic"`` (the run is as far from its own one-ulp twin as from the reference, from
    ``chaos_step`` on; ``sensitivity`` holds the twin's comparisons); ``ok`` is true only
    for ``"agree"``.
    """

    spec: RunSpec
    dataset: str
    network: Network
    device: str
    candidate: SideResult
    reference: SideResult
    comparisons: list[Comparison] = field(default_factory=list)
    chaos_step: int | None = None
    sensitivity: list[Comparison] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """``"agree"``, ``"disagree"``, ``"diverged"`` or ``"chaotic"``."""
        if self.candidate.diverged is not None or self.reference.diverged is not None:
            return "diverged"
        if all(c.ok for c in self.comparisons):
            return "agree"
        return "chaotic" if self.chaos_step is not None else "disagree"

    @property
    def ok(self) -> bool:
        """True only when the sides agree (``outcome == "agree"``)."""
        return self.outcome == "agree"

    @property
    def sides(self) -> dict[str, SideResult]:
        """Both sides' results by implementation name, candidate first."""
        return {side.name: side for side in (self.candidate, self.reference)}

    @property
    def worst(self) -> dict[str, Comparison]:
        """The worst comparison per quantity group (``loss_curve``, ``final_weights``...)."""
        worst: dict[str, Comparison] = {}
        for c in self.comparisons:
            group = c.name.split("[")[0]
            if group not in worst or c.scaled > worst[group].scaled:
                worst[group] = c
        return worst

    @property
    def first_failure(self) -> Comparison | None:
        """The first comparison over its tolerance (curves name the step), or ``None``."""
        return next((c for c in self.comparisons if not c.ok), None)

    def verdict(self) -> str:
        """One phrase: ``PARITY OK``, ``PARITY FAILED``, ``CHAOTIC after step k`` or
        ``DIVERGED at step k on <side> (loss ...): lower lr (now ...)``."""
        outcome = self.outcome
        if outcome == "diverged":
            stops = [
                (getattr(side.diverged, "step", len(side.losses)), side.name, side.diverged)
                for side in (self.candidate, self.reference)
                if side.diverged is not None
            ]
            step, name, diverged = min(stops, key=lambda stop: stop[0])
            lr = getattr(diverged, "lr", None)
            return (
                f"DIVERGED at step {step} on {name} (loss {diverged_loss(diverged):.3g}): "
                f"lower lr (now {'unknown' if lr is None else f'{lr:g}'})"
            )
        if outcome == "chaotic":
            return f"CHAOTIC after step {self.chaos_step}"
        return "PARITY OK" if outcome == "agree" else "PARITY FAILED"

    def summary(self) -> str:
        """A readable multi-line summary: verdict, worst error per quantity, metrics."""
        s, cand, ref = self.spec, self.candidate, self.reference
        metric = "test MSE" if s.task == "regression" else "test accuracy"
        lines = [
            f"{s.label()} on {self.dataset}: {self.verdict()} "
            f"({len(cand.losses)} steps, {s.optimizer} lr={s.lr}, device {s.device})",
        ]
        if self.outcome == "diverged":
            lines += [f"  {side.name}: {side.divergence()}" for side in (cand, ref)]
        lines += [f"  {c.message}" for c in self.worst.values()]
        if self.outcome == "chaotic":
            lines.append("  " + CHAOTIC.format(k=self.chaos_step))
            curve = next((c for c in self.comparisons if c.name == "loss_curve"), None)
            parted = None if curve is None else curve.first_bad_step
            if parted is not None and self.chaos_step is not None and parted < self.chaos_step:
                lines.append(
                    f"  {cand.name} and {ref.name} part at step {parted}, within the rounding "
                    f"margin of step {self.chaos_step} (its last fifth)"
                )
            own = next((c for c in self.sensitivity if not c.ok), self.sensitivity[0])
            lines.append(f"  {cand.name} vs itself from weights +1 ulp: {own.message}")
        if self.outcome != "diverged":
            lines.append(
                f"  {metric}: {cand.name} {cand.test_metric:.4f}, {ref.name} {ref.test_metric:.4f}"
            )
        if self.outcome == "disagree" and self.first_failure is not None:
            lines.append(f"  first failure: {self.first_failure.message}")
        return "\n".join(lines)
