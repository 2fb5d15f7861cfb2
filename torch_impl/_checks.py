"""Input validation at torch_impl's public boundary; the twin of ``scratch._checks``.

Errors name the offending argument and what was expected, with the same exception type and
message as scratch, and are raised before any arithmetic, so a user never sees a deep torch
traceback (``mat1 and mat2 shapes cannot be multiplied``, ``Target 3 is out of bounds``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor


def dtype_name(dtype: torch.dtype | np.dtype) -> str:
    """``torch.float32`` / ``np.dtype('float32')`` -> ``"float32"``."""
    return str(dtype).removeprefix("torch.")


def as_tensor(value: Any, name: str) -> torch.Tensor:
    """A view of a numpy array or a detached tensor; anything else is a TypeError."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise TypeError(f"{name} must have dtype float32 or float64, got {value.dtype}")
        return torch.from_numpy(value)
    raise TypeError(f"{name} must be a numpy.ndarray or torch.Tensor, got {type(value).__name__}")


def check_same_dtype(x: torch.Tensor, name: str, like: torch.Tensor) -> None:
    """No silent casts: float data must already have the model's dtype, as ``nn.Linear``
    itself insists (scratch refuses the same way)."""
    if x.dtype != like.dtype:
        got, want = dtype_name(x.dtype), dtype_name(like.dtype)
        raise TypeError(
            f"{name} has dtype {got} but the model's parameters are {want}; convert with "
            f".astype(np.{want}) or .to(torch.{want}) (no silent casts)"
        )


def check_finite(x: torch.Tensor, name: str) -> torch.Tensor:
    """``x`` if every entry is finite; otherwise a ValueError counting the NaN/inf entries."""
    finite = torch.isfinite(x)
    if not finite.all():
        bad = int(x.numel() - finite.sum().item())
        raise ValueError(f"{name} contains {bad} NaN or inf value(s)")
    return x


def check_features(x: Any, name: str, like: torch.Tensor, in_features: int | None) -> torch.Tensor:
    """``x`` as a finite 2-D ``(N, in_features)`` float tensor of ``like``'s dtype with N >= 1
    (``in_features=None`` skips the width), copied to ``like``'s device (a copy, so nothing
    can write into the caller's array). Twin: ``scratch._checks.check_features``."""
    tensor = as_tensor(x, name)
    if not tensor.is_floating_point():
        raise TypeError(
            f"{name} must have dtype float32 or float64, got {dtype_name(tensor.dtype)}"
        )
    check_same_dtype(tensor, name, like)
    shape = tuple(tensor.shape)
    if tensor.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {shape}")
    if tensor.numel() == 0:
        raise ValueError(f"{name} is empty (shape {shape}); a batch needs at least one row")
    check_finite(tensor, name)
    if in_features is not None and shape[1] != in_features:
        raise ValueError(
            f"{name} has {shape[1]} features (shape {shape}), expected in_features={in_features}"
        )
    return tensor.to(device=like.device, dtype=like.dtype, copy=True)


def check_positive_int(value: Any, name: str) -> int:
    """``value`` as an ``int`` if it is a whole number >= 1 (``int`` or NumPy integer, not
    ``bool``); otherwise a ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def check_seed(seed: Any) -> int:
    """``seed`` as an ``int`` if it is a whole number >= 0 (``int`` or NumPy integer, not
    ``bool``): TypeError for another type, ValueError for a negative one."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def check_epoch(e: int, epoch: Any, n: int) -> list[list[int]]:
    """Epoch ``e`` of an explicit batch order: a non-empty list of non-empty 1-D integer index
    arrays into ``range(n)``, as index lists for a ``batch_sampler``. Twin:
    ``scratch._checks.check_epoch``."""
    if len(epoch) == 0:
        raise ValueError(f"batches[{e}] has no batches")
    checked = []
    for b, idx in enumerate(epoch):
        idx = np.asarray(idx)
        where = f"batches[{e}][{b}]"
        if idx.ndim != 1 or idx.size == 0:
            raise ValueError(f"{where} must be a non-empty 1-D index array, got shape {idx.shape}")
        if not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(f"{where} must hold integer indices, got dtype {idx.dtype}")
        if idx.min() < 0 or idx.max() >= n:
            raise ValueError(f"{where} has indices in [{idx.min()}, {idx.max()}], outside [0, {n})")
        checked.append(idx.tolist())
    return checked


def check_batches(batches: Any, n: int) -> tuple[Iterable[list[list[int]]], int]:
    """An explicit batch order (a sequence of epochs, each a sequence of index arrays into
    ``range(n)``), checked; returns its checked epochs and the run's number of steps.

    A list or tuple is checked whole, before any training. Any other sequence, such as the
    lazy order of ``scratch.batch_order``, is checked one epoch at a time as training reaches
    it, and its ``steps`` (when it has them) give the total without drawing every epoch.
    Twin: ``scratch._checks.check_batches``.
    """
    if not isinstance(batches, Sequence) or isinstance(batches, (str, bytes, np.ndarray)):
        raise TypeError(
            f"batches must be a sequence of epochs (a list, or batch_order(...)), "
            f"got {type(batches).__name__}"
        )
    if len(batches) == 0:
        raise ValueError("batches is empty: give at least one epoch of index arrays")
    if isinstance(batches, (list, tuple)):
        epochs = [check_epoch(e, epoch, n) for e, epoch in enumerate(batches)]
        return epochs, sum(len(epoch) for epoch in epochs)
    steps = getattr(batches, "steps", None)
    total = steps if isinstance(steps, int) else sum(len(epoch) for epoch in batches)
    return (check_epoch(e, epoch, n) for e, epoch in enumerate(batches)), total


MAX_PARAMETER_BYTES = 2**32  # 4.3 GB: build_model refuses a network whose weights need more


def check_parameter_bytes(widths: Sequence[int], itemsize: int, dtype_name: str) -> None:
    """ValueError when a network of layer ``widths`` ``(in, *hidden, out)`` needs more than
    ``MAX_PARAMETER_BYTES`` for its weights and biases: ``sum(w_i * w_{i+1} + w_{i+1})``
    parameters of ``itemsize`` bytes (training needs a few times more: gradients, optimizer
    state), refused before any allocation rather than as a MemoryError. The twin of
    ``scratch._checks.check_parameter_bytes``."""
    count = sum(a * b + b for a, b in itertools.pairwise(widths))
    needed = count * itemsize
    if needed > MAX_PARAMETER_BYTES:
        raise ValueError(
            f"a network of layer widths {tuple(widths)} has {count:,} parameters, which need "
            f"{needed / 1e9:.3g} GB of {dtype_name} for its weights alone; the limit is "
            f"{MAX_PARAMETER_BYTES / 1e9:.3g} GB: give smaller hidden sizes"
        )
