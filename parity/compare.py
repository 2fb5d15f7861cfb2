"""The one comparison helper every parity check goes through.

``compare(name, ours, theirs, tol)`` checks shape and dtype before values, measures the max
absolute error, the max elementwise relative error and the scaled error
``max|a - b| / max(max|a|, max|b|)`` (judged against the tolerance), and for sequences (a
loss curve, one value per step) the first step whose scaled error exceeds the tolerance.
"""

from __future__ import annotations

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
    problem: str = ""

    @classmethod
    def failed(cls, name: str, tol: float, problem: str) -> Comparison:
        """A comparison that could not measure values (shapes, dtypes or keys differ)."""
        return cls(name, np.inf, np.inf, np.inf, tol, False, problem=problem)

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
    max_abs = float(diff.max())
    max_rel = float((diff / np.maximum(np.abs(b64), _TINY)).max()) if max_abs else 0.0
    scaled = max_abs / scale
    first_bad = None
    if per_step and scaled > limit:
        per = diff.reshape(len(diff), -1).max(axis=1) / scale
        first_bad = int(np.argmax(per > limit))
    return Comparison(name, max_abs, max_rel, scaled, limit, scaled <= limit, first_bad)


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
