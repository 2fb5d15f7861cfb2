"""The forward and backward stages: rows in execution order, yours against torch's.

``Layers``: each layer's output, the loss (forward), then ``dL/dlogits`` and, layer by layer
in reverse, its weight, bias and input gradients (backward); each row end to end and
teacher-forced. ``Functional``: the loss, then each parameter's gradient from the last layer
back, end to end only: with no layers to look inside, a mistake is localised to a parameter.
``mark`` sets each row's status: the first row whose own (teacher-forced) value fails is the
first divergence; a row failing only end to end is inherited.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from parity.check.adapters.structure import TORCH_ACT, TORCH_LOSS, Net
from parity.check.diagnose import variants
from parity.check.rows import ALSO, FAILS, INHERITED, NOT_RUN, OK, ROOT, Row
from parity.check.run import reference
from parity.check.run.candidate import YourTrace
from parity.check.run.context import CheckContext, e2e_order, problem
from parity.check.run.reference import RefTF


def torch_module(net: Net, m: int) -> str:
    """torch's name of module ``m``: ``"2 Linear(32, 10)"``, ``"1 ReLU"``."""
    if m % 2 == 0:
        fan_in = net.n_in if m == 0 else net.widths[m // 2 - 1]
        return f"{m} Linear({fan_in}, {net.widths[m // 2]})"
    kind = net.activations[m // 2] if m // 2 < len(net.activations) else net.output_activation
    return f"{m} {TORCH_ACT.get(kind or '', kind)}"


def layers_forward(
    s: CheckContext, yours: YourTrace, tf_yours: YourTrace, tf: RefTF, tf64: RefTF, kinds: list[str]
) -> list[Row]:
    """Each layer's output, then the loss: end to end and teacher-forced."""
    order, rows = e2e_order(len(kinds)), []
    for i, kind in enumerate(kinds):
        key = f"forward {i}"
        what = "logits" if i == 2 * (len(s.net.widths) - 1) else f"{kind} output"
        row = Row(
            "forward",
            f"layers[{i}]",
            what,
            torch_module(s.net, i),
            s.measure(
                yours.outputs[i],
                s.ref64.outputs[i],
                s.ref.outputs[i],
                "forward",
                problem(yours, key, order),
            ),
            s.measure(
                tf_yours.outputs[i],
                tf64.outputs[i],
                tf.outputs[i],
                "forward",
                problem(tf_yours, key, [key]),
            ),
        )
        context: dict[str, Any]
        if kind == "linear":
            context = {
                "x": np.asarray(s.ref.inputs[i], np.float64),
                "W": s.state64[f"{i}.weight"],
                "b": s.state64[f"{i}.bias"],
            }
        else:
            context = {"act": kind, "x": np.asarray(s.ref.inputs[i], np.float64)}
        role = "linear_out" if kind == "linear" else "act_out"
        row.evidence = s.evidence(tf_yours.outputs[i], tf64.outputs[i], "forward", role, **context)
        row.evidence.context["e2e"] = (yours.outputs[i], s.ref64.outputs[i])
        rows.append(row)
    rows.append(loss_row(s, yours, tf_yours, order))
    return rows


def loss_row(
    s: CheckContext,
    yours: YourTrace,
    tf_yours: YourTrace | None,
    order: list[str],
    key: str = "loss",
) -> Row:
    """The loss: yours (on your logits; teacher-forced on torch's) against torch's; ``key``
    is the call that computed it (``loss_fn`` for a ``Functional``)."""
    net, out_act = s.net, s.net.output_activation
    name = {"softmax": "NLLLoss(log p)", "sigmoid": "BCELoss(p)"}.get(out_act or "")
    row = Row(
        "forward",
        "loss",
        "",
        f"{name or TORCH_LOSS[net.head]}(reduction='mean')",
        s.measure(yours.loss, s.ref64.loss, s.ref.loss, "forward", problem(yours, key, order)),
    )
    value = yours.loss
    if tf_yours is not None:
        row.tf = s.measure(
            tf_yours.loss, s.ref64.loss, s.ref.loss, "forward", problem(tf_yours, "loss", ["loss"])
        )
        value = tf_yours.loss
    context: dict[str, Any] = {}
    if net.head == "multiclass" and out_act in (None, "softmax") and not row.ok:
        probs = out_act == "softmax"
        context["softmax_first"] = reference.softmax_first(
            net, s.ref64.outputs[-1], s.y, probs=probs
        )[0]
    if net.head == "binary" and out_act in (None, "sigmoid") and not row.ok:
        context["sigmoid_first"] = reference.sigmoid_first(
            net, s.ref64.outputs[-1], s.y, probs=out_act == "sigmoid"
        )[0]
    if not row.ok:
        context["variants"] = variants.other_losses(net, s.ref64.outputs[-1], s.y)
    row.evidence = s.evidence(value, s.ref64.loss, "forward", "loss", **context)
    row.evidence.context["e2e"] = (yours.loss, s.ref64.loss)
    return row


def dloss_row(s: CheckContext, yours: YourTrace, tf_yours: YourTrace, order: list[str]) -> Row:
    """``dL/dlogits`` (``dL/dprobs`` after your output layer): loss.backward()'s result."""
    net, out_act = s.net, s.net.output_activation
    probs = out_act not in (None, "identity")
    what = "gradient dL/dprobs" if probs else "gradient dL/dlogits"
    row = Row(
        "backward",
        "loss",
        what,
        "probs.grad" if probs else "logits.grad",
        s.measure(
            yours.dloss, s.ref64.dloss, s.ref.dloss, "gradient", problem(yours, "dloss", order)
        ),
        s.measure(
            tf_yours.dloss,
            s.ref64.dloss,
            s.ref.dloss,
            "gradient",
            problem(tf_yours, "dloss", ["loss", "dloss"]),
        ),
    )
    context: dict[str, Any] = {}
    if net.head == "multiclass" and out_act in (None, "softmax") and not row.ok:
        context["softmax_first"] = reference.softmax_first(
            net, s.ref64.outputs[-1], s.y, probs=out_act == "softmax"
        )[1]
    if net.head == "binary" and out_act in (None, "sigmoid") and not row.ok:
        context["sigmoid_first"] = reference.sigmoid_first(
            net, s.ref64.outputs[-1], s.y, probs=out_act == "sigmoid"
        )[1]
    if out_act in ("sigmoid", "softmax") and not row.ok:
        context["variants"] = variants.logits_gradient(net, s.ref64.outputs[-1], s.y)
    row.evidence = s.evidence(tf_yours.dloss, s.ref64.dloss, "gradient", "dloss", **context)
    row.evidence.context["e2e"] = (yours.dloss, s.ref64.dloss)
    return row


def layers_backward(
    s: CheckContext, yours: YourTrace, tf_yours: YourTrace, tf: RefTF, tf64: RefTF, kinds: list[str]
) -> list[Row]:
    """``dL/dlogits``, then per layer in reverse: weight and bias gradients, input gradient."""
    order = e2e_order(len(kinds))
    rows = [dloss_row(s, yours, tf_yours, order)]
    for i in reversed(range(len(kinds))):
        key = f"backward {i}"
        p_e2e = problem(yours, key, order) or (
            "" if yours.grads else problem(yours, "backward 0", order)
        )
        p_tf = problem(tf_yours, key, [f"forward {i}", key])
        if kinds[i] == "linear":
            rows += param_rows(s, i, yours, tf_yours, tf, tf64, p_e2e, p_tf)
        row = Row(
            "backward",
            f"layers[{i}]",
            "input gradient",
            f"{i} input.grad",
            s.measure(
                yours.dinputs[i],
                s.ref64.dinputs[i],
                s.ref.dinputs[i],
                "gradient",
                problem(yours, key, order),
            ),
            s.measure(tf_yours.dinputs[i], tf64.dinputs[i], tf.dinputs[i], "gradient", p_tf),
        )
        G = np.asarray(tf64.upstream[i], np.float64)
        context: dict[str, Any]
        if kinds[i] == "linear":
            context = {"W": s.state64[f"{i}.weight"], "G": G}
        else:
            context = {
                "act": kinds[i],
                "x": np.asarray(s.ref.inputs[i], np.float64),
                "y": tf64.outputs[i],
                "G": G,
            }
        role = "linear_dx" if kinds[i] == "linear" else "act_dx"
        row.evidence = s.evidence(tf_yours.dinputs[i], tf64.dinputs[i], "gradient", role, **context)
        row.evidence.context["e2e"] = (yours.dinputs[i], s.ref64.dinputs[i])
        rows.append(row)
    return rows


def param_rows(
    s: CheckContext,
    i: int,
    yours: YourTrace,
    tf_yours: YourTrace,
    tf: RefTF,
    tf64: RefTF,
    p_e2e: str,
    p_tf: str,
) -> list[Row]:
    """Linear ``layers[i]``'s weight and bias gradients, end to end and teacher-forced."""
    rows, spec = [], s.net.linears[i // 2]
    for what, name in (("weight", spec.weight), ("bias", spec.bias)):
        key = f"{i}.{what}"
        t64 = s.user(key, tf64.grads[i][what])
        row = Row(
            "backward",
            name,
            "gradient",
            f"{key}.grad",
            s.measure(
                yours.grads.get(name),
                s.user(key, s.ref64.grads[key]),
                s.user(key, s.ref.grads[key]),
                "gradient",
                p_e2e,
            ),
            s.measure(
                tf_yours.per_layer_grads[i].get(name),
                t64,
                s.user(key, tf.grads[i][what]),
                "gradient",
                p_tf,
            ),
        )
        row.evidence = s.evidence(
            tf_yours.per_layer_grads[i].get(name),
            t64,
            "gradient",
            f"{what}_grad",
            W=s.user(key, s.state64[key]),
            G=np.asarray(tf64.upstream[i], np.float64),
        )
        row.evidence.context["e2e"] = (yours.grads.get(name), s.user(key, s.ref64.grads[key]))
        rows.append(row)
    return rows


def _attribute(s: CheckContext, yours: YourTrace) -> None:
    """Your ``loss_fn`` raised with the loss already computed: its error becomes the backward
    half's (``"loss_fn.backward"``) and that loss is yours."""
    if "loss_fn" not in yours.errors or yours.raised is None:
        return
    loss = yours.raised.loss(float(s.ref64.loss), 1e-6 if s.dtype == "float64" else 1e-4)
    if loss is not None:
        yours.loss = loss
        yours.errors = {"loss_fn.backward": yours.errors["loss_fn"]}


def _backward_problem(yours: YourTrace, first: bool) -> str:
    """Your ``loss_fn`` raised in its backward half: said at the first gradient row, the
    others not run."""
    if "loss_fn.backward" not in yours.errors:
        return ""
    if first:
        return problem(yours, "loss_fn.backward", ["loss_fn.backward"])
    return "not run: the backward half of your loss_fn raised (see the first gradient)"


def functional_rows(s: CheckContext, yours: YourTrace) -> list[Row]:
    """The loss, then every parameter's gradient from the last layer back (end to end).
    When your ``loss_fn`` raised after it had computed the loss (``Raised.loss``), the loss
    row judges that loss and the exception is the backward half's."""
    _attribute(s, yours)
    rows = [loss_row(s, yours, None, ["loss_fn"], key="loss_fn")]
    if not rows[0].ok and rows[0].evidence is not None:
        rows[0].evidence.context["l2"] = l2_entries(s, yours)
        X64 = s.X.astype(np.float64)
        rows[0].evidence.context["variants"] = (
            rows[0].evidence.context.get("variants", [])
            + variants.transposed_forward(s.net, s.state64, X64, s.y)
            + variants.other_activations(s.net, s.state64, X64, s.y)
        )
    not_run = "not run: loss_fn raised (see the loss)" if yours.errors else ""
    first_grad = True
    for k in reversed(range(len(s.net.linears))):
        spec = s.net.linears[k]
        for what, name in (("weight", spec.weight), ("bias", spec.bias)):
            key = f"{2 * k}.{what}"
            t64 = s.user(key, s.ref64.grads[key])
            row = Row(
                "backward",
                name,
                "gradient",
                f"{key}.grad",
                s.measure(
                    yours.grads.get(name),
                    t64,
                    s.user(key, s.ref.grads[key]),
                    "gradient",
                    _backward_problem(yours, first_grad) or not_run,
                ),
            )
            first_grad = False
            context = (
                {}
                if row.ok
                else {"variants": variants.functional(s.net, s.ref64, s.state64, s.y, k, what)}
            )
            row.evidence = s.evidence(
                yours.grads.get(name),
                t64,
                "gradient",
                f"{what}_grad",
                W=s.user(key, s.state64[key]),
                **context,
            )
            rows.append(row)
    return rows


def l2_entries(
    s: CheckContext, yours: YourTrace
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]]:
    """``(yours, torch's, value, is_weight)`` per parameter, float64 in your layout and shapes
    (the L2 hypothesis)."""
    out = []
    for k, spec in enumerate(s.net.linears):
        for what, name in (("weight", spec.weight), ("bias", spec.bias)):
            key = f"{2 * k}.{what}"
            if name not in yours.grads:
                return []
            out.append(
                (
                    np.asarray(yours.grads[name], np.float64),
                    s.user(key, s.ref64.grads[key]),
                    s.user(key, s.state64[key]),
                    what == "weight",
                )
            )
    return out


def mark(rows: list[Row]) -> int | None:
    """Set every row's status; return the index of the first divergence (or None).

    The root cause is the first row whose own value fails: teacher-forced where there is one,
    or whose own call raised (a raise is where the code broke, even if it runs on its own).
    A row that fails only end to end is inherited; a row never computed because an earlier
    call raised is not run. When no row fails on its own, the first inherited row is the
    root: that layer is right alone and wrong only in the chain.
    """
    first = None
    for idx, row in enumerate(rows):
        if row.ok:
            row.status = OK
        elif row.not_run:
            row.status = NOT_RUN
        elif row.tf is not None and row.tf.ok and not row.raised:
            row.status = INHERITED
        elif first is None:
            row.status, first = ROOT, idx
        else:
            row.status = ALSO if row.tf is not None else FAILS
    if first is None:
        first = next((i for i, r in enumerate(rows) if r.status == INHERITED), None)
        if first is not None:
            rows[first].status = ROOT
    return first
