"""The module protocol: ``Parameter`` and the small ``Module`` base every layer shares.

Twin: ``torch.nn.Parameter`` and ``torch.nn.Module``. A parameter holds ``.data`` and
``.grad`` arrays of the same shape and dtype; ``backward`` *accumulates* into ``.grad`` (as
torch does), ``zero_grad`` clears it. Modules are called like torch modules: ``m(x)`` is
``m.forward(x)``.

The built-in modules (``Builtin``) split each public call into a check and the arithmetic,
so that ``Sequential`` checks its input once, at its boundary, and then runs every layer's
unchecked ``_forward`` / ``_backward`` on arrays it made itself.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, cast

import numpy as np

DTYPES = ("float32", "float64")  # the precisions both twins run in
FLOAT_DTYPES = tuple(np.dtype(name) for name in DTYPES)


class Parameter:
    """A trainable array with its gradient: ``.data`` and ``.grad`` (same shape and dtype).

    ``zero_grad()`` marks the gradient as zero (``_zero``) without a pass over memory:
    ``.grad`` reads as zeros afterwards, and the next backward writes its gradient straight
    into the array instead of adding it to zeros (the same values, as torch's
    ``set_to_none=True`` assigns rather than adds). An array taken from ``.grad`` *before*
    ``zero_grad`` is not cleared.
    """

    __slots__ = ("_grad", "_zero", "data")

    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self._grad = np.zeros_like(data)
        self._zero = True  # _grad's values are stale (here: zeros); it reads as zeros

    @property
    def grad(self) -> np.ndarray:
        """``dL/d data``, accumulated over backward passes since the last ``zero_grad``."""
        if self._zero:
            self._grad.fill(0)
            self._zero = False
        return self._grad

    @grad.setter
    def grad(self, value: np.ndarray) -> None:
        self._grad = value
        self._zero = False

    def zero_grad(self) -> None:
        """Clear the gradient (lazily: see the class docstring)."""
        self._zero = True

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

    # The unchecked protocol a Sequential runs between its layers (see ``Builtin``). A module
    # without it (``_fast_forward`` / ``_fast_backward`` False) is run through its public
    # ``forward`` / ``backward``, which check their own input.
    _fast_forward = False
    _fast_backward = False
    fresh_output = False
    fresh_dx = False

    def _check_input(self, x: Any) -> np.ndarray:
        """``x`` if it is a valid input; otherwise the public error."""
        return x

    def _check_upstream(self, dy: Any) -> np.ndarray:
        """``dy`` if it fits the last forward; otherwise the public error."""
        return dy

    def _forward(self, x: np.ndarray, owned: bool) -> np.ndarray:
        """``forward`` on a checked ``x``."""
        return self.forward(x)

    def _backward(self, dy: np.ndarray, owned: bool, need_dx: bool) -> np.ndarray | None:
        """``backward`` on a checked ``dy``; ``None`` when ``need_dx`` is False."""
        return self.backward(dy)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(name, parameter)`` with torch's names (``"weight"``, ``"0.bias"``...)."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value

    def parameters(self) -> list[Parameter]:
        """All parameters, in torch's order; what the optimizers take."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Clear every parameter's ``.grad``: it reads as zeros until the next backward."""
        for p in self.parameters():
            p.zero_grad()

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class Builtin(Module):
    """A built-in module: ``forward`` / ``backward`` = one check + the unchecked arithmetic.

    ``_forward(x, owned)`` and ``_backward(dy, owned, need_dx)`` assume checked input;
    ``owned`` says the array is a temporary nobody else holds, which the module may overwrite
    (in-place activations); ``need_dx=False`` lets it skip ``dx`` and return ``None`` (the
    first layer of a network: nothing needs ``dL/dX``, and torch skips it too). The class
    flags ``fresh_output`` / ``fresh_dx`` say the module's results are such temporaries.
    A subclass that overrides ``forward`` or ``backward`` is run through that public method.
    """

    _fast_forward = True
    _fast_backward = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "forward" in vars(cls):  # its own forward: a Sequential must call it
            cls._fast_forward, cls.fresh_output = False, False
        if "backward" in vars(cls):
            cls._fast_backward, cls.fresh_dx = False, False

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self._forward(self._check_input(x), False)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx = self._backward(self._check_upstream(dy), False, True)
        return cast(np.ndarray, dx)  # need_dx=True always returns dx


def flatten_parameters(params: Sequence[Parameter]) -> None:
    """Move ``params``' data and gradients into one 1-D array each, as consecutive views.

    Values are unchanged; an optimizer then updates every parameter with one array operation
    instead of one per parameter (torch's ``foreach`` idea). ``build_model`` does this for
    the networks it builds, before anyone can hold the old arrays.
    """
    if not params or len({p.dtype for p in params}) != 1:
        return
    total = sum(p.data.size for p in params)
    data, grad = np.empty(total, params[0].dtype), np.zeros(total, params[0].dtype)
    start = 0
    for p in params:
        stop = start + p.data.size
        view = data[start:stop].reshape(p.shape)
        view[...] = p.data
        p.data, p._grad, p._zero = view, grad[start:stop].reshape(p.shape), True
        start = stop


def flat_parameters(params: Sequence[Parameter]) -> tuple[np.ndarray, np.ndarray] | None:
    """The 1-D ``(data, grad)`` arrays whose consecutive slices are ``params``' ``.data`` and
    ``.grad``, in order and with no gaps (``flatten_parameters``' layout), or ``None``."""
    flat = []
    for arrays in ([p.data for p in params], [p._grad for p in params]):
        base = arrays[0].base
        if not isinstance(base, np.ndarray) or base.ndim != 1 or not base.flags.c_contiguous:
            return None
        address = base.ctypes.data
        for a in arrays:
            if a.base is not base or a.dtype != base.dtype or not a.flags.c_contiguous:
                return None
            if a.ctypes.data != address:
                return None
            address += a.nbytes
        if address != base.ctypes.data + base.nbytes:
            return None
        flat.append(base)
    return flat[0], flat[1]


def split_like(flat: np.ndarray, params: Sequence[Parameter]) -> list[np.ndarray]:
    """``flat`` (1-D) cut into consecutive views shaped as ``params``."""
    views, start = [], 0
    for p in params:
        views.append(flat[start : start + p.data.size].reshape(p.shape))
        start += p.data.size
    return views
