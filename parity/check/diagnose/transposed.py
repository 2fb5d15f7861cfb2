"""When your code raised: does it run, and match torch, with one weight transposed?

A non-square weight used the wrong way round (``x @ W.T`` on an ``(in, out)`` weight) does
not compute a wrong number: NumPy refuses the shapes. So for a first divergence that is an
exception, the check calls your code once more with that weight transposed; if it then
runs and agrees with torch within the tolerance, the diagnosis is "transposed" (verified),
not just "raised".
"""

from __future__ import annotations

import numpy as np

from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.check.diagnose.hypotheses import PITFALLS
from parity.check.rows import Diagnosis, Row
from parity.check.run.context import CheckContext
from parity.compare import scaled_error
from parity.tolerances import tolerance

FIX = "for an (in, out) weight y = x @ W + b; for (out, in) y = x @ W.T + b"


def _found(name: str, residual: float, tol: float) -> Diagnosis:
    return Diagnosis(
        "transposed",
        f"transposed: your code raised on {name}'s shape, and with {name} transposed it runs "
        f"and agrees with torch: it uses {name} the other way round",
        FIX,
        residual,
        tol,
        PITFALLS["transposed"],
    )


def functional(impl: Functional, s: CheckContext) -> Diagnosis | None:
    """Your ``loss_fn`` with each non-square weight transposed in turn."""
    tol = tolerance("forward", s.dtype).value
    run = impl.bind(s.dtype)
    for spec in s.net.linears:
        params = run.params()
        W = params[spec.weight]
        if W.ndim != 2 or W.shape[0] == W.shape[1]:
            continue
        params[spec.weight] = np.ascontiguousarray(W.T)
        try:
            loss = run.check_result(impl.loss_fn(s.X.copy(), s.y.copy(), params))[0]
        except Exception:
            continue
        residual = scaled_error(loss, s.ref64.loss)
        if residual <= tol:
            return _found(spec.weight, residual, tol)
    return None


def layers(impl: Layers, s: CheckContext, i: int) -> Diagnosis | None:
    """``layers[i].forward`` on torch's input with its (non-square) weight transposed."""
    tol = tolerance("forward", s.dtype).value
    attr = impl.attrs[0]
    layer, W = impl.layers[i], impl.value(i, impl.attrs[0])
    if W.ndim != 2 or W.shape[0] == W.shape[1]:
        return None
    holder, name = (
        (getattr(layer, attr), "data")
        if not isinstance(getattr(layer, attr), np.ndarray)
        else (layer, attr)
    )
    setattr(holder, name, np.ascontiguousarray(W.T))
    try:
        out = layer.forward(np.array(s.ref.inputs[i]))
    except Exception:
        return None
    finally:
        setattr(holder, name, W)
    residual = scaled_error(out, s.ref64.outputs[i])
    return _found(impl.name(i), residual, tol) if residual <= tol else None


def retry(impl: Functional | Layers, s: CheckContext, row: Row) -> Diagnosis | None:
    """A "transposed" diagnosis for a row where your code raised, or None."""
    if isinstance(impl, Functional):
        return functional(impl, s) if row.name == "loss" else None
    if row.stage == "forward" and row.name.startswith("layers["):
        i = int(row.name[len("layers[") : -1])
        return layers(impl, s, i) if i in impl.linear else None
    return None
