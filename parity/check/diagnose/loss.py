"""Hypotheses about your loss as a whole: an L2 penalty torch's loss does not have, and a
``loss_fn`` that keeps state between calls (gradients accumulated across calls, or any other
difference between two calls on the same arguments)."""

from __future__ import annotations

import numpy as np

from parity.check.agreement import statistics
from parity.check.diagnose.acceptance import accept, factors
from parity.check.rows import Diagnosis, Evidence
from parity.compare import scaled_error


def l2_penalty(ev: Evidence) -> Diagnosis | None:
    """Your loss adds an L2 penalty on the weights that torch's loss does not have, alone or
    with a second mistake: a constant factor on the data part of every gradient.

    ``context["l2"]``: ``(yours, torch's, value, is_weight)`` per parameter. Verified on
    every gradient: yours - c·torch = lam * W for one lam (biases unpenalised, or penalised
    alike) and one c (1, or a factor of ``factors``), and on the loss: yours - torch =
    (lam / 2) * sum ||W||^2 (or lam * sum ||W||^2).
    """
    entries = ev.context.get("l2")
    if not entries or any(np.shape(g) != np.shape(t) for g, t, _, _ in entries):
        return None
    n, d = ev.context.get("n", 1), ev.context.get("d", 1)
    for label, c, meaning in [("1", 1.0, ""), *factors(n, d)]:
        found = _l2_with_factor(ev, entries, c)
        if found is None:
            continue
        lam, S = found
        second = (
            ""
            if c == 1
            else f"; and a second mistake, in the gradients: a factor {label} ({meaning})"
        )
        fix_second = "" if c == 1 else f"; and fix the factor {label} in the gradients"
        for coeff, form, note in (
            (lam / 2, "(λ/2)·Σ||W||²", ""),
            (lam, "λ·Σ||W||²", " but a gradient of λ·W, half its derivative"),
        ):
            diagnosis = accept(
                ev,
                float(ev.yours) - coeff * S,
                ev.torch,
                "l2_regulariser",
                f"your loss adds an L2 penalty {form} with λ = {lam:.3g}{note}; torch's loss "
                f"has none (torch puts L2 in the optimizer: weight_decay=λ){second}",
                "drop the penalty from the loss and its gradient to compare with torch's loss, "
                f"or compare against an optimizer with weight_decay{fix_second}",
                "l2",
                distinct_from=ev.yours,
            )
            if diagnosis:
                return diagnosis
    return None


def _l2_with_factor(
    ev: Evidence, entries: list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]], c: float
) -> tuple[float, float] | None:
    """``(lam, sum ||W||^2)`` when every gradient is ``c·torch's + lam·W``, else None."""
    weights = [(g - c * t, W) for g, t, W, is_weight in entries if is_weight]
    S = sum(float((W * W).sum()) for _, W in weights)
    lam = sum(float((dd * W).sum()) for dd, W in weights) / S if S > 0 else 0.0
    if lam <= 0:
        return None
    tol = ev.context["tol"]
    for penalise_bias in (False, True):
        if all(
            scaled_error((g - lam * W * (is_weight or penalise_bias)) / c, t) <= tol
            for g, t, W, is_weight in entries
        ):
            return lam, S
    return None


STATEFUL_FIX = (
    "compute the loss and gradients from the arguments alone and return fresh arrays (no "
    "dict or array kept between calls and added into)"
)


def repeat_accumulated(ev: Evidence) -> Diagnosis | None:
    """A second ``loss_fn`` call returned the first call's gradients plus one more share:
    ``second = (m + 1)/m × first`` for a whole number ``m`` of calls summed into the first."""
    a, t = np.asarray(ev.yours, np.float64), ev.torch
    tt = float(t @ t)
    k = float(t @ a) / tt if tt > 0 else 0.0
    if k <= 1:
        return None
    m = round(1 / (k - 1))
    return (
        accept(
            ev,
            (a - t) * m,
            t,
            "accumulated_gradients",
            f"your loss_fn keeps state between calls: called again on the same params and data, "
            f"its gradients are {k:.3g} times the first call's: gradients accumulated across "
            f"calls and never reset (no zero_grad)",
            STATEFUL_FIX,
            "accumulate",
            distinct_from=a,
        )
        if m >= 1
        else None
    )


def repeat_random(ev: Evidence) -> Diagnosis | None:
    """Two calls differ, but from the same NumPy random state they agree: nondeterministic."""
    if not ev.context.get("random"):
        return None
    return Diagnosis(
        "nondeterministic",
        "your loss_fn is nondeterministic: it draws from NumPy's global random state (dropout, "
        "noise, a random batch), so two calls on the same params and data differ; from the "
        "same random state they agree",
        "take the randomness out of the checked loss (dropout off, no noise), or seed it "
        "inside loss_fn",
    )


def repeat_stateful(ev: Evidence) -> Diagnosis:
    """Any other difference between two calls on the same arguments (never ``None``)."""
    first, second = ev.context["loss"]
    differs = [f"the loss {first:.6g}, then {second:.6g}"] if first != second else []
    if scaled_error(ev.yours, ev.torch) > ev.context["tol"]:
        differs.append(f"other gradients ({statistics(ev.yours, ev.torch)})")
    return Diagnosis(
        "stateful_loss_fn",
        "your loss_fn keeps state between calls: called twice on the same params and data it "
        f"returns {' and '.join(differs) or 'something else'}",
        STATEFUL_FIX,
    )
