"""The checks at scratch's public boundary: each error names the argument, what it got and
what it needs, and is raised before any arithmetic."""

import math
import numbers
from typing import Any

import numpy as np

DTYPES = ("float32", "float64")  # the precisions both twins run in


def check_float_array(
    x: Any,
    name: str,
    *,
    ndim: int | None = None,
    dtype: np.dtype | None = None,
    in_features: int | None = None,
    finite: bool = True,
) -> np.ndarray:
    """``x`` if it is a non-empty float32/float64 ndarray, of rank ``ndim``, of ``dtype``, with
    ``in_features`` columns and (when ``finite``) no NaN/inf, for those that are given."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype.name not in DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {x.dtype}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(
            f"{name} has dtype {x.dtype} but the model's parameters are {dtype}; "
            f"convert with .astype(np.{dtype}) (no silent casts)"
        )
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{name} is empty (shape {x.shape}); a batch needs at least one row")
    if finite and not np.isfinite(x).all():
        raise ValueError(f"{name} contains {np.sum(~np.isfinite(x))} NaN or inf value(s)")
    if in_features is not None and x.shape[1] != in_features:
        raise ValueError(
            f"{name} has {x.shape[1]} features (shape {x.shape}), "
            f"expected in_features={in_features}"
        )
    return x


def check_upstream(dy: Any, shape: tuple[int, ...] | None, owner: str) -> np.ndarray:
    """``dy`` for ``owner.backward``: a float array of the forward output's ``shape`` (which is
    ``None`` before any forward)."""
    if shape is None:
        raise RuntimeError(f"{owner}.backward called before forward")
    if not isinstance(dy, np.ndarray) or dy.dtype.name not in DTYPES:
        raise TypeError(f"{owner}.backward: dy must be a float32/float64 ndarray")
    if dy.shape != shape:
        raise ValueError(
            f"{owner}.backward: dy has shape {dy.shape}, expected the forward output's "
            f"shape {shape}"
        )
    return dy


def as_dtype(dtype: Any) -> np.dtype:
    """``"float32"`` / ``"float64"`` (or their NumPy dtypes) as a ``np.dtype``."""
    if not isinstance(dtype, (str, np.dtype, type)):
        raise TypeError(f"dtype must be a string or numpy dtype, got {type(dtype).__name__}")
    try:
        name = np.dtype(dtype).name
    except TypeError:  # a string that names no dtype
        name = None
    if name not in DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}; valid: {', '.join(DTYPES)}")
    return np.dtype(name)


def check_positive_int(value: Any, name: str) -> int:
    """``value`` as an ``int`` if it is a whole number >= 1 (a ``bool`` is not)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {type(value).__name__} {value!r}")
    return int(value)


def check_real(value: Any, name: str) -> float:
    """``value`` as a ``float`` if it is a finite real number (a ``bool`` is not)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def check_rng(rng: Any) -> np.random.Generator:
    """``rng`` if it is a ``np.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def check_seed(seed: Any) -> int:
    """``seed`` as an ``int`` >= 0."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)
