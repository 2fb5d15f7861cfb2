"""Candidate mistakes, each a verifiable hypothesis about one failing quantity.

A hypothesis either applies a *fix* to your value (divide by N, transpose, sum over the
batch, re-mask) and compares the result with torch's, or computes what torch's network would
give *with the mistake* (the derivative taken from the input, a softmax before the
cross-entropy) and compares that with yours. It is accepted only when the residual is within
the tolerance, and only when the candidate is distinguishable from torch's correct value.
Each returns a ``Diagnosis`` or ``None``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from parity.check.adapters.probes import KNOWN
from parity.check.diagnose.acceptance import DOC, PITFALLS, Variant, accept, factors
from parity.check.diagnose.derivatives import derivative_variants
from parity.check.diagnose.loss import (
    l2_penalty,
    repeat_accumulated,
    repeat_random,
    repeat_stateful,
)
from parity.check.rows import Diagnosis, Evidence

__all__ = ["BY_ROLE", "DOC", "PITFALLS", "Variant", "accept", "l2_penalty",
           "repeat_accumulated", "repeat_stateful"]  # fmt: skip


def _undo(label: str, c: float) -> str:
    """The fix for a factor ``c``, as an action: "divide by N", "multiply by 2", "flip the
    sign"."""
    if c == -1:
        return "flip the sign where yours computes it"
    if abs(c) < 1:
        inverse = label.removeprefix("1/") if label.startswith("1/") else f"1/{label}"
        return f"multiply by {inverse} where yours computes it"
    return f"divide by {label} where yours computes it"


def factor(ev: Evidence) -> Diagnosis | None:
    """Yours is torch's times a constant: N, 1/N, N·D, D, 2, ½ or -1."""
    n, d = ev.context["n"], ev.context["d"]
    for label, c, meaning in factors(n, d):
        pitfall = "mse_d" if "N·D" in meaning or label == "D" else "factor"
        found = accept(
            ev,
            np.asarray(ev.yours, np.float64) / c,
            ev.torch,
            "factor",
            f"constant factor: yours = {label} × torch's (N = {n}, D = {d}); {meaning}",
            _undo(label, c),
            pitfall,
        )
        if found:
            return found
    return None


def l2_gradient(ev: Evidence) -> Diagnosis | None:
    """A weight gradient with an extra ``λ·W``: an L2 penalty (a weight regulariser) in your
    backward that torch's loss does not have."""
    W = ev.context.get("W")
    a = np.asarray(ev.yours, np.float64)
    if W is None or a.shape != ev.torch.shape or a.shape != np.shape(W):
        return None
    ww = float((W * W).sum())
    lam = float(((a - ev.torch) * W).sum()) / ww if ww > 0 else 0.0
    if lam <= 0:
        return None
    return accept(
        ev,
        a - lam * W,
        ev.torch,
        "l2_regulariser",
        f"your weight gradient adds λ·W with λ = {lam:.3g}: an L2 penalty (a weight "
        f"regulariser) torch's loss does not have",
        "leave the penalty out to compare with torch's loss, or compare against an optimizer "
        "with weight_decay=λ",
        "l2",
        distinct_from=a,
    )


def transposed(ev: Evidence) -> Diagnosis | None:
    """Yours is torch's transposed (a weight or weight gradient in the other layout)."""
    a = np.asarray(ev.yours)
    if a.ndim != 2 or a.T.shape != ev.torch.shape:
        return None
    square = " (square, so nothing failed loudly)" if a.shape[0] == a.shape[1] else ""
    return accept(
        ev,
        a.T,
        ev.torch,
        "transposed",
        f"transposed: yours is torch's transposed{square}, the (in, out) vs (out, in) layout",
        "for an (in, out) weight dW = x.T @ dy; for an (out, in) weight dW = dy.T @ x",
        "transposed",
        distinct_from=a,
    )


def bias_not_summed(ev: Evidence) -> Diagnosis | None:
    """Yours has one row (or, in the column layout, one column) per example: the bias gradient
    not summed over the batch; or one number: summed over every axis."""
    a, n = np.asarray(ev.yours), ev.context["n"]
    if a.size == 1 and ev.torch.size > 1:
        return accept(
            ev,
            a.reshape(()),
            np.asarray(ev.torch.sum()),
            "bias_summed_all",
            f"bias gradient summed over every axis: yours is one number, the sum of torch's "
            f"{ev.torch.size} entries (shape {ev.torch.shape})",
            "sum over the batch axis only: db = dy.sum(axis=0) (columns: dZ.sum(axis=1, "
            "keepdims=True))",
            "bias",
        )
    G = ev.context.get("G")  # the upstream gradient (N, out), teacher-forced rows
    if G is not None and a.size == n and G.shape[1] > 1:
        return accept(
            ev,
            a.reshape(-1),
            G.sum(axis=1),
            "bias_wrong_axis",
            f"bias gradient summed over the wrong axis: yours has {n} entries, one per "
            f"example (dy summed over the {G.shape[1]} units); torch sums over the batch, "
            f"shape {ev.torch.shape}",
            "sum over the batch: db = dy.sum(axis=0) (columns: dZ.sum(axis=1, keepdims=True))",
            "bias",
        )
    if a.ndim == 2 and a.shape[1] == n and a.size == n * ev.torch.size and n != a.shape[0]:
        return accept(
            ev,
            a.sum(axis=1).reshape(ev.torch.shape),
            ev.torch,
            "bias_not_summed",
            f"bias gradient not summed over the batch: yours has shape {a.shape}, one column "
            f"per example; torch's is their sum, shape {ev.torch.shape}",
            "db = dZ.sum(axis=1, keepdims=True)",
            "bias",
        )
    if a.ndim == 0 or a.shape[0] != n or a.size != n * ev.torch.size or a.shape == ev.torch.shape:
        return None
    return accept(
        ev,
        a.sum(axis=0).reshape(ev.torch.shape),
        ev.torch,
        "bias_not_summed",
        f"bias gradient not summed over the batch: yours has shape {a.shape}, one row per "
        f"example; torch's is their sum, shape {ev.torch.shape}",
        "db = dy.sum(axis=0)",
        "bias",
    )


def relu_remask(ev: Evidence) -> Diagnosis | None:
    """ReLU's input gradient is wrong only where one side is exactly 0: a mask mistake."""
    a = np.asarray(ev.yours, np.float64)
    if ev.context.get("act") != "relu" or a.shape != ev.torch.shape:
        return None
    zero_t, zero_y = ev.torch == 0, a == 0
    through, blocks = int((zero_t & ~zero_y).sum()), int((zero_y & ~zero_t).sum())
    if through + blocks == 0:
        return None
    either = zero_t | zero_y
    parts = (
        [
            f"lets gradient through at {through} of {int(zero_t.sum())} entries where "
            f"torch's is exactly 0"
        ]
        if through
        else []
    )
    parts += [f"blocks it at {blocks} entries where torch's is not 0"] if blocks else []
    return accept(
        ev,
        np.where(either, 0, a),
        np.where(either, 0, ev.torch),
        "relu_mask",
        "ReLU mask: yours " + " and ".join(parts),
        "dx = dy * (x > 0), with the mask of this layer's own input x",
        "mask",
    )


def _pitfall_of(pattern: str) -> str:
    return "mask" if "mask" in pattern or "slope" in pattern else "derivative"


def activation_derivative(ev: Evidence) -> Diagnosis | None:
    """An activation's input gradient equals ``dy * f'`` for a known wrong ``f'``."""
    c = ev.context
    for pattern, text, fix, d in derivative_variants(c["act"], c["x"], c["y"], c["G"]):
        found = accept(
            ev,
            ev.yours,
            c["G"] * d,
            pattern,
            text,
            fix,
            _pitfall_of(pattern),
            distinct_from=ev.torch,
        )
        if found:
            return found
    return None


def linear_dx_transposed(ev: Evidence) -> Diagnosis | None:
    """A Linear's input gradient computed with its (square) weight the wrong way round."""
    W = ev.context["W"]  # torch layout (out, in); torch: dx = G @ W
    if W.shape[0] != W.shape[1]:
        return None
    return accept(
        ev,
        ev.yours,
        ev.context["G"] @ W.T,
        "transposed",
        "input gradient with the weight transposed: dx = dy @ W where your layout needs "
        "dy @ W.T (or the reverse; square weights do not fail loudly)",
        "for an (in, out) weight dx = dy @ W.T; for (out, in) dx = dy @ W",
        "transposed",
        distinct_from=ev.torch,
    )


def linear_out_transposed(ev: Evidence) -> Diagnosis | None:
    """A Linear's output computed with its (square) weight the wrong way round."""
    W, x, b = ev.context["W"], ev.context["x"], ev.context["b"]  # W torch layout (out, in)
    if W.shape[0] != W.shape[1]:
        return None
    return accept(
        ev,
        ev.yours,
        x @ W + b,
        "transposed",
        "forward with the weight transposed: x @ W where your layout needs x @ W.T (or the "
        "reverse; a square weight does not fail loudly)",
        "for an (in, out) weight y = x @ W + b; for (out, in) y = x @ W.T + b",
        "transposed",
        distinct_from=ev.torch,
    )


def softmax_first(ev: Evidence) -> Diagnosis | None:
    """The loss, or its gradient, of a softmax applied before torch's cross-entropy."""
    expected = ev.context.get("softmax_first")
    if expected is None:
        return None
    return accept(
        ev,
        ev.yours,
        expected,
        "softmax_before_cross_entropy",
        "softmax applied before a cross-entropy that works on logits: yours is torch's "
        "CrossEntropyLoss of softmax(logits), the softmax applied twice",
        "feed the logits to the cross-entropy (it applies log-softmax itself), or take "
        "-log p[y] of the probabilities",
        "softmax",
        distinct_from=ev.torch,
    )


def sigmoid_first(ev: Evidence) -> Diagnosis | None:
    """The loss, or its gradient, of a sigmoid applied before ``BCEWithLogitsLoss``."""
    expected = ev.context.get("sigmoid_first")
    if expected is None:
        return None
    return accept(
        ev,
        ev.yours,
        expected,
        "sigmoid_before_bce_with_logits",
        "sigmoid applied before a binary cross-entropy that works on logits: yours is torch's "
        "BCEWithLogitsLoss of sigmoid(logit), the sigmoid applied twice",
        "feed the logit to BCEWithLogitsLoss (it applies the sigmoid itself), or keep the "
        "sigmoid and use BCELoss",
        "bce",
        distinct_from=ev.torch,
    )


def variants(ev: Evidence) -> Diagnosis | None:
    """Precomputed ``context["variants"]`` (``Variant``): yours under each known mistake."""
    for pattern, text, fix, expected, pitfall in ev.context.get("variants", []):
        found = accept(ev, ev.yours, expected, pattern, text, fix, pitfall, distinct_from=ev.torch)
        if found:
            return found
    return None


def other_activation(ev: Evidence) -> Diagnosis | None:
    """An activation layer computes another activation than the kind it is checked as."""
    kind, x = ev.context.get("act"), ev.context.get("x")
    if kind is None or x is None:
        return None
    for name, f in KNOWN.items():
        if name == kind:
            continue
        found = accept(
            ev,
            ev.yours,
            f(x),
            "activation_name",
            f"this layer behaves like {name}, but it is checked as {kind} (kinds=)",
            f"name it {name!r} in kinds=[...] (or leave kinds out: the check probes each layer)",
            "activation",
            distinct_from=ev.torch,
        )
        if found:
            return found
    return None


def all_zero(ev: Evidence) -> Diagnosis | None:
    """Yours is exactly 0 everywhere where torch's is not: the gradient was never written
    where the check reads it (another attribute name, or a backward that skips it)."""
    a = np.asarray(ev.yours)
    if a.shape != ev.torch.shape or a.any() or not ev.torch.any():
        return None
    return Diagnosis(
        "gradient_not_written",
        "yours is exactly 0 everywhere: your backward did not write this gradient where the "
        "check reads it (is it stored under another attribute name?)",
        "pass grad_weight= / grad_bias= with the attribute names your backward sets",
        0.0,
        ev.context["tol"],
    )


Hypothesis = Callable[[Evidence], Diagnosis | None]
BY_ROLE: dict[str, tuple[Hypothesis, ...]] = {
    "loss": (factor, softmax_first, sigmoid_first, l2_penalty, variants),
    "dloss": (factor, softmax_first, sigmoid_first, variants),
    "linear_out": (linear_out_transposed, factor),
    "act_out": (factor, other_activation),
    "weight_grad": (all_zero, factor, transposed, variants, l2_gradient),
    "bias_grad": (all_zero, factor, bias_not_summed, variants),
    "linear_dx": (factor, linear_dx_transposed),
    "act_dx": (activation_derivative, relu_remask, factor),
    "train_grad": (variants, factor),
    "train_param": (variants,),
    "repeat": (repeat_random, repeat_accumulated, repeat_stateful),
}
