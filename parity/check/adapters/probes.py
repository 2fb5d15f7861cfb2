"""Probes: run one of your layers on a known input to learn what it is.

* ``activation_kind``: a layer without parameters is fed a fixed input with negative, zero
  and positive entries and compared with each activation torch knows.
* ``linear_layout``: a layer with a square weight is fed a random input; ``x @ W + b`` or
  ``x @ W.T + b`` tells which layout your code uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

PROBE = np.array(
    [[-3.0, -1.0, -0.25, 0.0, 0.5, 2.0, 4.0], [1.5, -2.0, 0.1, -0.5, 3.0, -4.0, 0.25]]
)  # (2, 7): both signs, an exact 0, small and large magnitudes


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


KNOWN: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "identity": lambda x: x,
    "softmax": _softmax,
}
_MATCH = 1e-6  # probes compare exact formulas; float32 layers still agree to ~1e-7


def _close(a: Any, b: np.ndarray) -> bool:
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.abs(a - b).max() <= _MATCH * max(1.0, np.abs(b).max()))


def activation_kind(layer: Any, dtype: np.dtype) -> tuple[str | None, str]:
    """``(kind, "")`` when ``layer.forward`` matches a known activation, else ``(None, why)``."""
    try:
        out = layer.forward(PROBE.astype(dtype))
    except Exception as err:
        return None, (
            f"forward raised {type(err).__name__}: {err} on a probe input of shape "
            f"{PROBE.shape}; pass kinds=[...]"
        )
    for kind, f in KNOWN.items():
        if _close(out, f(PROBE)):
            return kind, ""
    slope = _leaky_slope(out)
    if slope is not None:
        return None, (
            f"it is a Leaky ReLU of slope {slope:g}; torch's reference has leaky_relu with "
            f"slope 0.01 only (the seed's), so set your slope to 0.01 to check this network"
        )
    return None, (
        f"its forward matches no activation torch's reference knows ({', '.join(KNOWN)}; "
        f"leaky_relu with slope 0.01); pass kinds=[...]"
    )


def _leaky_slope(out: Any) -> float | None:
    """The slope ``a`` if ``out`` is ``x`` for ``x > 0`` and ``a x`` below, else None."""
    try:
        out = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if out.shape != PROBE.shape or not _close(out[PROBE > 0], PROBE[PROBE > 0]):
        return None
    slope = float(out[PROBE < 0][0] / PROBE[PROBE < 0][0])
    return slope if _close(out, np.where(PROBE > 0, PROBE, slope * PROBE)) else None


def linear_layout(
    forward: Callable[[np.ndarray], Any], W: np.ndarray, b: np.ndarray, seed: int
) -> str | None:
    """``"in_out"`` if ``forward(x) == x @ W + b``, ``"out_in"`` if ``x @ W.T + b``, else None
    (a symmetric ``W`` cannot tell, nor can a forward that matches neither)."""
    x = np.random.default_rng(seed).standard_normal((3, W.shape[0])).astype(W.dtype)
    try:
        out = forward(x)
    except Exception:
        return None
    as_in_out, as_out_in = x @ W + b, x @ W.T + b
    if np.allclose(as_in_out, as_out_in, rtol=0, atol=1e-12):
        return None
    if _close(out, as_in_out.astype(np.float64)):
        return "in_out"
    if _close(out, as_out_in.astype(np.float64)):
        return "out_in"
    return None
