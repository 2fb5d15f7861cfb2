"""Input validation shared by every public entry point of ``scratch``.

Errors name the offending argument and what was expected, and are raised before any
arithmetic, so a user never sees a deep NumPy traceback or silently wrong output.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .module import FLOAT_DTYPES


def check_float_array(
    x: Any, name: str, *, ndim: int | None = None, dtype: np.dtype | None = None
) -> np.ndarray:
    """Return ``x`` if it is a finite float32/float64 ndarray of the right rank and dtype.

    Raises ``TypeError`` for a non-array or non-float dtype (or a dtype other than ``dtype``)
    and ``ValueError`` for a wrong rank, an empty batch or NaN/inf entries.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {x.dtype}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(
            f"{name} has dtype {x.dtype} but the module's parameters are {np.dtype(dtype)}; "
            f"convert with .astype(np.{np.dtype(dtype)}) (no silent casts)"
        )
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {x.shape}")
    if x.size == 0 or (x.ndim > 0 and x.shape[0] == 0):
        raise ValueError(f"{name} is empty (shape {x.shape}); a batch needs at least one row")
    if not np.isfinite(x).all():
        bad = int(x.size - np.count_nonzero(np.isfinite(x)))
        raise ValueError(f"{name} contains {bad} NaN or inf value(s)")
    return x


def check_upstream(dy: Any, expected_shape: tuple[int, ...] | None, owner: str) -> np.ndarray:
    """Validate the upstream gradient ``dy`` passed to ``owner.backward``."""
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
    """``"float32"``/``"float64"``/numpy dtype -> ``np.dtype``; anything else is a TypeError."""
    try:
        d = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from exc
    if d not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {d}")
    return d


def check_positive_int(value: Any, name: str) -> int:
    """``value`` as an ``int`` if it is a whole number >= 1 (``int`` or NumPy integer, not
    ``bool``); otherwise a ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a positive integer, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_real(value: Any, name: str) -> float:
    """``value`` as a ``float`` if it is a finite real number (``int``, ``float``, NumPy
    floating or integer scalar, not ``bool``); otherwise a TypeError / ValueError naming it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def check_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """``rng`` if it is a ``np.random.Generator``; otherwise a TypeError saying how to make one."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng
