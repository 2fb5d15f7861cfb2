"""Central finite differences: the independent referee for every hand-written backward.

For a scalar ``L(theta)`` the numerical derivative of entry ``k`` is
``(L(theta + eps e_k) - L(theta - eps e_k)) / (2 eps)``, error ``O(eps^2)``. The scalar is
the loss (for a loss, or a model with ``loss``), or ``sum(dy * y)`` for a random fixed
upstream gradient ``dy`` (for a module), so every output entry gets a distinct weight.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .losses import Loss
from .module import Module


def _relative(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """Max abs difference relative to the tensor's magnitude (max |entry| of either)."""
    scale = max(float(np.abs(analytic).max()), float(np.abs(numeric).max()), 1e-12)
    return float(np.abs(analytic - numeric).max()) / scale


def _numeric(f: Any, arr: np.ndarray, eps: float) -> np.ndarray:
    """d f() / d arr by central differences, perturbing ``arr`` in place and restoring it.

    Entries are addressed by index tuples on ``arr`` itself: ``arr.reshape(-1)`` would be a
    copy for a non-contiguous view (such as ``W.T``), and perturbing a copy changes nothing.
    """
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
    """The hand-written and the central-difference gradients, ``(analytic, numeric)``.

    ``obj`` is a module (``loss=None``: scalar ``sum(dy * obj(x))``), a module with a
    ``loss`` and ``target`` (scalar ``loss(obj(x), target)``), or a loss itself (with
    ``target``). Both dicts are keyed ``"input"``, ``"0.weight"``, ... Everything must be
    float64: float32 has too few digits for finite differences.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("gradcheck needs a float64 input (float32 cannot resolve eps)")
    x = x.copy()
    params = dict(obj.named_parameters()) if isinstance(obj, Module) else {}
    if any(p.dtype != np.float64 for p in params.values()):
        raise TypeError("gradcheck needs float64 parameters; build the model with dtype=float64")

    if isinstance(obj, Loss):

        def scalar() -> float:
            return obj(x, target)  # type: ignore[arg-type]

        scalar()
        analytic = {"input": obj.backward()}
    else:
        if loss is not None:

            def scalar() -> float:
                return loss(obj(x), target)  # type: ignore[arg-type]

            scalar()
            dy = loss.backward()
        else:
            dy = np.random.default_rng(seed).standard_normal(obj(x).shape)

            def scalar() -> float:
                return float((dy * obj(x)).sum())

            obj(x)
        obj.zero_grad()
        analytic = {"input": obj.backward(dy)}
        analytic.update({name: p.grad.copy() for name, p in params.items()})

    numeric = {"input": _numeric(scalar, x, eps)}
    numeric.update({name: _numeric(scalar, p.data, eps) for name, p in params.items()})
    return analytic, numeric


def gradcheck_errors(
    obj: Module | Loss,
    x: np.ndarray,
    *,
    target: np.ndarray | None = None,
    loss: Loss | None = None,
    eps: float = 1e-6,
    seed: int = 0,
) -> dict[str, float]:
    """Per tensor, ``max|analytic - numeric| / max(|analytic|, |numeric|)`` (see ``gradients``).

    Returns ``{"input": err, "0.weight": err, ...}``.
    """
    analytic, numeric = gradients(obj, x, target=target, loss=loss, eps=eps, seed=seed)
    return {name: _relative(analytic[name], numeric[name]) for name in analytic}


def gradcheck(
    obj: Module | Loss,
    x: np.ndarray,
    *,
    target: np.ndarray | None = None,
    loss: Loss | None = None,
    eps: float = 1e-6,
    seed: int = 0,
) -> float:
    """The worst relative error over every parameter and the input (see ``gradcheck_errors``)."""
    return max(gradcheck_errors(obj, x, target=target, loss=loss, eps=eps, seed=seed).values())
