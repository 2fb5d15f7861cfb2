"""The module protocol: ``Parameter`` and the small ``Module`` base every layer shares.

Twin: ``torch.nn.Parameter`` and ``torch.nn.Module``. A parameter holds ``.data`` and
``.grad`` arrays of the same shape and dtype; ``backward`` *accumulates* into ``.grad`` (as
torch does), ``zero_grad`` clears it. Modules are called like torch modules: ``m(x)`` is
``m.forward(x)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Parameter:
    """A trainable array with its gradient: ``.data`` and ``.grad`` (same shape and dtype)."""

    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self.grad = np.zeros_like(data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module(ABC):
    """Base of every layer and activation: parameters, ``zero_grad`` and call syntax.

    Subclasses implement ``forward(x) -> y`` (caching on ``self`` what backward needs) and
    ``backward(dy) -> dx`` (accumulating parameter gradients into ``.grad``).
    """

    @abstractmethod
    def forward(self, x: np.ndarray) -> np.ndarray:
        """``y = f(x)``, caching on ``self`` what ``backward`` needs."""

    @abstractmethod
    def backward(self, dy: np.ndarray) -> np.ndarray:
        """``dx = dL/dx`` from ``dy = dL/dy``, accumulating parameter gradients."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(name, parameter)`` with torch's names (``"weight"``, ``"0.bias"``...)."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value

    def parameters(self) -> list[Parameter]:
        """All parameters, in torch's order; what the optimizers take."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to zeros (torch's ``set_to_none=False``)."""
        for p in self.parameters():
            p.grad.fill(0)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"
