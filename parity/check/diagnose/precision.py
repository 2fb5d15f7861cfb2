"""Code that computes in float32 whatever it is given.

A network that casts to float32 inside (``X.astype(np.float32)``, float32 weights kept on
the side) differs from torch's float64 run by float32 rounding, about 1e-7: a real
difference in a float64 check, but not a mistake. When your code returned float32 arrays
although the check passed float64, the check runs its forward and backward stages again as
a float32 check (judged against torch float64 with torch-float32's own error as the
yardstick, as ``dtype="float32"`` does); if every row then agrees, that is the diagnosis,
verified like the others.
"""

from __future__ import annotations

import numpy as np

from parity.check.diagnose.hypotheses import PITFALLS
from parity.check.rows import Diagnosis, Row
from parity.check.run.candidate import YourTrace
from parity.check.run.dataset import Rows


def computes_in_float32(yours: YourTrace) -> bool:
    """Your code returned an array of less than 64 bits (float32, float16) somewhere."""
    arrays = [*yours.outputs, yours.dloss, *yours.dinputs, *yours.grads.values()]
    return any(
        a is not None and np.issubdtype(a.dtype, np.floating) and a.dtype.itemsize < 8
        for a in arrays
    )


def as_float32(data: Rows) -> Rows:
    """The same rows in float32 (class indices stay int64)."""
    y = data.y if not np.issubdtype(data.y.dtype, np.floating) else data.y.astype(np.float32)
    return Rows(data.X.astype(np.float32), y, data.n_classes, data.source)


def diagnosis(rows32: list[Row]) -> Diagnosis | None:
    """The float32 diagnosis if every row of the float32 re-run agrees, else None."""
    if not rows32 or not all(r.ok for r in rows32):
        return None
    worst = max(rows32, key=lambda r: r.scaled / r.tol)
    return Diagnosis(
        "float32_arithmetic",
        "your code computes in float32 although the check passed float64 (it returns float32 "
        "arrays): checked as float32 code, against torch float64 with torch-float32's own "
        "error as the yardstick, every row agrees; the difference here is float32 rounding, "
        "not a mistake",
        "run with --dtype float32 (dtype='float32'), or remove the cast to float32 to be "
        "checked, and get the oracle's verdict, in float64",
        worst.scaled,
        worst.tol,
        PITFALLS["float32"],
    )
