"""Name the mistake behind a failing row, or say plainly that no known pattern fits.

``diagnose(row)`` tries the hypotheses for the row's role (``hypotheses.BY_ROLE``) on its
evidence, teacher-forced when there is a teacher-forced value, and returns the first one
verified. Otherwise it reports the error statistics and makes no guess: max abs and scaled
error, the share of non-zero entries where torch's value is exactly 0, and the correlation
and least-squares slope of yours against torch's (a slope of 64 with correlation 1 is a
factor; a correlation near 0 is a different computation).
"""

from __future__ import annotations

import numpy as np

from .hypotheses import BY_ROLE
from .rows import Diagnosis, Evidence, Row


def statistics(yours: object, torch_value: np.ndarray) -> str:
    """The error statistics of yours against torch's, in one line."""
    a = np.asarray(yours, dtype=np.float64)
    if a.shape != torch_value.shape:
        return f"shape {a.shape} where torch's is {torch_value.shape}"
    if not np.isfinite(a).all():
        return f"yours has {int((~np.isfinite(a)).sum())} NaN/inf entries"
    diff = np.abs(a - torch_value)
    scale = max(float(np.abs(a).max()), float(np.abs(torch_value).max()), 1e-300)
    parts = [f"max abs {diff.max():.3g}", f"scaled {diff.max() / scale:.3g}"]
    zeros = torch_value == 0
    if zeros.any() and a.size > 1:
        parts.append(f"yours non-zero at {(a[zeros] != 0).mean():.0%} of torch's exact zeros")
    t, y = torch_value.ravel(), a.ravel()
    if t.size > 1 and t.std() > 0 and y.std() > 0:
        parts.append(f"correlation {np.corrcoef(t, y)[0, 1]:.3f}")
    tt = float(t @ t)
    if tt > 0:
        parts.append(f"slope {float(t @ y) / tt:.4g}")
    return ", ".join(parts)


def no_known_pattern(ev: Evidence) -> Diagnosis:
    return Diagnosis(
        "no_known_pattern",
        "no known pattern: " + statistics(ev.yours, np.asarray(ev.torch, np.float64)),
    )


def raised(row: Row) -> Diagnosis:
    """Your code raised while computing this row's quantity."""
    return Diagnosis(
        "raised",
        f"your code raised {row.problem.removeprefix('raised ')}",
        "run that call on its own with the shapes in this row to see why",
    )


def diagnose(row: Row) -> Diagnosis:
    """The verified diagnosis of a failing row (see the module docstring)."""
    if row.problem.startswith("raised"):
        return raised(row)
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
    if ev.yours is None:
        return Diagnosis("no_known_pattern", f"no known pattern: {row.problem}")
    for hypothesis in BY_ROLE.get(ev.role, ()):
        found = hypothesis(ev)
        if found is not None:
            return found
    return no_known_pattern(ev)
