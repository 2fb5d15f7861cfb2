"""The module protocol: ``Parameter`` and the small ``Module`` base every layer shares.
Twins: ``torch.nn.Parameter`` and ``torch.nn.Module``."""

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._checks import check_float_array


class Parameter:
    """A trainable array with its gradient: ``.data`` and ``.grad`` (same shape and dtype)."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self.grad = np.zeros_like(data)  # dL/d data, summed over backward passes

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype


class Module(ABC):
    """Base of every layer and activation: parameters, ``zero_grad`` and call syntax: ``m(x)``
    checks ``x``, then calls ``forward``; ``backward`` *accumulates* into ``.grad``."""

    @abstractmethod
    def forward(self, x: np.ndarray) -> np.ndarray:
        """``y = f(x)``, caching on ``self`` what ``backward`` needs."""

    @abstractmethod
    def backward(self, dy: np.ndarray) -> np.ndarray:
        """``dx = dL/dx`` from ``dy = dL/dy``, accumulating parameter gradients."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(self.check_input(x))

    def check_input(self, x: Any) -> np.ndarray:
        """``x`` if it is a valid input (a finite float array); otherwise the public error."""
        return check_float_array(x, f"{type(self).__name__} input")

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(name, parameter)`` with torch's names (``"weight"``, ``"0.bias"``...)."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value

    def parameters(self) -> list[Parameter]:
        """All parameters, in torch's order; what the optimizers take."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to zeros (gradients accumulate otherwise)."""
        for p in self.parameters():
            p.grad.fill(0)
