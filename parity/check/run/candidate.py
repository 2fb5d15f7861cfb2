"""Your side: your code run end to end and, for ``Layers``, one layer at a time on torch's
inputs and upstream gradients (teacher-forced).

An exception inside your code is recorded where it happened (``errors``, keyed like
``"forward 2"``, ``"loss"``, ``"backward 0"``, ``"loss_fn"``) and the pass stops there: it
becomes a failing row, not a crash. For a ``loss_fn``, which computes the loss and the
gradients in one call, ``raised`` keeps where in your file it raised and the finite numbers
your ``loss_fn`` held then (``Raised``): ``stages`` attributes the exception to the backward
half when one of them is the loss (see ``Raised.loss``). A value of the wrong type (``None``
from a ``backward``, an array where the loss should be one number) is a broken contract and
raises TypeError.
"""

from __future__ import annotations

import io
import linecache
import re
import tokenize
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from parity.check.adapters.functional import FunctionalRun
from parity.check.adapters.layers import LayersRun
from parity.check.inputs import as_array, as_number, layer_result

_FAILED = object()
# a line that computes a gradient: assigns to dW1, dz, dscores, grads[...], W1_grad..., or
# has a transposed product (X.T @ dz)
_GRADIENT_LINE = re.compile(
    r"^\s*(d(?:[A-Z]|[a-z]{1,2}\d*\b|scores|logits|probs|out|hidden)\w*|\w*grad\w*)\b"
    r"[^=]*=[^=]|\.T\s*@"
)
_LOSS_NAME = re.compile(r"loss|cost|^[JL]$", re.IGNORECASE)


@dataclass(frozen=True)
class Raised:
    """Where your ``loss_fn`` raised: the innermost line in its file, and the finite scalars
    its own frame held then (by name)."""

    line: int
    text: str
    scalars: dict[str, float]

    @property
    def at(self) -> str:
        return f"line {self.line}: `{self.text}`"

    def loss(self, torch_loss: float, rtol: float) -> float | None:
        """Your loss, when the exception came after it was computed (in the backward half),
        else None. Sure only when the raising line computes a gradient and your loss_fn
        held a scalar equal to torch's loss (within ``rtol``) or exactly one named like a
        loss; or when a scalar named like a loss equals torch's."""
        gradient_line = bool(_GRADIENT_LINE.search(self.text))
        named = {k: v for k, v in self.scalars.items() if _LOSS_NAME.search(k)}
        for k, v in self.scalars.items():
            if abs(v - torch_loss) <= rtol * abs(torch_loss) and (gradient_line or k in named):
                return v
        if gradient_line and len(named) == 1:
            return next(iter(named.values()))
        return None


def _raised(err: BaseException, fn: Callable[..., Any]) -> Raised | None:
    """Where ``err`` was raised in ``fn``'s file, with ``fn``'s frame's scalars; None when
    ``fn`` is not a plain function or the traceback never enters its file."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    frame, line = None, 0
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is code:
            frame = tb.tb_frame
        if tb.tb_frame.f_code.co_filename == code.co_filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    if frame is None or not line:
        return None
    scalars = {}
    for name, value in frame.f_locals.items():
        if isinstance(value, (float, np.floating)) or (
            isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind == "f"
        ):
            if np.isfinite(value):
                scalars[name] = float(value)
    return Raised(line, _code(linecache.getline(code.co_filename, line)), scalars)


def _code(line: str) -> str:
    """A source line without its comment."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, SyntaxError):
        return line.strip()
    comment = next((t for t in tokens if t.type == tokenize.COMMENT), None)
    return (line[: comment.start[1]] if comment else line).strip()


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
    raised: Raised | None = None  # where your loss_fn raised (Functional)


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
    try:
        raw = run.impl.loss_fn(X.copy(), y.copy(), run.params())
    except Exception as err:
        out.errors["loss_fn"] = describe(err)
        out.raised = _raised(err, run.impl.loss_fn)
        return out
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
