"""The checks at torch_impl's model boundary (the data ``fit`` and ``predict`` take): each error
names the argument, what it got and what it needs. Twin: ``scratch._checks``."""

from typing import Any

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor


def dtype_name(dtype: torch.dtype | np.dtype) -> str:
    """``torch.float32`` / ``np.dtype('float32')`` -> ``"float32"``."""
    return str(dtype).removeprefix("torch.")


def as_tensor(value: Any, name: str) -> torch.Tensor:
    """A numpy array or a tensor as a tensor (not yet copied); anything else is a TypeError."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, np.ndarray) and not value.dtype.hasobject:
        return torch.from_numpy(value)
    raise TypeError(f"{name} must be a numpy.ndarray or torch.Tensor, got {type(value).__name__}")


def check_float_tensor(x: torch.Tensor, name: str, like: torch.Tensor) -> torch.Tensor:
    """``x`` as a copy on ``like``'s device, if it is a finite float tensor of ``like``'s
    dtype: no silent casts, as ``nn.Linear`` itself insists."""
    if x.is_floating_point() and x.dtype != like.dtype:
        got, want = dtype_name(x.dtype), dtype_name(like.dtype)
        raise TypeError(
            f"{name} has dtype {got} but the model's parameters are {want}; convert with "
            f".astype(np.{want}) or .to(torch.{want}) (no silent casts)"
        )
    if x.dtype != like.dtype:
        raise TypeError(f"{name} must have dtype float32 or float64, got {dtype_name(x.dtype)}")
    finite = torch.isfinite(x)
    if not finite.all():
        raise ValueError(f"{name} contains {int((~finite).sum())} NaN or inf value(s)")
    return x.to(device=like.device, copy=True)


def check_features(x: Any, name: str, like: torch.Tensor, in_features: int | None) -> torch.Tensor:
    """``x`` as a finite ``(N, in_features)`` float tensor of ``like``'s dtype, N >= 1, copied
    to ``like``'s device (``in_features=None`` skips the width)."""
    tensor = as_tensor(x, name)
    if not tensor.is_floating_point():
        got = dtype_name(tensor.dtype)
        raise TypeError(f"{name} must have dtype float32 or float64, got {got}")
    if tensor.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(tensor.shape)})")
    tensor = check_float_tensor(tensor, name, like)
    if in_features is not None and tensor.shape[1] != in_features:
        raise ValueError(
            f"{name} has {tensor.shape[1]} features (shape {tuple(tensor.shape)}), "
            f"expected in_features={in_features}"
        )
    return tensor


def check_positive_int(value: Any, name: str) -> int:
    """``value`` as an ``int`` if it is a whole number >= 1 (a ``bool`` is not)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def check_seed(seed: Any) -> int:
    """``seed`` as an ``int`` >= 0."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)
