"""The fully connected layer: every neuron computes ``z_j = sum_i w_ji x_i + b_j``."""

from typing import Any

import numpy as np

from ._checks import as_dtype, check_float_array, check_positive_int, check_rng, check_upstream
from .module import Module, Parameter


class Linear(Module):
    """``y = x W^T + b``; twin: ``nn.Linear(in_features, out_features)``. Row ``j`` of
    ``weight`` is neuron ``j``'s weights (torch's ``(out, in)`` layout), initialised as torch
    does, ``W, b ~ U(-1/sqrt(in), 1/sqrt(in))``, from ``rng``.

    Backward, for ``dy = dL/dy``::

        dW += dy^T x      # (out, in)
        db += sum_n dy    # (out,)
        dx  = dy W        # (N, in)

    Shape: x (N, in) -> y (N, out). Caches the input ``x``: all backward needs.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        dtype: str | np.dtype = "float64",
        rng: np.random.Generator | None = None,
    ) -> None:
        self.in_features = check_positive_int(in_features, "Linear: in_features")
        self.out_features = check_positive_int(out_features, "Linear: out_features")
        dt = as_dtype(dtype)
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        bound = 1.0 / np.sqrt(self.in_features)
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)).astype(dt))
        self.bias = Parameter(rng.uniform(-bound, bound, out_features).astype(dt)) if bias else None
        self.x: np.ndarray | None = None

    def check_input(self, x: Any) -> np.ndarray:
        return check_float_array(
            x, "Linear input", ndim=2, dtype=self.weight.dtype, in_features=self.in_features
        )

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x  # (N, in)
        y = x @ self.weight.data.T  # (N, out)
        if self.bias is not None:
            y += self.bias.data  # in place: y is our own new array
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        x = self.x
        check_upstream(dy, None if x is None else (len(x), self.out_features), "Linear")
        self.weight.grad += dy.T @ x  # (out, in)
        if self.bias is not None:
            self.bias.grad += dy.sum(axis=0)  # (out,)
        return dy @ self.weight.data  # (N, in)
