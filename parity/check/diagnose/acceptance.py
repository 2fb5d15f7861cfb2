"""What makes a hypothesis a diagnosis: ``accept`` (the candidate within the tolerance of the
reference, and distinguishable from torch's correct value) and the pitfall each links to."""

from __future__ import annotations

from typing import Any

from parity.check.rows import Diagnosis, Evidence
from parity.compare import scaled_error

DOC = "docs/PORTING.md#"
PITFALLS = {
    "factor": DOC + "a-sum-instead-of-a-mean-and-other-constant-factors",
    "mse_d": DOC + "mseloss-averages-over-nd-not-n",
    "transposed": DOC + "weights-in-out-vs-torchs-out-in",
    "mask": DOC + "the-relu-mask-where-torchs-gradient-is-exactly-0",
    "derivative": DOC + "activation-derivatives-from-the-output-not-the-input",
    "bias": DOC + "the-bias-gradient-sums-over-the-batch",
    "softmax": DOC + "softmax-before-crossentropyloss",
    "bce": DOC + "bceloss-after-a-sigmoid-vs-bcewithlogitsloss-at-extreme-logits",
    "accumulate": DOC + "forgetting-zero_grad-gradients-accumulate",
    "momentum": DOC + "torchs-momentum-formula-vs-the-classical-one",
    "adam": DOC + "adam-bias-correction-and-where-eps-goes",
    "l2": DOC + "an-l2-penalty-in-the-loss-vs-weight_decay",
    "activation": DOC + "2-activations",
    "float32": DOC + "float64-numpy-vs-float32-torch",
    "loss": DOC + "3-output-heads-and-losses",
    "loop": DOC + "4-the-training-loop",
}
# (pattern, what yours does, the fix, yours under that mistake, key of PITFALLS)
Variant = tuple[str, str, str, Any, str]


def accept(
    ev: Evidence,
    candidate: Any,
    reference: Any,
    pattern: str,
    text: str,
    fix: str,
    pitfall: str,
    *,
    distinct_from: Any = None,
) -> Diagnosis | None:
    """The diagnosis if ``candidate`` matches ``reference`` within the evidence's tolerance
    and ``distinct_from`` (torch's value, or yours before the fix) does not."""
    tol = ev.context["tol"]
    residual = scaled_error(candidate, reference)
    if residual > tol:
        return None
    if distinct_from is not None and scaled_error(distinct_from, reference) <= tol:
        return None
    return Diagnosis(pattern, text, fix, residual, tol, PITFALLS[pitfall])


def factors(n: int, d: int) -> list[tuple[str, float, str]]:
    """``(label, c, meaning)``: the constant factors a port commonly gets wrong."""
    out = [
        ("N", n, "a missing 1/N: a sum over the batch where torch takes the mean"),
        ("1/N", 1 / n, "an extra 1/N: the batch mean taken twice"),
        ("N·D", n * d, "a missing 1/(N·D): torch's mean runs over all N·D outputs"),
        ("D", d, "a mean over N where torch's MSELoss averages over all N·D elements"),
        ("2", 2.0, "a factor 2: e.g. d(x-y)²/dx = 2(x-y) where torch has no 2, or a ½ missing"),
        ("1/2", 0.5, "a factor ½: a ½·(x-y)² loss, or the 2 of d(x-y)²/dx missing"),
        ("-1", -1.0, "the sign flipped: e.g. y - p where torch has p - y"),
    ]
    seen: set[float] = set()
    unique = []
    for label, c, meaning in out:
        if c not in seen and c != 1:
            seen.add(c)
            unique.append((label, c, meaning))
    return unique
