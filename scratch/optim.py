"""Gradient-descent optimizers with torch's update formulas: ``SGD(model.parameters(),
lr=0.1)``, then per step ``zero_grad() -> backward -> step()``."""

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._checks import check_real
from .module import Parameter


class Optimizer:
    """The parameter list, ``lr`` and ``zero_grad``, shared by both optimizers."""

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        if not all(isinstance(p, Parameter) for p in self.params):
            raise TypeError("optimizer params must be scratch Parameters (model.parameters())")
        self.lr = check_real(lr, "lr")  # any real: 0.1, np.float32(0.1), 1 (not True)
        if self.lr <= 0:
            raise ValueError(f"lr must be a positive finite number, got {lr!r}")

    def zero_grad(self) -> None:
        """Clear every parameter's gradient (they accumulate otherwise, as in torch)."""
        for p in self.params:
            p.grad.fill(0)


def _non_negative(**values: Any) -> list[float]:
    """Each value as a float, if it is a finite real number >= 0."""
    for name, v in values.items():
        if check_real(v, name) < 0:
            raise ValueError(f"{name} must be >= 0, got {v!r}")
    return [float(v) for v in values.values()]


class SGD(Optimizer):
    """Stochastic gradient descent, torch's formula, per parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p                  # L2 penalty folded into the gradient
        b = g                 on the first step   # torch seeds the buffer with g ...
        b = momentum*b + (1-dampening)*g  later   # ... not with (1-dampening)*g
        g = g + momentum*b  if nesterov  else b
        p = p - lr * g

    Not the classical ``v = mu v - lr g; p += v``, which differs once lr changes.
    Twin: ``torch.optim.SGD``.
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
        self.buffers: list[np.ndarray | None] = [None] * len(self.params)  # momentum

    def step(self) -> None:
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                buf = self.buffers[i]
                if buf is None:
                    buf = self.buffers[i] = g.copy()
                else:
                    buf *= self.momentum  # in place: the buffer is the optimizer's own
                    buf += (1 - self.dampening) * g
                g = g + self.momentum * buf if self.nesterov else buf
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam, torch's formula (L2 ``weight_decay``, not AdamW), at step ``t = 1, 2, ...``::

        g = g + weight_decay * p
        m = m + (1 - beta1) * (g - m)             # torch's lerp form of beta1*m + (1-beta1)*g
        v = beta2 * v + (1 - beta2) * g^2
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    ``eps`` is added after the bias correction of ``sqrt(v)``, as torch does.
    Twin: ``torch.optim.Adam``.
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
        self.betas = (check_real(betas[0], "Adam beta1"), check_real(betas[1], "Adam beta2"))
        for name, b in zip(("beta1", "beta2"), self.betas, strict=True):
            if not 0 <= b < 1:
                raise ValueError(f"Adam {name} must be in [0, 1), got {b!r}")
        self.eps, self.weight_decay = _non_negative(eps=eps, weight_decay=weight_decay)
        self.t = 0
        self.m = [np.zeros_like(p.data) for p in self.params]  # first moments
        self.v = [np.zeros_like(p.data) for p in self.params]  # second moments

    def step(self) -> None:
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1 - beta1**self.t)
        bias_correction2_sqrt = math.sqrt(1 - beta2**self.t)
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            m += (1 - beta1) * (g - m)  # m and v are updated in place: the optimizer's own
            v *= beta2
            v += (1 - beta2) * (g * g)
            denom = np.sqrt(v) / bias_correction2_sqrt + self.eps
            p.data -= step_size * (m / denom)  # torch's addcdiv order


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}


def make_optimizer(name: str, params: Iterable[Parameter], **settings: Any) -> Optimizer:
    """An optimizer by name: ``make_optimizer("sgd", model.parameters(), lr=0.1)``; twin:
    ``torch_impl.make_optimizer``."""
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; valid: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](params, **settings)
