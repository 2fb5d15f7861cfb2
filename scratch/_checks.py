"""Input validation shared by every public entry point of ``scratch``.

Errors name the offending argument and what was expected, and are raised before any
arithmetic, so a user never sees a deep NumPy traceback or silently wrong output.
"""

from __future__ import annotations

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
