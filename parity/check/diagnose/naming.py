"""Name the mistake behind a failing row, or say plainly that no known pattern fits.

``diagnose(row)`` tries the hypotheses for the row's role (``hypotheses.BY_ROLE``) on its
evidence, teacher-forced when there is a teacher-forced value, and returns the first one
verified. Otherwise it reports the error statistics and makes no guess: max abs and scaled
error, the share of non-zero entries where torch's value is exactly 0, and the correlation
and least-squares slope of yours against torch's (a slope of 64 with correlation 1 is a
factor; a correlation near 0 is a different computation). A row where your code raised
gets the exception in full; a row never computed (an earlier call raised) gets no statistics;
a layer right on its own but wrong end to end gets the end-to-end statistics.
"""

from __future__ import annotations

import re

import numpy as np

from parity.check.agreement import statistics
from parity.check.diagnose.hypotheses import BY_ROLE
from parity.check.rows import Diagnosis, Evidence, Row
from parity.compare import Comparison


def no_known_pattern(ev: Evidence) -> Diagnosis:
    return Diagnosis(
        "no_known_pattern",
        "no known pattern: " + statistics(ev.yours, np.asarray(ev.torch, np.float64)),
    )


SHARED_STATE = (
    "state shared between layers (a cache stored on the class instead of the instance, or an "
    "in-place operation on an array another layer cached)?"
)

CHAIN_FIX = (
    "keep each layer's cache on its instance (self.x = x) and never modify in place an array "
    "that another layer keeps"
)


def raised(row: Row) -> Diagnosis:
    """Your code raised while computing this row's own value: the exception, in full."""
    m = next(m for m in (row.e2e, row.tf) if m is not None and m.problem.startswith("raised"))
    # "raised in layers[3].backward", "IndexError: ..."; a place may quote your line:
    # "raised in your loss_fn at line 12: `dW = ...`", "ValueError: ..."
    found = re.match(r"(raised in [^`]*`[^`]*`\)?): ", m.problem)
    cut = found.end(1) if found else m.problem.find(": ")
    head, desc = m.problem[:cut], m.problem[cut + 2 :]
    text = f"your code raised {desc} {head.removeprefix('raised').strip()}".rstrip()
    fix = "run that call on its own with the shapes in this row to see why"
    if row.tf is not None and row.tf.ok:
        text += (
            "; on its own (fed torch's input and upstream gradient) the same call runs and "
            "agrees with torch, so it breaks only in the chain: " + SHARED_STATE
        )
        return Diagnosis("raised", text, CHAIN_FIX, row.tf.scaled, row.tf.tol)
    return Diagnosis("raised", text, fix)


def chain_only(row: Row, ev: Evidence, alone: Comparison) -> Diagnosis:
    """Right when fed torch's values (``alone``, the teacher-forced measurement), wrong end to
    end: the statistics of the end-to-end value."""
    yours, torch_value = ev.context.get("e2e", (None, None))
    stats = (
        statistics(yours, np.asarray(torch_value, np.float64))
        if yours is not None and torch_value is not None
        else row.e2e.problem
        if row.e2e is not None
        else ""
    )
    return Diagnosis(
        "wrong_only_in_chain",
        f"correct on its own, wrong only in the chain: fed torch's input and upstream gradient "
        f"it agrees with torch, end to end it does not ({stats}): {SHARED_STATE}",
        CHAIN_FIX,
        alone.scaled,
        alone.tol,
    )


def diagnose(row: Row) -> Diagnosis:
    """The verified diagnosis of a failing row (see the module docstring)."""
    if row.raised:
        return raised(row)
    if row.not_run:
        return Diagnosis("not_run", row.problem)
    ev = row.evidence
    if row.stage == "oracle":
        return Diagnosis(
            "inconsistent_with_own_loss",
            "your gradient disagrees with central differences of your own loss: a backward "
            f"mistake whatever torch does (scaled error {row.scaled:.2e})",
            "compare this gradient's formula with the derivative of your loss",
        )
    if ev is None:
        return Diagnosis("no_known_pattern", f"no known pattern: {row.problem or 'no values'}")
    if row.tf is not None and row.tf.ok:
        return chain_only(row, ev, row.tf)
    if ev.yours is None:
        return Diagnosis("no_known_pattern", f"no known pattern: {row.problem}")
    for hypothesis in BY_ROLE.get(ev.role, ()):
        found = hypothesis(ev)
        if found is not None:
            return found
    return no_known_pattern(ev)
