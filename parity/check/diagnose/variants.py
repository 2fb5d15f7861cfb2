"""What torch's network would compute with one known mistake, for the ``Functional`` style.

A ``Functional`` implementation shows only its parameter gradients. When Linear ``k``'s are
the first to differ, the mistake sits between Linear ``k+1``'s input gradient and Linear
``k``'s parameter gradients: the activation's derivative, or Linear ``k+1``'s weight used
the wrong way round in ``dx``; for the last layer, the loss's gradient (a softmax before the
cross-entropy). Each variant recomputes Linear ``k``'s gradients from torch's own
intermediate values with that one mistake, so a match names it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from parity.check.adapters.structure import Net
from parity.check.diagnose.derivatives import derivative, derivative_variants
from parity.check.diagnose.hypotheses import Variant
from parity.check.inputs import ACTIVATIONS
from parity.check.run import reference
from parity.check.run.reference import RefTrace


def param_grads(net: Net, k: int, x: np.ndarray, gz: np.ndarray) -> dict[str, np.ndarray]:
    """Linear ``k``'s gradients in your layout and shapes from its input ``x (N, in)`` and
    ``gz = dL/dz (N, out)``."""
    dW = gz.T @ x  # (out, in), torch's layout
    return {
        "weight": net.user(f"{2 * k}.weight", dW),
        "bias": net.user(f"{2 * k}.bias", gz.sum(axis=0)),
    }


def functional(
    net: Net, ref: RefTrace, state: dict[str, np.ndarray], y: np.ndarray, k: int, what: str
) -> list[Variant]:
    """Linear ``k``'s ``what`` ("weight" or "bias") gradient under each known mistake."""
    m, last = 2 * k, len(net.widths) - 1
    x, name = ref.inputs[m], net.linears[k].weight
    out: list[Variant] = []
    if k < last:
        kind = net.activations[k]
        z, a, ga = ref.outputs[m], ref.outputs[m + 1], ref.doutputs[m + 1]
        for pattern, text, fix, d in derivative_variants(kind, z, a, ga):
            pitfall = "mask" if "mask" in pattern else "derivative"
            where = f" (the {kind} after {name})"
            out.append((pattern, text + where, fix, param_grads(net, k, x, ga * d)[what], pitfall))
        W_next = state[f"{m + 2}.weight"]  # torch layout (out, in); torch: ga = g_next @ W
        if W_next.shape[0] == W_next.shape[1]:
            gz = (ref.doutputs[m + 2] @ W_next.T) * derivative(kind, z, a)
            text = (
                f"input gradient of {net.linears[k + 1].weight} computed with the weight "
                f"transposed (square, so nothing failed loudly)"
            )
            fix = "for an (in, out) weight dx = dy @ W.T; for (out, in) dx = dy @ W"
            out.append(("transposed", text, fix, param_grads(net, k, x, gz)[what], "transposed"))
    elif net.head == "multiclass":
        _, dz = reference.softmax_first(net, ref.outputs[m], y)
        text = (
            "softmax applied before a cross-entropy that works on logits (the softmax "
            "applied twice)"
        )
        fix = "feed the logits to the cross-entropy; it applies log-softmax itself"
        out.append(
            ("softmax_before_cross_entropy", text, fix, param_grads(net, k, x, dz)[what], "softmax")
        )
    return out


def transposed_forward(
    net: Net, state: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray
) -> list[Variant]:
    """torch's loss with one square weight used transposed in the forward pass."""
    out: list[Variant] = []
    for k, spec in enumerate(net.linears):
        W = state[f"{2 * k}.weight"]
        if W.shape[0] != W.shape[1] or np.allclose(W, W.T):
            continue
        swapped: dict[str, Any] = {**state, f"{2 * k}.weight": W.T.copy()}
        text = (
            f"forward with {spec.weight} transposed (x @ W.T where your layout needs x @ W, "
            f"or the reverse; square, so nothing failed loudly)"
        )
        fix = "for an (in, out) weight use x @ W; for (out, in) use x @ W.T"
        out.append(("transposed", text, fix, reference.loss_at(net, swapped, X, y), "transposed"))
    return out


def other_activations(
    net: Net, state: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray
) -> list[Variant]:
    """torch's loss with another hidden activation than the one you named: every hidden
    layer swapped to each other activation, then (deeper nets) one layer at a time."""
    given = net.activations
    if not given:
        return []
    fix = "pass the activation your code computes: activation='{a}' (or one name per layer)"
    out: list[Variant] = []
    swaps = [(a, tuple(a for _ in given)) for a in ACTIVATIONS if set(given) != {a}]
    if len(given) > 1:
        swaps += [
            (a, (*given[:k], a, *given[k + 1 :]))
            for k in range(len(given))
            for a in ACTIVATIONS
            if a != given[k]
        ]
    for a, acts in swaps:
        changed = [k for k in range(len(given)) if acts[k] != given[k]]
        where = (
            "your hidden activation"
            if len(changed) == len(given)
            else f"your activation after {net.linears[changed[0]].weight}"
        )
        text = f"{where} behaves like {a}, but activation={given[changed[0]]!r} was given"
        loss = reference.loss_at(replace(net, activations=acts), state, X, y)
        out.append(("activation_name", text, fix.format(a=a), loss, "activation"))
    return out


def _probs(net: Net, out: np.ndarray) -> np.ndarray:
    """The probabilities from torch's last output (logits, or your output layer's probs)."""
    z = np.asarray(out, np.float64)
    if net.output_activation in ("sigmoid", "softmax"):
        return z
    if net.head == "binary":
        return 1 / (1 + np.exp(-z))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _targets(net: Net, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``y`` shaped like ``p``: one-hot for multiclass, ``(N, 1)`` otherwise."""
    if net.head == "multiclass":
        onehot = np.zeros_like(p)
        onehot[np.arange(len(y)), np.asarray(y, np.int64)] = 1
        return onehot
    return np.asarray(y, np.float64).reshape(p.shape)


def other_losses(net: Net, out: np.ndarray, y: np.ndarray) -> list[Variant]:
    """The loss under another definition than torch's for the head: a mean squared error on
    the sigmoid output (binary), a binary cross-entropy on every softmax output or a
    quadratic cost (multiclass)."""
    if net.head == "regression":
        return []
    p = _probs(net, out)
    t = _targets(net, y, p)
    n = len(p)
    fix = (
        "use the cross-entropy torch's head has (BCEWithLogitsLoss for one logit, "
        "CrossEntropyLoss for several), or compare against a head with your loss"
    )
    sq = (p - t) ** 2
    out_list: list[Variant] = []
    if net.head == "binary":
        out_list += [
            ("other_loss", "your loss is a mean squared error on the sigmoid output; torch's "
             "binary head takes the binary cross-entropy", fix, sq.mean(), "loss"),
            ("other_loss", "your loss is ½ × the mean squared error on the sigmoid output; "
             "torch's binary head takes the binary cross-entropy", fix, sq.mean() / 2, "loss"),
        ]  # fmt: skip
        return out_list
    with np.errstate(divide="ignore", invalid="ignore"):
        bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    out_list += [
        ("other_loss", "your loss is a binary cross-entropy on every softmax output (summed "
         "over the classes); torch's multiclass head takes the cross-entropy -log p[y]", fix,
         bce.sum() / n, "loss"),
        ("other_loss", "your loss is a binary cross-entropy on every softmax output (a mean "
         "over all N·C entries); torch's is the cross-entropy -log p[y]", fix, bce.mean(),
         "loss"),
        ("other_loss", "your loss is a quadratic cost ½·Σ(p - y)² on the softmax output; "
         "torch's multiclass head takes the cross-entropy", fix, sq.sum() / (2 * n), "loss"),
        ("other_loss", "your loss is a quadratic cost Σ(p - y)² on the softmax output; "
         "torch's multiclass head takes the cross-entropy", fix, sq.sum() / n, "loss"),
        ("other_loss", "your loss is a mean squared error over all N·C softmax outputs; "
         "torch's multiclass head takes the cross-entropy", fix, sq.mean(), "loss"),
    ]  # fmt: skip
    return out_list


def logits_gradient(net: Net, out: np.ndarray, y: np.ndarray) -> list[Variant]:
    """Your loss's backward returning ``dL/dlogits`` (``(p - y) / N``, which includes the
    output activation's derivative) where your output layer multiplies by that derivative
    again, instead of ``dL/dprobs``."""
    p = _probs(net, out)
    t = _targets(net, y, p)
    act = net.output_activation or ""
    return [
        ("loss_derivative_includes_activation",
         f"your loss's backward returns dL/dlogits = (p - y)/N, which already includes the "
         f"{act}'s derivative, and your {act} layer multiplies by that derivative again",
         f"return dL/dp from the loss (or drop the {act} layer's backward and feed (p - y)/N "
         f"to the last Linear)", (p - t) / len(p), "derivative"),
    ]  # fmt: skip
