"""Code that computes in float32 whatever it is given.

A network that casts to float32 inside (``X.astype(np.float32)``, float32 weights kept on
the side) differs from torch's float64 run by float32 rounding, about 1e-7: a real
difference in a float64 check, but not a mistake. When your code returned float32 arrays
although the check passed float64, the check runs its forward and backward stages again as
a float32 check (judged against torch float64 with torch-float32's own error as the
yardstick, as ``dtype="float32"`` does); if every row then agrees, that is the diagnosis,
verified like the others.

The fix is worded for what happened: "remove the cast" only when your parameters were
float64 as you created them (so your code itself casts); when you created them in float32,
what the check's float64 copies do not reach (a gradient buffer made by ``np.zeros_like(W)``)
stays float32, and the fix is to create them in float64, or to check in float32.
"""

from __future__ import annotations

import numpy as np

from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.check.diagnose.hypotheses import PITFALLS
from parity.check.rows import Diagnosis, Row
from parity.check.run.candidate import YourTrace
from parity.check.run.dataset import Rows
from parity.check.run.oracle import CASTS


def computes_in_float32(yours: YourTrace) -> bool:
    """Your code returned an array of less than 64 bits (float32, float16) somewhere."""
    arrays = [*yours.outputs, yours.dloss, *yours.dinputs, *yours.grads.values()]
    return any(
        a is not None and np.issubdtype(a.dtype, np.floating) and a.dtype.itemsize < 8
        for a in arrays
    )


def _low(a: np.ndarray) -> bool:
    return bool(np.issubdtype(a.dtype, np.floating) and a.dtype.itemsize < 8)


def low_params(impl: Functional | Layers) -> list[str]:
    """Your parameters that you created in less than 64 bits (float32), by your names."""
    if isinstance(impl, Functional):
        arrays = impl.params
    else:
        arrays = {
            impl.name(i, w): impl.value(i, impl.attrs[0 if w == "weight" else 1])
            for i in impl.linear
            for w in ("weight", "bias")
            if hasattr(impl.layers[i], impl.attrs[0 if w == "weight" else 1])
        }
    return [k for k, v in arrays.items() if _low(np.asarray(v))]


def why_float32(impl: Functional | Layers) -> tuple[str, str]:
    """Why your code returns float32 given float64, and what to do for the oracle's verdict:
    it casts (no parameter of yours is float32), or you created your parameters in float32."""
    low = low_params(impl)
    if not low:
        return CASTS
    dtype = np.asarray(
        impl.params[low[0]] if isinstance(impl, Functional) else _value(impl, low[0])
    ).dtype
    return (
        f"you created your parameters in {dtype} ({', '.join(low[:3])}"
        f"{', ...' if len(low) > 3 else ''}), and what the check's float64 copies do not "
        f"reach, such as a gradient buffer made by np.zeros_like(W), stays {dtype}",
        f"create your parameters in float64 (no .astype(np.{dtype}))",
    )


def _value(impl: Layers, name: str) -> np.ndarray:
    for i in impl.linear:
        for w in ("weight", "bias"):
            if impl.name(i, w) == name:
                return impl.value(i, impl.attrs[0 if w == "weight" else 1])
    raise KeyError(name)


def as_float32(data: Rows) -> Rows:
    """The same rows in float32 (class indices stay int64)."""
    y = data.y if not np.issubdtype(data.y.dtype, np.floating) else data.y.astype(np.float32)
    return Rows(data.X.astype(np.float32), y, data.n_classes, data.source)


def diagnosis(impl: Functional | Layers, rows32: list[Row]) -> Diagnosis | None:
    """The float32 diagnosis if every row of the float32 re-run agrees, else None."""
    if not rows32 or not all(r.ok for r in rows32):
        return None
    worst = max(rows32, key=lambda r: r.scaled / r.tol)
    why, fix = why_float32(impl)
    return Diagnosis(
        "float32_arithmetic",
        f"your code computes in float32 although the check passed float64 (it returns float32 "
        f"arrays: {why}): checked as float32 code, against torch float64 with torch-float32's "
        f"own error as the yardstick, every row agrees; the difference here is float32 "
        f"rounding, not a mistake",
        f"run with --dtype float32 (dtype='float32'), or {fix} to be checked, and get the "
        f"oracle's verdict, in float64",
        worst.scaled,
        worst.tol,
        PITFALLS["float32"],
    )
