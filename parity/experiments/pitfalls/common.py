"""What every pitfall measurement shares: its result type and three small measurements."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

Numbers = dict[str, float]


def max_abs(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> float:
    """``max |a - b|`` of two arrays or tensors, in float64."""
    a64 = a.detach().double().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, "f8")
    b64 = b.detach().double().numpy() if isinstance(b, torch.Tensor) else np.asarray(b, "f8")
    return float(np.abs(a64 - b64).max())


def rel_diff(a: np.ndarray, ref: np.ndarray) -> float:
    """``max |a - ref| / max |ref|``, in float64."""
    return max_abs(a, ref) / float(np.abs(ref).max())


def raises(fn: Callable[[], object], error: type[BaseException] = Exception) -> float:
    """1.0 if ``fn()`` raises ``error``, else 0.0."""
    try:
        fn()
    except error:
        return 1.0
    return 0.0
