"""Decide the structure: your tensors mapped onto torch's network, or a ``StructureError``.

``Functional``: the weights and biases of ``params`` in order, the ``activation`` you gave.
``Layers``: the layers must alternate Linear and activation (``Linear, act, ..., Linear``),
optionally ending in the sigmoid (binary) or softmax (multiclass) your loss expects.
"""

from __future__ import annotations

import numpy as np

from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.check.adapters.probes import linear_layout
from parity.check.adapters.structure import (
    LinearSpec,
    Net,
    decide_layout,
    draw_tree,
    in_out,
    render_rows,
)
from parity.check.run import reference
from parity.errors import StructureError

OUTPUT_FOR_HEAD = {"binary": "sigmoid", "multiclass": "softmax"}


def _state(
    linears: tuple[LinearSpec, ...], values: dict[str, np.ndarray], layout: str
) -> dict[str, np.ndarray]:
    """Your parameters as torch's state dict (``"0.weight"`` is ``(out, in)``, ``"0.bias"``
    ``(out,)``): a weight vector ``(n,)`` becomes ``(1, n)``, a ``(1, out)`` or scalar bias
    ``(out,)``."""
    state = {}
    for k, spec in enumerate(linears):
        W = values[spec.weight]
        if W.ndim == 1:
            W = W.reshape(1, -1)
        elif layout == "in_out":
            W = W.T
        state[f"{2 * k}.weight"] = np.ascontiguousarray(W)
        state[f"{2 * k}.bias"] = np.array(values[spec.bias]).reshape(-1)
    return state


def torch_state(net: Net, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return _state(net.linears, values, net.layout)


def _functional_probe(
    impl: Functional,
    linears: tuple[LinearSpec, ...],
    n_in: int,
    acts: tuple[str, ...],
    X: np.ndarray,
    y: np.ndarray,
) -> tuple[str | None, str]:
    """Every weight is square: run your loss once and see which layout torch agrees with."""
    run = impl.bind("float64")
    try:
        yours = run.loss(X.astype(np.float64), y)
    except Exception as err:
        return None, f"probe failed ({type(err).__name__} in your loss_fn); assumed in_out"
    found = []
    for layout in ("in_out", "out_in"):
        widths = tuple(w.weight_shape[0] for w in linears)
        net = Net(n_in, widths, acts, None, impl.head, layout, "", linears, "")
        value = reference.loss_at(
            net, _state(linears, run.params(), layout), X.astype(np.float64), y
        )
        if abs(value - yours) <= 1e-9 * max(1.0, abs(value)):
            found.append(layout)
    if len(found) == 1:
        return found[0], "probe (your loss matched torch's in this layout)"
    if found:
        return "in_out", "symmetric weights (either layout)"
    return None, "probe inconclusive (your loss matches neither layout); assumed in_out"


def _layers_probe(impl: Layers, seed: int) -> tuple[str | None, str]:
    """Every weight is square: run each Linear once and see whether it computes x @ W."""
    votes = set()
    for i in impl.linear:
        W, b = impl.value(i, impl.attrs[0]), impl.value(i, impl.attrs[1])
        if W.ndim != 2:
            continue
        found = linear_layout(impl.layers[i].forward, W, b, seed)
        if found:
            votes.add(found)
    if len(votes) == 1:
        return votes.pop(), "probe (your Linear layers' forward)"
    return None, "probe inconclusive; assumed in_out"


def _layers_arrangement(impl: Layers) -> tuple[tuple[str, ...], str | None, list[str]]:
    """The hidden activations and the output activation; raises StructureError if the layers
    do not alternate Linear and activation."""
    kinds = {i: (k, why) for i, k, why in impl.activation_kinds()}
    labels = [
        "linear" if i in impl.linear else (kinds[i][0] or "?") for i in range(len(impl.layers))
    ]
    bad: tuple[int, str] | None = None
    for i, label in enumerate(labels):
        expected_linear = i % 2 == 0
        if label == "?":
            bad = (i, kinds[i][1])
        elif not expected_linear and label == "softmax" and i < len(labels) - 1:
            bad = (
                i,
                "a softmax between layers: torch's hidden layers take sigmoid, tanh, relu, "
                "leaky_relu or identity",
            )
        elif expected_linear != (label == "linear"):
            bad = (
                i,
                "expected a Linear here: layers must alternate Linear and activation"
                if expected_linear
                else "expected an activation between two Linear layers",
            )
        if bad:
            break
    ends = ("linear", "identity", OUTPUT_FOR_HEAD.get(impl.head))  # identity: "linear activation"
    if bad is None and labels[-1] not in ends:
        bad = (
            len(labels) - 1,
            f"the {impl.head} head has no {labels[-1]} after its last Linear"
            + (
                f" (a {OUTPUT_FOR_HEAD[impl.head]} may come before a loss on probabilities)"
                if impl.head in OUTPUT_FOR_HEAD
                else ""
            ),
        )
    if bad is not None:
        rows = [
            (f"layers[{i}] {type(layer).__name__}", label, bad[1] if i == bad[0] else "")
            for i, (layer, label) in enumerate(zip(impl.layers, labels, strict=True))
        ]
        raise StructureError(
            f"layers[{bad[0]}]: {bad[1]}", render_rows(rows, "your layers -> what the check sees")
        )
    out_act = labels[-1] if labels[-1] != "linear" else None
    n_act = len(impl.linear) - 1
    return tuple(labels[1 : 2 * n_act : 2]), out_act, labels


def decide(
    impl: Functional | Layers, n_in: int, n_out: int, X: np.ndarray, y: np.ndarray, seed: int
) -> tuple[Net, list[str]]:
    """The ``Net`` your implementation maps to, and the per-layer kinds (Layers)."""
    linears = impl.linears()
    if isinstance(impl, Layers):
        acts, out_act, labels = _layers_arrangement(impl)
        names = tuple(f"layers[{i}]" for i in range(len(impl.layers)))

        def probe() -> tuple[str | None, str]:
            return _layers_probe(impl, seed)
    else:
        acts, out_act, labels, names = impl.activations, None, [], ()

        def probe() -> tuple[str | None, str]:
            return _functional_probe(impl, linears, n_in, acts, X, y)

    layout, how, bad = decide_layout(linears, n_in, n_out, impl.layout, probe)
    tree = draw_tree(linears, acts, out_act, layout, bad, names)
    if bad is not None:
        raise StructureError(bad[2], tree)
    widths = tuple(in_out(s.weight_shape, layout)[1] for s in linears)
    return Net(n_in, widths, acts, out_act, impl.head, layout, how, linears, tree), labels
