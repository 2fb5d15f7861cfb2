"""One quantity of yours against torch's: a ``parity.compare.Comparison``, judged against
the bound for its kind and dtype.

The scaled error ``max|yours - torch| / max(max|yours|, max|torch|)`` and the other numbers
come from ``parity.compare.compare`` (the one comparison the harness uses too); this module
decides the bound: ``parity.tolerances.tolerance(kind, dtype)``, or for float32 the rule
below, and words the statistics a diagnosis quotes.

float32. A float32 implementation is also judged against a float64 torch run from the same
(float32-rounded) inputs and weights. It passes when its error against float64 is at most
``F32_MULTIPLE`` times torch-float32's own error against float64 (never below
``F32_FLOOR``), so that rounding, which torch's float32 run shows too, is not called a bug.
Both numbers are kept (``scaled`` and ``ref_err``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from parity.compare import Comparison, compare, scaled_error
from parity.tolerances import tolerance

# Two float32 implementations sum in different orders, so each is a few roundings away from
# the exact value; 10x torch-float32's own error leaves room for that and is still orders of
# magnitude below what any real mistake moves (a wrong factor or mask moves it to >1e-2).
F32_MULTIPLE = 10.0
# When torch-float32 happens to be (nearly) exact, ten float32 roundings (1.2e-6) is the bound.
F32_FLOOR = 10 * float(np.finfo(np.float32).eps)


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


def judge(kind: str, dtype: str, ref_err: float | None) -> float:
    """The bound a scaled error is judged against (see the module docstring)."""
    if dtype == "float32" and ref_err is not None:
        return max(F32_MULTIPLE * ref_err, F32_FLOOR)
    return tolerance(kind, dtype).value


def measure(
    yours: Any,
    torch_value: Any,
    kind: str,
    dtype: str,
    *,
    torch32: Any = None,
    per_step: bool = False,
) -> Comparison:
    """``yours`` against ``torch_value`` (float64 torch when ``dtype`` is float32, with
    ``torch32`` the float32 torch run that sets the bound). ``per_step``: axis 0 is steps,
    and the first step out of bounds is found, each relative to the whole run's magnitude."""
    b = np.asarray(torch_value, dtype=np.float64)
    ref_err = None if torch32 is None else scaled_error(torch32, b)
    tol = judge(kind, dtype, ref_err)
    problem = shape_problem(yours, b)
    if problem:
        return Comparison.failed("yours", tol, problem, ref_err=ref_err)
    a = np.asarray(yours, dtype=np.float64)
    c = compare("yours", a, b, tol, check_dtype=False, per_step=per_step)
    return dataclasses.replace(c, ref_err=ref_err)


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
