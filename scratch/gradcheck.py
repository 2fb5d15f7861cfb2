"""Central finite differences, the referee for every hand-written backward: entry ``k`` of
``dL/dtheta`` is ``(L(theta + eps e_k) - L(theta - eps e_k)) / (2 eps)``, error ``O(eps^2)``.
``L`` is the loss, or ``sum(dy * y)`` for a module and a fixed random ``dy``."""

from collections.abc import Callable
from typing import Any

import numpy as np

from .losses import Loss
from .module import Module


def numeric(f: Callable[[], float], arr: np.ndarray, eps: float) -> np.ndarray:
    """d f() / d arr by central differences, perturbing ``arr`` in place and restoring it
    (entry by index tuple: ``arr.reshape(-1)`` of a non-contiguous view would be a copy)."""
    grad = np.zeros_like(arr)
    for k in np.ndindex(arr.shape):
        orig = arr[k]
        arr[k] = orig + eps
        plus = f()
        arr[k] = orig - eps
        minus = f()
        arr[k] = orig
        grad[k] = (plus - minus) / (2 * eps)
    return grad


def gradients(
    obj: Module | Loss,
    x: np.ndarray,
    *,
    target: np.ndarray | None = None,
    loss: Loss | None = None,
    eps: float = 1e-6,
    seed: int = 0,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The hand-written and the central-difference gradients, ``(analytic, numeric)``, keyed
    ``"input"``, ``"0.weight"``, ... of a module, a module with a ``loss`` and ``target``, or
    a loss (with ``target``). float64 only: float32 has too few digits for finite differences.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("gradcheck needs a float64 input (float32 cannot resolve eps)")
    x = x.copy()
    params = dict(obj.named_parameters()) if isinstance(obj, Module) else {}
    if any(p.dtype != np.float64 for p in params.values()):
        raise TypeError("gradcheck needs float64 parameters; build the model with dtype=float64")
    scalar: Callable[[], float]
    if isinstance(obj, Loss):
        scalar = lambda: obj(x, target)  # type: ignore[arg-type]  # noqa: E731
        scalar()
        analytic = {"input": obj.backward()}
    else:
        if loss is not None:
            scalar = lambda: loss(obj(x), target)  # type: ignore[arg-type]  # noqa: E731
            scalar()
            dy = loss.backward()
        else:
            dy = np.random.default_rng(seed).standard_normal(obj(x).shape)
            scalar = lambda: float((dy * obj(x)).sum())  # noqa: E731
        obj.zero_grad()
        analytic = {"input": obj.backward(dy)}
        analytic.update({name: p.grad.copy() for name, p in params.items()})
    numerics = {"input": numeric(scalar, x, eps)}
    numerics.update({name: numeric(scalar, p.data, eps) for name, p in params.items()})
    return analytic, numerics


def gradcheck_errors(obj: Module | Loss, x: np.ndarray, **kwargs: Any) -> dict[str, float]:
    """Per tensor (``"input"``, ``"0.weight"``, ...), ``max|analytic - numeric|`` relative
    to the larger magnitude of the two; ``kwargs`` as for ``gradients``."""
    analytic, numerics = gradients(obj, x, **kwargs)
    errors = {}
    for name, a in analytic.items():
        scale = max(float(np.abs(a).max()), float(np.abs(numerics[name]).max()), 1e-12)
        errors[name] = float(np.abs(a - numerics[name]).max()) / scale
    return errors


def gradcheck(obj: Module | Loss, x: np.ndarray, **kwargs: Any) -> float:
    """The worst relative error over every parameter and the input (``gradcheck_errors``)."""
    return max(gradcheck_errors(obj, x, **kwargs).values())
