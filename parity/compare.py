"""The one comparison every parity check goes through: one record, one scaled error.

``compare(name, ours, theirs, tol)`` checks shape and dtype before values, then measures
the scaled error ``max|a - b| / max(max|a|, max|b|)`` (:func:`scaled_error`, judged against
the tolerance), the max absolute error, the max relative error over the entries where the
reference is not 0 and, where the reference is exactly 0 (a ReLU mask, a dead unit), the
share of those entries where ours is not (a relative error there would be ``|a| / 1e-300``,
a meaningless 1e+298). For sequences (a loss curve, one value per step) it also finds the
first step whose error exceeds the tolerance. The harness (scratch against torch) and
``parity.check`` (your network against torch) both keep their results as
:class:`Comparison` records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from parity.tolerances import Tolerance

_TINY = 1e-300


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy of an array, a torch tensor (any device) or a Python number/list."""
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one named quantity of the candidate (``ours``, scratch by
    default) with the reference (torch)."""

    name: str
    max_abs: float
    max_rel: float
    scaled: float
    tol: float
    ok: bool
    first_bad_step: int | None = None
    problem: str = ""  # why no value could be measured (shape, dtype, keys, not run)
    zero_share: float | None = None  # share of ours != 0 where theirs == 0 (None: no zeros)
    ref_err: float | None = None  # float32 checks: the reference's own float32 error
    note: str = ""  # a remark on a measured value (the check's oracle: entries at a kink)

    @classmethod
    def failed(cls, name: str, tol: float, problem: str, **kw: Any) -> Comparison:
        """A comparison that could not measure values (shapes, dtypes or keys differ)."""
        return cls(name, math.inf, math.inf, math.inf, tol, False, problem=problem, **kw)

    def to_json(self) -> dict[str, Any]:
        """The numbers as JSON-safe values (``None`` for inf and NaN)."""
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

    @property
    def message(self) -> str:
        """One line naming the tensor, the measured errors and the verdict."""
        if self.problem:
            return f"{self.name}: {self.problem}"
        where = (
            "" if self.first_bad_step is None else f", first exceeded at step {self.first_bad_step}"
        )
        verdict = "ok" if self.ok else "MISMATCH"
        return (
            f"{self.name}: {verdict} scaled err {self.scaled:.3e} (tol {self.tol:.0e}), "
            f"max abs {self.max_abs:.3e}, max rel {self.max_rel:.3e}{where}"
        )


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def scaled_error(ours: Any, theirs: Any, scale: float | None = None) -> float:
    """``max|a - b| / max(max|a|, max|b|)`` in float64: the error relative to the values'
    magnitude (``scale`` replaces that denominator); inf when the shapes differ or a value is
    not finite where the other's is."""
    try:
        a, b = np.asarray(to_numpy(ours), np.float64), np.asarray(to_numpy(theirs), np.float64)
    except (TypeError, ValueError):  # not numbers (a user's value of another kind)
        return math.inf
    if a.shape != b.shape:
        return math.inf
    if a.size == 0:
        return 0.0
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return 0.0 if np.array_equal(a, b, equal_nan=True) else math.inf
    if scale is None:
        scale = max(float(np.abs(a).max()), float(np.abs(b).max()), _TINY)
    return float(np.abs(a - b).max()) / scale


def compare(
    name: str,
    ours: Any,
    theirs: Any,
    tol: Tolerance | float,
    *,
    per_step: bool = False,
    check_dtype: bool = True,
    scale: float | None = None,
    names: tuple[str, str] = ("scratch", "torch"),
) -> Comparison:
    """Compare ``ours`` (the candidate, scratch by default) with ``theirs`` (the reference).

    ``per_step=True`` treats axis 0 as steps and reports the first step whose error,
    relative to the curve's magnitude, exceeds ``tol``. ``scale`` replaces the tensor's own
    magnitude as the denominator of the scaled error (for a reference whose error floor is
    absolute, such as finite differences). ``names`` (candidate, reference) name the two
    sides in a shape or dtype mismatch.
    """
    limit = tol.value if isinstance(tol, Tolerance) else float(tol)
    a, b = to_numpy(ours), to_numpy(theirs)
    ours_name, theirs_name = names
    if a.shape != b.shape:
        return Comparison.failed(
            name, limit, f"shape mismatch: {ours_name} {a.shape} vs {theirs_name} {b.shape}"
        )
    if check_dtype and a.dtype != b.dtype:
        return Comparison.failed(
            name, limit, f"dtype mismatch: {ours_name} {a.dtype} vs {theirs_name} {b.dtype}"
        )
    if a.size == 0:
        return Comparison(name, 0.0, 0.0, 0.0, limit, True)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if not (np.isfinite(a64).all() and np.isfinite(b64).all()):
        same = bool(np.array_equal(a64, b64, equal_nan=True))
        return Comparison(
            name,
            0.0 if same else np.inf,
            0.0 if same else np.inf,
            0.0 if same else np.inf,
            limit,
            same,
            problem="" if same else "non-finite values differ",
        )
    diff = np.abs(a64 - b64)
    if scale is None:
        scale = max(float(np.abs(b64).max()), float(np.abs(a64).max()), _TINY)
    scaled = scaled_error(a64, b64, scale)
    zeros = b64 == 0
    max_rel = float((diff[~zeros] / np.abs(b64[~zeros])).max()) if (~zeros).any() else 0.0
    share = float((a64[zeros] != 0).mean()) if zeros.any() and b64.size > 1 else None
    first_bad = None
    if per_step and scaled > limit:
        per = diff.reshape(len(diff), -1).max(axis=1) / scale
        first_bad = int(np.argmax(per > limit))
    return Comparison(
        name, float(diff.max()), max_rel, scaled, limit, scaled <= limit, first_bad,
        zero_share=share,
    )  # fmt: skip


def compare_dicts(
    prefix: str,
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
    tol: Tolerance | float,
    *,
    scale: float | None = None,
    names: tuple[str, str] = ("scratch", "torch"),
) -> list[Comparison]:
    """``compare`` every key of two state-dict-like mappings (a missing key is a mismatch)."""
    limit = tol.value if isinstance(tol, Tolerance) else float(tol)
    out = [
        compare(f"{prefix}[{k}]", ours[k], theirs[k], tol, scale=scale, names=names)
        for k in theirs
        if k in ours
    ]
    for k in sorted(set(ours) ^ set(theirs)):
        side = names[0] if k in ours else names[1]
        out.append(Comparison.failed(f"{prefix}[{k}]", limit, f"present only on the {side} side"))
    return out


def assert_close(
    name: str, ours: Any, theirs: Any, tol: Tolerance | float, **kw: Any
) -> Comparison:
    """``compare`` and raise ``AssertionError`` with the comparison's message on a mismatch."""
    c = compare(name, ours, theirs, tol, **kw)
    if not c.ok:
        raise AssertionError(c.message)
    return c
