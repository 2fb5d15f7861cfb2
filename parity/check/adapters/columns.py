"""The column layout (Andrew Ng's courses, many textbooks): ``X (D, N)``, one example per
column, weights ``(out, in)``, biases ``(out, 1)``, ``Z = W @ X + b``.

The check works in rows (``X (N, D)``, torch's layout): a network in columns is run through
these adapters, which transpose at its boundary and nowhere else. Your code gets ``X.T``,
``(D, N)``; ``y`` as ``(1, N)`` for the binary and regression heads (class indices ``(N,)``
for multiclass); a layer's ``forward`` and ``backward`` get and return ``(features, N)``;
your loss gets ``(outputs, N)`` and its ``backward`` returns that shape. Weights and biases
stay as you hold them, ``(out, in)`` and ``(out, 1)``, and are compared in those shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np


def is_columns(weights: list[tuple[int, ...]], biases: list[tuple[int, ...] | None]) -> bool:
    """``(out, 1)`` biases beside ``(out, in)`` weights (some layer with ``out > 1``)."""
    return any(
        b is not None and len(b) == 2 and b[1] == 1 and b[0] > 1 and len(w) == 2 and w[0] == b[0]
        for w, b in zip(weights, biases, strict=True)
    )


def _y(y: np.ndarray, head: str) -> np.ndarray:
    return y if head == "multiclass" else y.reshape(1, -1)


def _t(a: Any) -> Any:
    """``a.T`` for an array (what your code returned, transposed back to rows); anything else
    (``None`` from a method that returns nothing) as it is, for the check to report."""
    return np.ascontiguousarray(np.asarray(a).T) if isinstance(a, np.ndarray) else a


def loss_fn(fn: Callable[..., Any], head: str) -> Callable[..., Any]:
    """A ``Functional`` ``loss_fn`` written in columns, called in rows."""

    def in_rows(X: np.ndarray, y: np.ndarray, params: Mapping[str, np.ndarray]) -> Any:
        return fn(np.ascontiguousarray(X.T), _y(y, head), params)

    in_rows.__name__ = getattr(fn, "__name__", "loss_fn")
    return in_rows


class ColumnLayer:
    """One of your layers, written in columns, seen in rows; every attribute is your layer's
    (read and written through)."""

    def __init__(self, layer: Any) -> None:
        object.__setattr__(self, "_layer", layer)

    def forward(self, x: np.ndarray) -> Any:
        return _t(self._layer.forward(np.ascontiguousarray(x.T)))

    def backward(self, dy: np.ndarray) -> Any:
        return _t(self._layer.backward(np.ascontiguousarray(dy.T)))

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_layer"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._layer, name, value)

    def __repr__(self) -> str:
        return f"columns({self._layer!r})"


class ColumnLoss:
    """Your loss object, written in columns (``forward(A (C, N), Y)``), seen in rows."""

    def __init__(self, loss: Any, head: str) -> None:
        self.loss, self.head = loss, head

    def forward(self, out: np.ndarray, y: np.ndarray) -> Any:
        return self.loss.forward(np.ascontiguousarray(out.T), _y(y, self.head))

    def backward(self) -> Any:
        return _t(self.loss.backward())
