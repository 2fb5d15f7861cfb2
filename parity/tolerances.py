"""Every tolerance the parity checks use, in one place, each with the reason for its size.

An error is measured *relative to the tensor's magnitude*: ``max|a - b| / max(max|a|,
max|b|)`` (``a`` scratch's tensor, ``b`` torch's), so a tolerance is "digits of agreement"
independent of scale and robust to entries near zero. Comparisons also report the max
absolute and the max elementwise relative error, but only the scaled error is judged.

Kinds of quantity:

* ``forward``: logits, head outputs and loss at the shared initial weights.
* ``gradient``: parameter and input gradients at the shared initial weights (one backward).
* ``curve``: the loss at every training step, judged over the whole run.
* ``weights``: parameters after the whole run.
* ``outputs``: test-set outputs of the trained networks.
* ``finite_difference``: either side's gradient against central differences (float64 only).
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("forward", "gradient", "curve", "weights", "outputs", "finite_difference")


@dataclass(frozen=True)
class Tolerance:
    """An upper bound on the scaled error, and why it is that size."""

    value: float
    reason: str


_F64_ONE_PASS = (
    "float64 has 53-bit mantissas (unit roundoff 1.1e-16); one forward/backward pass is a "
    "few dozen roundings per entry, and the two sides differ only in summation order inside "
    "BLAS (NumPy's OpenBLAS vs the BLAS torch ships, MKL on x86 CPUs), so they agree to a "
    "few roundoffs times the depth; 1e-12 is the project's target and leaves two to three "
    "digits of headroom over the grid's measured worst (the report's first table)."
)
_F64_TRAINED = (
    "over hundreds of steps the per-step rounding differences are carried forward and can be "
    "amplified by the training dynamics (a large lr, a saturating activation); 1e-9 over 500 "
    "steps is the project's target, far above the measured worst and far below what any real "
    "mistake moves (a wrong derivative moves the curve by >1e-3 within a few steps)."
)
_F32_ONE_PASS = (
    "float32's unit roundoff is 6e-8 and BLAS kernels sum in blocks whose order depends on "
    "the library, so one pass differs by a few roundoffs times sqrt(width); 1e-4 leaves over "
    "an order of magnitude of headroom over the grid's measured worst."
)
_F32_GRADIENT = (
    "as forward, but each tensor is judged against its own magnitude, and a vanishing "
    "first-layer gradient (a sigmoid net with a width-1 bottleneck) is a difference of "
    "nearly equal float32 sums, so it loses one more digit; 1e-3 keeps headroom over the "
    "measured worst while a real bug (a missing derivative factor) moves it by >1e-1."
)
_F32_TRAINED = (
    "in float32 the per-step differences of a few roundoffs are carried through training; 1e-4 "
    "over 500 steps leaves an order of magnitude of headroom over the measured worst and "
    "is still three orders below what a wrong formula moves."
)
_FD = (
    "central differences with eps=1e-6 carry a truncation error ~eps^2 * (third "
    "derivative) ~ 1e-12 and a rounding error ~1e-16 |L| / eps ~ 1e-10: an absolute "
    "floor, so the error is measured "
    "relative to the model's largest gradient (a vanishing first-layer gradient of 1e-6 "
    "cannot be resolved to 7 digits by differences of the loss); 1e-7 is the target."
)
_CUDA = (
    "On CUDA, with TF32 off and deterministic algorithms on, cuBLAS still sums in a "
    "different order than CPU BLAS; float64 behaves as on the CPU (same bound), float32 "
    "gets the CPU bound as well since the per-op error is of the same size."
)

TOLERANCES: dict[tuple[str, str], dict[str, Tolerance]] = {
    ("float64", "cpu"): {
        "forward": Tolerance(1e-12, _F64_ONE_PASS),
        "gradient": Tolerance(1e-12, _F64_ONE_PASS),
        "curve": Tolerance(1e-9, _F64_TRAINED),
        "weights": Tolerance(1e-9, _F64_TRAINED),
        "outputs": Tolerance(1e-9, _F64_TRAINED),
        "finite_difference": Tolerance(1e-7, _FD),
    },
    ("float32", "cpu"): {
        "forward": Tolerance(1e-4, _F32_ONE_PASS),
        "gradient": Tolerance(1e-3, _F32_GRADIENT),
        "curve": Tolerance(1e-4, _F32_TRAINED),
        "weights": Tolerance(1e-4, _F32_TRAINED),
        "outputs": Tolerance(1e-4, _F32_TRAINED),
    },
}
TOLERANCES[("float64", "cuda")] = {
    k: Tolerance(t.value, t.reason + " " + _CUDA) for k, t in TOLERANCES[("float64", "cpu")].items()
}
TOLERANCES[("float32", "cuda")] = {
    k: Tolerance(t.value, t.reason + " " + _CUDA) for k, t in TOLERANCES[("float32", "cpu")].items()
}


def tolerance(kind: str, dtype: str, device: str = "cpu") -> Tolerance:
    """The tolerance for ``kind`` (one of ``KINDS``) at ``dtype`` on ``device``."""
    device = "cuda" if str(device).startswith("cuda") else "cpu"
    table = TOLERANCES.get((str(dtype), device))
    if table is None:
        raise ValueError(f"no tolerances for dtype {dtype!r}; valid: float32, float64")
    if kind not in table:
        raise ValueError(f"unknown tolerance kind {kind!r}; valid: {', '.join(KINDS)}")
    return table[kind]
