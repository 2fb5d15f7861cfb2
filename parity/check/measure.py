"""One quantity of yours against torch's: the scaled error, judged against a tolerance.

``scaled = max|yours - torch| / max(max|yours|, max|torch|)`` (``parity.compare.compare``),
judged against ``parity.tolerances.tolerance(kind, dtype)``. Beside it: the max absolute
error, the max relative error over the entries where torch's value is not 0, and, where
torch's value is exactly 0 (a ReLU mask, a dead unit), the share of those entries where yours
is not 0: a relative error there would be ``|yours| / 1e-300``, a meaningless 1e+298.

float32. A float32 implementation is also judged against a float64 torch run from the same
(float32-rounded) inputs and weights. It passes when its error against float64 is at most
``F32_MULTIPLE`` times torch-float32's own error against float64 (never below
``F32_FLOOR``), so that rounding, which torch's float32 run shows too, is not called a bug.
Both numbers are kept (``scaled`` and ``ref_err``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from parity.compare import compare
from parity.tolerances import tolerance

# Two float32 implementations sum in different orders, so each is a few roundings away from
# the exact value; 10x torch-float32's own error leaves room for that and is still orders of
# magnitude below what any real mistake moves (a wrong factor or mask moves it to >1e-2).
F32_MULTIPLE = 10.0
# When torch-float32 happens to be (nearly) exact, ten float32 roundings (1.2e-6) is the bound.
F32_FLOOR = 10 * float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class Measure:
    """The measured agreement of one tensor (or scalar, or per-step curve)."""

    scaled: float
    tol: float
    ok: bool
    max_abs: float = math.inf
    max_rel: float = math.inf
    zero_share: float | None = None  # share of yours != 0 where torch == 0 (None: no zeros)
    ref_err: float | None = None  # float32 only: torch-float32's scaled error vs float64
    first_bad_step: int | None = None  # per-step quantities only
    problem: str = ""  # why no value could be measured (shape, raised, not run)
    note: str = ""  # a remark on a measured value (the oracle: entries at a kink)

    @classmethod
    def failed(cls, problem: str, tol: float) -> Measure:
        """A measurement that could not compare values; ``problem`` says why."""
        return cls(math.inf, tol, False, problem=problem)

    def to_json(self) -> dict[str, Any]:
        """The numbers as JSON-safe values (``None`` for inf/NaN)."""
        return {
            "scaled": _finite(self.scaled),
            "tol": self.tol,
            "ok": self.ok,
            "max_abs": _finite(self.max_abs),
            "max_rel": _finite(self.max_rel),
            "zero_share": self.zero_share,
            "torch_float32_error": _finite(self.ref_err),
            "first_bad_step": self.first_bad_step,
            "problem": self.problem,
            "note": self.note,
        }


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def shape_problem(yours: Any, torch_value: np.ndarray) -> str:
    """Why ``yours`` cannot be compared with ``torch_value`` ("" when it can)."""
    if yours is None:
        return "not available"
    a = np.asarray(yours)
    if not np.issubdtype(a.dtype, np.number):
        return f"yours is not numeric (dtype {a.dtype})"
    if a.shape != np.shape(torch_value):
        return f"shape {a.shape} where torch's is {np.shape(torch_value)}"
    if not np.isfinite(a.astype(np.float64)).all():
        return "yours has NaN or inf"
    return ""


def scaled_error(a: Any, b: Any) -> float:
    """``max|a - b| / max(max|a|, max|b|)`` in float64 (inf when shapes differ)."""
    if shape_problem(a, np.asarray(b)):
        return math.inf
    return compare("e", np.asarray(a, np.float64), np.asarray(b, np.float64), 1.0).scaled


def judge(kind: str, dtype: str, ref_err: float | None) -> float:
    """The bound a scaled error is judged against (see the module docstring)."""
    if dtype == "float32" and ref_err is not None:
        return max(F32_MULTIPLE * ref_err, F32_FLOOR)
    return tolerance(kind, dtype).value


def measure(yours: Any, torch_value: Any, kind: str, dtype: str, *, torch32: Any = None) -> Measure:
    """Measure ``yours`` against ``torch_value`` (float64 torch when ``dtype`` is float32,
    with ``torch32`` the float32 torch run that sets the bound)."""
    b = np.asarray(torch_value, dtype=np.float64)
    ref_err = None if torch32 is None else scaled_error(torch32, b)
    tol = judge(kind, dtype, ref_err)
    problem = shape_problem(yours, b)
    if problem:
        return Measure(math.inf, tol, False, ref_err=ref_err, problem=problem)
    a = np.asarray(yours, dtype=np.float64)
    c = compare("yours", a, b, tol, check_dtype=False)
    zeros = b == 0
    nonzero = ~zeros
    diff = np.abs(a - b)
    max_rel = float((diff[nonzero] / np.abs(b[nonzero])).max()) if nonzero.any() else 0.0
    share = float((a[zeros] != 0).mean()) if zeros.any() and b.size > 1 else None
    return Measure(c.scaled, tol, c.scaled <= tol, c.max_abs, max_rel, share, ref_err)


def measure_steps(
    yours: np.ndarray, torch_value: np.ndarray, kind: str, dtype: str, *, torch32: Any = None
) -> Measure:
    """Measure a per-step quantity (axis 0 = steps) and find the first step out of bounds.

    Each step's error is relative to the whole run's magnitude, as ``compare(per_step=True)``.
    """
    m = measure(yours, torch_value, kind, dtype, torch32=torch32)
    if m.problem or m.ok:
        return m
    a, b = np.asarray(yours, np.float64), np.asarray(torch_value, np.float64)
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()), 1e-300)
    per = np.abs(a - b).reshape(len(a), -1).max(axis=1) / scale
    first = int(np.argmax(per > m.tol))
    return Measure(
        m.scaled, m.tol, m.ok, m.max_abs, m.max_rel, m.zero_share, m.ref_err, first, m.problem
    )


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
    if t.size == 1:  # one number (the loss): yours and torch's, no slope of one point
        return ", ".join([*parts, f"yours {y[0]:.6g}, torch's {t[0]:.6g}"])
    if t.std() > 0 and y.std() > 0:
        parts.append(f"correlation {np.corrcoef(t, y)[0, 1]:.3f}")
    tt = float(t @ t)
    if tt > 0:
        parts.append(f"slope {float(t @ y) / tt:.4g}")
    return ", ".join(parts)
