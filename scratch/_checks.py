"""Input validation for the public entry points of ``scratch``.

Errors name the offending argument and what was expected, and are raised before any
arithmetic, so a user never sees a deep NumPy traceback or silently wrong output.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

DTYPES = ("float32", "float64")  # the precisions both twins run in
FLOAT_DTYPES = tuple(np.dtype(name) for name in DTYPES)


def check_float_array(
    x: Any,
    name: str,
    *,
    ndim: int | None = None,
    dtype: np.dtype | None = None,
    in_features: int | None = None,
    finite: bool = True,
) -> np.ndarray:
    """``x`` if it is a float32/float64 ndarray of the right rank, dtype and width, with at
    least one row and (when ``finite``) no NaN/inf; TypeError / ValueError otherwise."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {x.dtype}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(
            f"{name} has dtype {x.dtype} but the model's parameters are {np.dtype(dtype)}; "
            f"convert with .astype(np.{np.dtype(dtype)}) (no silent casts)"
        )
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {x.shape}")
    if x.size == 0 or (x.ndim > 0 and x.shape[0] == 0):
        raise ValueError(f"{name} is empty (shape {x.shape}); a batch needs at least one row")
    if finite:
        check_finite(x, name)
    if in_features is not None and x.shape[1] != in_features:
        raise ValueError(
            f"{name} has {x.shape[1]} features (shape {x.shape}), "
            f"expected in_features={in_features}"
        )
    return x


def check_finite(x: np.ndarray, name: str) -> np.ndarray:
    """``x`` if every entry is finite; otherwise a ValueError counting the NaN/inf entries."""
    finite = np.isfinite(x)
    if not finite.all():
        raise ValueError(f"{name} contains {x.size - np.count_nonzero(finite)} NaN or inf value(s)")
    return x


def check_upstream(dy: Any, expected_shape: tuple[int, ...] | None, owner: str) -> np.ndarray:
    """The upstream gradient ``dy`` of ``owner.backward``: a float array of the forward
    output's shape (``expected_shape``, ``None`` before any forward)."""
    if expected_shape is None:
        raise RuntimeError(f"{owner}.backward called before forward")
    if not isinstance(dy, np.ndarray) or dy.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{owner}.backward: dy must be a float32/float64 ndarray")
    if dy.shape != expected_shape:
        raise ValueError(
            f"{owner}.backward: dy has shape {dy.shape}, expected the forward output's "
            f"shape {expected_shape}"
        )
    return dy


def as_dtype(dtype: Any) -> np.dtype:
    """``"float32"``/``"float64"``/numpy dtype -> ``np.dtype``: TypeError for something that
    is not a dtype, ValueError for any other dtype. Twin: ``torch_impl.resolve_dtype``."""
    valid = ", ".join(DTYPES)
    try:
        d = np.dtype(dtype)
    except TypeError as exc:
        if isinstance(dtype, str):  # a name, but not a dtype's: a wrong value
            raise ValueError(f"unsupported dtype {dtype!r}; valid: {valid}") from exc
        raise TypeError(
            f"dtype must be a string or numpy dtype, got {type(dtype).__name__} {dtype!r}; "
            f"valid: {valid}"
        ) from exc
    if d not in FLOAT_DTYPES:
        shown = repr(dtype) if isinstance(dtype, str) else str(d)
        raise ValueError(f"unsupported dtype {shown}; valid: {valid}")
    return d


def check_positive_int(value: Any, name: str) -> int:
    """``value`` as an ``int`` if it is a whole number >= 1 (not a ``bool``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a positive integer, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_real(value: Any, name: str) -> float:
    """``value`` as a ``float`` if it is a finite real number (not a ``bool``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def check_rng(rng: Any) -> np.random.Generator:
    """``rng`` if it is a ``np.random.Generator``; otherwise a TypeError saying how to make one."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def check_seed(seed: Any) -> int:
    """``seed`` as an ``int`` >= 0: TypeError for another type, ValueError for a negative one."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def check_epoch(e: int, epoch: Any, n: int) -> list[np.ndarray]:
    """Epoch ``e`` of a batch order: non-empty 1-D integer index arrays into ``range(n)``."""
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
        checked.append(idx)
    return checked


def check_batches(batches: Any, n: int) -> tuple[Iterable[list[np.ndarray]], int]:
    """A batch order (epochs of index arrays into ``range(n)``), checked, and its step count.

    A list or tuple is checked whole, before any training; another sequence (the lazy
    ``BatchOrder``) one epoch at a time, its ``steps`` giving the total.
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


def check_parameter_bytes(widths: Sequence[int], dtype: np.dtype) -> None:
    """ValueError, before any allocation, when layers of ``widths`` ``(in, *hidden, out)``
    need more than ``MAX_PARAMETER_BYTES`` for their weights and biases."""
    count = sum(a * b + b for a, b in itertools.pairwise(widths))
    needed = count * dtype.itemsize
    if needed > MAX_PARAMETER_BYTES:
        raise ValueError(
            f"a network of layer widths {tuple(widths)} has {count:,} parameters, which need "
            f"{needed / 1e9:.3g} GB of {dtype.name} for its weights alone; the limit is "
            f"{MAX_PARAMETER_BYTES / 1e9:.3g} GB: give smaller hidden sizes"
        )
