"""Your side: your code run end to end and, for ``Layers``, one layer at a time on torch's
inputs and upstream gradients (teacher-forced).

An exception inside your code is recorded where it happened (``errors``, keyed like
``"forward 2"``, ``"loss"``, ``"backward 0"``, ``"loss_fn"``) and the pass stops there: it
becomes a failing row, not a crash. A value of the wrong type (``None`` from a ``backward``,
an array where the loss should be one number) is a broken contract and raises TypeError.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from parity.check.adapters.functional import FunctionalRun
from parity.check.adapters.layers import LayersRun
from parity.check.inputs import as_array, as_number, layer_result

_FAILED = object()


@dataclass
class YourTrace:
    """One pass of yours; per-layer lists are empty for ``Functional``."""

    outputs: list[np.ndarray | None] = field(default_factory=list)
    loss: float | None = None
    dloss: np.ndarray | None = None
    dinputs: list[np.ndarray | None] = field(default_factory=list)
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    per_layer_grads: list[dict[str, np.ndarray]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def describe(err: BaseException) -> str:
    """``"ValueError: message (file.py:12)"``, the innermost frame being where it was raised."""
    frames = traceback.extract_tb(err.__traceback__)
    where = f" ({frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(err).__name__}: {err}{where}"


def call(errors: dict[str, str], key: str, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, or ``_FAILED`` with the exception recorded under ``key``."""
    try:
        return fn(*args)
    except Exception as err:
        errors[key] = describe(err)
        return _FAILED


def functional_trace(run: FunctionalRun, X: np.ndarray, y: np.ndarray) -> YourTrace:
    """Your ``loss_fn`` once: the loss and the gradients."""
    out = YourTrace()
    raw = call(out.errors, "loss_fn", run.impl.loss_fn, X.copy(), y.copy(), run.params())
    if raw is not _FAILED:
        out.loss, out.grads = run.check_result(raw)
    return out


def layers_trace(run: LayersRun, X: np.ndarray, y: np.ndarray) -> YourTrace:
    """Your layers end to end: forward, loss, backward, with every intermediate value."""
    layers, loss = run.impl.layers, run.impl.loss
    out = YourTrace(outputs=[None] * len(layers), dinputs=[None] * len(layers))
    run.zero_grads()
    a: Any = X.copy()
    for i, layer in enumerate(layers):
        a = call(out.errors, f"forward {i}", layer.forward, a)
        if a is _FAILED:
            return out
        a = layer_result(a, f"layers[{i}].forward")
        out.outputs[i] = a.copy()
    value = call(out.errors, "loss", loss.forward, a, y.copy())
    if value is _FAILED:
        return out
    out.loss = as_number(value, "loss.forward")
    g = call(out.errors, "dloss", loss.backward)
    if g is _FAILED:
        return out
    out.dloss = as_array(g, "loss.backward's result").copy()
    for i in reversed(range(len(layers))):
        g = call(out.errors, f"backward {i}", layers[i].backward, g)
        if g is _FAILED:
            return out
        g = layer_result(g, f"layers[{i}].backward")
        out.dinputs[i] = g.copy()
        if i in run.impl.linear:  # read now: a later backward that raises leaves these
            out.grads.update(run.grads(only=i))
    out.grads = run.grads()  # as your optimizer would read them, after the whole pass
    return out


def layers_teacher_forced(
    run: LayersRun,
    inputs: Sequence[np.ndarray],
    G: Sequence[np.ndarray],
    loss_input: np.ndarray,
    y: np.ndarray,
) -> YourTrace:
    """Each layer alone on ``inputs[i]`` with upstream ``G[i]``; the loss on ``loss_input``."""
    layers, n = run.impl.layers, len(run.impl.layers)
    out = YourTrace(outputs=[None] * n, dinputs=[None] * n, per_layer_grads=[{}] * n)
    for i, layer in enumerate(layers):
        run.zero_grads()
        value = call(out.errors, f"forward {i}", layer.forward, inputs[i].copy())
        if value is _FAILED:
            continue
        out.outputs[i] = layer_result(value, f"layers[{i}].forward").copy()
        g = call(out.errors, f"backward {i}", layer.backward, G[i].copy())
        if g is _FAILED:
            continue
        out.dinputs[i] = layer_result(g, f"layers[{i}].backward").copy()
        if i in run.impl.linear:
            out.per_layer_grads[i] = run.grads(only=i)
    value = call(out.errors, "loss", run.impl.loss.forward, loss_input.copy(), y.copy())
    if value is not _FAILED:
        out.loss = as_number(value, "loss.forward")
        g = call(out.errors, "dloss", run.impl.loss.backward)
        if g is not _FAILED:
            out.dloss = as_array(g, "loss.backward's result").copy()
    return out
