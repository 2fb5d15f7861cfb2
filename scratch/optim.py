"""Gradient-descent optimizers with torch's exact update formulas.

Both take ``model.parameters()`` and update ``.data`` in place from ``.grad``:
``SGD(model.parameters(), lr=0.1)``, then per step ``zero_grad() -> backward -> step()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._checks import check_real
from .module import Parameter, flat_parameters, split_like


class _Optimizer:
    """Shared plumbing: the parameter list, ``lr``, ``zero_grad`` and the update's layout.

    When the parameters live in one flat array (``build_model``'s layout), ``step`` updates
    that array with one operation per formula term, instead of one per parameter; the
    arithmetic per entry is the same. Rebinding a parameter's ``.data`` or ``.grad`` ends the
    flat path for good (the per-parameter state lists are views of the flat state, so
    nothing is lost).
    """

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        if not all(isinstance(p, Parameter) for p in self.params):
            raise TypeError("optimizer params must be scratch Parameters (model.parameters())")
        self.lr = check_real(lr, "lr")  # any real: 0.1, np.float32(0.1), 1 (not True)
        if self.lr <= 0:
            raise ValueError(f"lr must be a positive finite number, got {lr!r}")
        self._flat = flat_parameters(self.params)
        self._views = [(p.data, p._grad) for p in self.params]
        self._work: dict[int, np.ndarray] = {}

    def zero_grad(self) -> None:
        """Clear every parameter's gradient (they accumulate otherwise, as in torch)."""
        for p in self.params:
            p._zero = True  # Parameter.zero_grad, inlined: it runs every step

    def _flat_now(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The flat ``(data, grad)`` while every parameter still lives in it, else ``None``."""
        if self._flat is not None:
            for p, (data, grad) in zip(self.params, self._views, strict=True):
                if p.data is not data or p._grad is not grad:
                    self._flat = None
                    break
                if p._zero:  # no backward reached it: its gradient reads as zeros
                    grad.fill(0)
                    p._zero = False
        return self._flat

    def _zeros(self) -> tuple[np.ndarray | None, list[np.ndarray]]:
        """Zero state for every parameter: ``(flat, views)`` on the flat path (the views cut
        from ``flat``), else ``(None, one array per parameter)``."""
        if self._flat is None:
            return None, [np.zeros_like(p.data) for p in self.params]
        flat = np.zeros_like(self._flat[0])
        return flat, split_like(flat, self.params)

    def _chunk(self, i: int, like: np.ndarray) -> np.ndarray:
        """A reusable 1-D work array of ``like``'s dtype, one ``_subtract_scaled`` chunk long
        (key ``i``; -1 for the flat array)."""
        size = min(like.size, _CHUNK_BYTES // like.itemsize)
        buf = self._work.get(i)
        if buf is None or buf.size != size or buf.dtype != like.dtype:
            buf = self._work[i] = np.empty(size, like.dtype)
        return buf


_CHUNK_BYTES = 1 << 18  # 256 KiB: a chunk of data, gradient and temporary stays in L2


def _subtract_scaled(data: np.ndarray, g: np.ndarray, lr: float, work: np.ndarray) -> None:
    """``data -= lr * g`` in place, ``g`` untouched, chunk by chunk through ``work`` (1-D):
    the temporary ``lr * g`` never leaves the cache, so the update is one pass over memory.
    The same two roundings per entry as the one-line form."""
    if not (data.flags.c_contiguous and g.flags.c_contiguous):
        np.subtract(data, np.multiply(g, lr), out=data)
        return
    d, g = data.reshape(-1), g.reshape(-1)  # views: both are contiguous
    if d.size <= work.size:
        np.subtract(d, np.multiply(g, lr, out=work[: d.size]), out=d)
        return
    for start in range(0, d.size, work.size):
        stop = min(start + work.size, d.size)
        np.subtract(
            d[start:stop],
            np.multiply(g[start:stop], lr, out=work[: stop - start]),
            out=d[start:stop],
        )


def _non_negative(**values: Any) -> list[float]:
    """Each value as a float, after checking it is a finite real number >= 0."""
    out = []
    for name, v in values.items():
        f = check_real(v, name)
        if f < 0:
            raise ValueError(f"{name} must be >= 0, got {v!r}")
        out.append(f)
    return out


class SGD(_Optimizer):
    """Stochastic gradient descent, torch's formula; twin: ``torch.optim.SGD``.

    Per parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p                  # L2 penalty folded into the gradient
        b = g                 on the first step   # torch seeds the buffer with g ...
        b = momentum*b + (1-dampening)*g  later   # ... not with (1-dampening)*g
        g = g + momentum*b  if nesterov  else b
        p = p - lr * g

    This is *not* the classical ``v = mu v - lr g; p += v``: with a constant lr the two
    trace the same path, but they differ as soon as lr changes, and torch's buffer is in
    gradient units.
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum, self.dampening, self.weight_decay = _non_negative(
            momentum=momentum, dampening=dampening, weight_decay=weight_decay
        )
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False, got {type(nesterov).__name__}")
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")
        self.buffers: list[np.ndarray | None] = [None] * len(self.params)
        self._flat_buffer: np.ndarray | None = None  # on the flat path, behind the buffers

    def step(self) -> None:
        """Apply one update to every parameter."""
        flat = self._flat_now()
        if flat is not None:
            fresh = self._flat_buffer is None
            self._flat_buffer = self._update(*flat, self._flat_buffer, self._chunk(-1, flat[0]))
            if fresh and self._flat_buffer is not None:  # the per-parameter buffers: its views
                self.buffers = list(split_like(self._flat_buffer, self.params))
            return
        for i, p in enumerate(self.params):
            self.buffers[i] = self._update(p.data, p.grad, self.buffers[i], self._chunk(i, p.data))

    def _update(
        self, data: np.ndarray, g: np.ndarray, buf: np.ndarray | None, work: np.ndarray
    ) -> np.ndarray | None:
        """Update ``data`` in place from its gradient ``g``; returns the momentum buffer."""
        if self.weight_decay:
            g = g + self.weight_decay * data
        if self.momentum:
            if buf is None:
                buf = g.copy()
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * g
            g = g + self.momentum * buf if self.nesterov else buf
        _subtract_scaled(data, g, self.lr, work)  # data -= lr * g
        return buf


class Adam(_Optimizer):
    """Adam, torch's formula (L2 ``weight_decay`` as in ``torch.optim.Adam``, not AdamW).

    Per parameter ``p`` with gradient ``g`` at step ``t = 1, 2, ...``::

        g = g + weight_decay * p
        m = m + (1 - beta1) * (g - m)             # torch's lerp form of beta1*m + (1-beta1)*g
        v = beta2 * v + (1 - beta2) * g^2
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Note where ``eps`` sits: added after the bias correction of ``sqrt(v)``, as torch does.
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"Adam betas must be a pair (beta1, beta2), got {betas!r}")
        beta1, beta2 = check_real(betas[0], "Adam beta1"), check_real(betas[1], "Adam beta2")
        for name, b in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= b < 1:
                raise ValueError(f"Adam {name} must be in [0, 1), got {b!r}")
        self.betas = (beta1, beta2)
        self.eps, self.weight_decay = _non_negative(eps=eps, weight_decay=weight_decay)
        self.t = 0
        self._flat_m, self.m = self._zeros()
        self._flat_v, self.v = self._zeros()

    def step(self) -> None:
        """Apply one update to every parameter."""
        self.t += 1
        beta1 = self.betas[0]
        step_size = self.lr / (1 - beta1**self.t)
        bias_correction2_sqrt = math.sqrt(1 - self.betas[1] ** self.t)
        flat = self._flat_now()
        if flat is not None:
            if self._flat_m is not None and self._flat_v is not None:
                self._update(*flat, self._flat_m, self._flat_v, step_size, bias_correction2_sqrt)
                return
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            self._update(p.data, p.grad, m, v, step_size, bias_correction2_sqrt)

    def _update(
        self,
        data: np.ndarray,
        g: np.ndarray,
        m: np.ndarray,
        v: np.ndarray,
        step_size: float,
        bias_correction2_sqrt: float,
    ) -> None:
        """Update ``data``, ``m`` and ``v`` in place from the gradient ``g``."""
        beta1, beta2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * data
        m += (1 - beta1) * (g - m)
        v *= beta2
        v += (1 - beta2) * (g * g)
        denom = np.sqrt(v) / bias_correction2_sqrt + self.eps
        data -= step_size * (m / denom)  # torch's addcdiv order
