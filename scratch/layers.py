"""The fully connected layer: every neuron computes ``z_j = sum_i w_ji x_i + b_j``."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from ._checks import as_dtype, check_float_array, check_rng, check_upstream
from .module import Builtin, Parameter


class Linear(Builtin):
    """``y = x W^T + b``; twin: ``nn.Linear(in_features, out_features)``.

    Row ``j`` of ``weight`` holds neuron ``j``'s weights ``w_j1..w_jn``, torch's ``(out, in)``
    layout, so a torch state dict loads unchanged. Initialised as torch does,
    ``W, b ~ U(-1/sqrt(in), 1/sqrt(in))``, from ``rng`` (pass a seeded
    ``np.random.Generator`` for reproducible weights).

    Backward, for ``dy = dL/dy``::

        dW += dy^T x      # (out, in)
        db += sum_n dy    # (out,)
        dx  = dy W        # (N, in); skipped for a network's first layer, as torch does

    Shape: x (N, in) -> y (N, out).
    """

    fresh_output = True  # y is a new array; the layer keeps its input, not its output
    fresh_dx = True

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        dtype: str | np.dtype = "float64",
        rng: np.random.Generator | None = None,
    ) -> None:
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Linear: {name} must be a positive integer, got {value!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dt = as_dtype(dtype)
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        bound = 1.0 / np.sqrt(self.in_features)
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)).astype(dt))
        self.bias = (
            Parameter(rng.uniform(-bound, bound, (out_features,)).astype(dt)) if bias else None
        )
        self.x: np.ndarray | None = None

    def _check_input(self, x: Any) -> np.ndarray:
        x = check_float_array(x, "Linear input", ndim=2, dtype=self.weight.data.dtype)
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"Linear input has {x.shape[1]} features (shape {x.shape}), "
                f"expected in_features={self.in_features}"
            )
        return x

    def _check_upstream(self, dy: Any) -> np.ndarray:
        x = self.x
        return check_upstream(dy, None if x is None else (x.shape[0], self.out_features), "Linear")

    def _forward(self, x: np.ndarray, owned: bool) -> np.ndarray:
        self.x = x  # the input is all backward needs
        y = x @ self.weight.data.T  # (N, out)
        if self.bias is not None:
            y += self.bias.data
        return y

    def _backward(self, dy: np.ndarray, owned: bool, need_dx: bool) -> np.ndarray | None:
        # A cleared .grad (zero_grad) gets the gradient written straight into it (out=): no
        # temporary, no pass adding it to zeros. Otherwise it is added, as torch accumulates.
        w, b = self.weight, self.bias
        x = cast(np.ndarray, self.x)  # set: a forward ran (_check_upstream saw to it)
        if w._zero:
            np.matmul(dy.T, x, out=w._grad)  # dW = dy^T x  (out, in)
        else:
            w._grad += dy.T @ x
        w._zero = False
        if b is not None:
            if b._zero:
                np.add.reduce(dy, 0, out=b._grad)  # db = dy summed over N  (out,)
            else:
                b._grad += np.add.reduce(dy, 0)
            b._zero = False
        return dy @ w.data if need_dx else None  # dx = dy W  (N, in)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
