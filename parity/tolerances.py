"""Every tolerance the parity checks use, in one place, each with the reason for its size.

An error is measured *relative to the tensor's magnitude*: ``max|a - b| / max|b|`` (``b``
is torch's tensor), so a tolerance is "digits of agreement" independent of scale and robust
to entries near zero. Comparisons also report the max absolute and the max elementwise
relative error, but only the scaled error is judged.

Kinds of quantity:

* ``forward``: logits, head outputs and loss at the shared initial weights.
* ``gradient``: parameter and input gradients at the shared initial weights (one backward).
* ``curve``: the loss at every training step, judged over the whole run.
* ``weights``: parameters after the whole run.
* ``outputs``: test-set outputs of the trained networks.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("forward", "gradient", "curve", "weights", "outputs")


@dataclass(frozen=True)
class Tolerance:
    """An upper bound on the scaled error, and why it is that size."""

    value: float
    reason: str


_F64_ONE_PASS = (
    "float64 has 53-bit mantissas (eps 1.1e-16); one forward/backward pass is a few dozen "
    "roundings, and the two sides differ only in summation order inside BLAS (NumPy's "
    "OpenBLAS vs torch's MKL/oneDNN kernels), so agreement to ~1e-14 is expected; 1e-12 "
    "leaves two digits of headroom."
)
_F64_TRAINED = (
    "over hundreds of steps the ~1e-16 per-step differences are carried forward and can be "
    "amplified by the training dynamics (a large lr, a saturating activation); measured worst "
    "over the grid is ~1e-13, so 1e-9 is the target with four digits of headroom."
)
_F32_ONE_PASS = (
    "float32 eps is 6e-8; different summation orders in the matmuls (blocked BLAS kernels, "
    "SIMD widths) give relative differences of a few eps times sqrt(width); measured worst "
    "over the grid is ~1e-6 for the gradient of a saturated sigmoid net, so 1e-4 leaves headroom."
)
_F32_TRAINED = (
    "in float32 the per-step differences of ~1e-7 are amplified by training (each update "
    "feeds the next forward); measured worst over 500+ steps is ~1e-4 relative, so the "
    "tolerance is 1e-3: still three digits of agreement, far below what a real bug moves "
    "(a wrong derivative or momentum formula moves the curve by >1e-2 within a few steps)."
)
_CUDA = (
    "on CUDA, with TF32 off and deterministic algorithms on, cuBLAS still sums in a "
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
    },
    ("float32", "cpu"): {
        "forward": Tolerance(1e-4, _F32_ONE_PASS),
        "gradient": Tolerance(1e-4, _F32_ONE_PASS),
        "curve": Tolerance(1e-3, _F32_TRAINED),
        "weights": Tolerance(1e-3, _F32_TRAINED),
        "outputs": Tolerance(1e-3, _F32_TRAINED),
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
