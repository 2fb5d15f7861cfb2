"""Validation at the public boundary of ``parity.check``: a wrong type is a TypeError, a
wrong value a ValueError, and the message names the argument, the value and the fix."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from parity import errors
from parity.check.adapters.structure import HEADS, LAYOUTS
from parity.spec import seed_problem

# parity.check's errors are parity.errors' (a ValueError and a TypeError; exit status 2)
InputError = errors.InputError
InputTypeError = errors.InputTypeError


ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
OUTPUT_ACTIVATIONS = ("sigmoid", "softmax")


def check_choice(value: Any, name: str, valid: Sequence[str]) -> str:
    """``value`` if it is one of ``valid`` (TypeError for a non-string)."""
    if not isinstance(value, str):
        raise InputTypeError(f"{name} must be a string, one of {', '.join(valid)}; got {value!r}")
    if value not in valid:
        raise InputError(f"unknown {name} {value!r}; valid: {', '.join(valid)}")
    return value


def check_head(head: Any) -> str:
    return check_choice(head, "head", HEADS)


def check_layout(layout: Any) -> str:
    return check_choice(layout, "layout", LAYOUTS)


def check_callable(value: Any, name: str, signature: str) -> Any:
    """``value`` if callable, else a TypeError showing the expected ``signature``."""
    if not callable(value):
        raise InputTypeError(f"{name} must be callable as {signature}, got {type(value).__name__}")
    return value


def check_activations(activation: Any, n_hidden: int) -> tuple[str, ...]:
    """One activation name for every hidden layer, or one per hidden layer."""
    if isinstance(activation, str):
        names = [activation] * n_hidden
        check_choice(activation, "activation", ACTIVATIONS)
    elif isinstance(activation, Sequence):
        names = list(activation)
        if len(names) != n_hidden:
            raise InputError(
                f"activation has {len(names)} names for {n_hidden} hidden layers; give one "
                f"name, or one per hidden layer"
            )
    else:
        raise InputTypeError(
            f"activation must be a name or a list of names, got {type(activation).__name__}"
        )
    return tuple(check_choice(a, "activation", ACTIVATIONS) for a in names)


def check_param(value: Any, name: str, *, scalar: bool = False) -> np.ndarray:
    """A parameter: a finite float ndarray of at most 2 dimensions (a weight ``(in, out)`` or
    ``(out, in)``, or ``(in,)`` for one output; a bias ``(out,)``, ``(1, out)`` or ``()`` for
    one output). With ``scalar=True`` a Python or NumPy float becomes a 0-D array."""
    if scalar and isinstance(value, (float, np.floating)):
        value = np.array(value, dtype=np.float64)
    if not isinstance(value, np.ndarray):
        raise InputTypeError(f"{name} must be a numpy array, got {type(value).__name__}")
    if not np.issubdtype(value.dtype, np.floating):
        raise InputTypeError(
            f"{name} has dtype {value.dtype}; parameters must be float arrays "
            f"(use .astype(np.float64))"
        )
    if value.ndim > 2:
        raise InputError(
            f"{name} has shape {value.shape}: weights must be 2-D (or 1-D for one output) and "
            f"biases 1-D, (1, n) or a scalar"
        )
    if value.size == 0:
        raise InputError(f"{name} is empty (shape {value.shape})")
    if not np.isfinite(value).all():
        raise InputError(f"{name} contains NaN or inf; pass finite initial values")
    return value


def check_positive_int(value: Any, name: str, *, zero: bool = False) -> int:
    """An int >= 1 (>= 0 with ``zero=True``); not a bool."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputTypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < (0 if zero else 1):
        raise InputError(f"{name} must be >= {0 if zero else 1}, got {value}")
    return int(value)


def check_real(value: Any, name: str, *, positive: bool = False) -> float:
    """A finite real number (> 0 with ``positive=True``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    f = float(value)
    if not np.isfinite(f) or (positive and f <= 0) or f < 0:
        need = "a positive" if positive else "a non-negative"
        raise InputError(f"{name} must be {need} finite number, got {value!r}")
    return f


def as_number(value: Any, what: str) -> float:
    """A loss value returned by your code as a Python float (TypeError if it is not one)."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(())[()]
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating)):
        shape = f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""
        raise InputTypeError(
            f"{what} returned a {type(value).__name__}{shape} as the loss; expected one number "
            f"(the mean loss over the batch)"
        )
    return float(value)


def as_array(value: Any, what: str) -> np.ndarray:
    """An array returned by your code (TypeError for None or a non-numeric value)."""
    if value is None:
        raise InputTypeError(f"{what} is None; it must be a numpy array")
    try:
        arr = np.asarray(value)
    except Exception as err:  # ragged lists and the like
        raise InputTypeError(f"{what} is not an array: {err}") from None
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise InputTypeError(f"{what} must be a real numeric array, got dtype {arr.dtype}")
    return arr


def as_grad(value: Any, what: str, shape: tuple[int, ...]) -> np.ndarray:
    """A gradient returned by your code, as a copy. One with another number of axes than the
    parameter that differs only by axes of length 1 (``(n,)`` for a ``(1, n)`` bias, a scalar
    for a ``(1,)`` bias) is given the parameter's ``shape``; any other shape is kept, to be
    reported (``(n, 1)`` for a ``(1, n)`` weight is a transposed gradient, not a squeeze)."""
    arr = as_array(value, what)
    squeezed = [d for d in arr.shape if d != 1] == [d for d in shape if d != 1]
    same = squeezed and arr.ndim != len(shape)
    return (arr.reshape(shape) if arr.shape != shape and same else arr).copy()


def check_seed(value: Any, name: str = "seed") -> int:
    """A seed, an int in ``0 .. 2**32 - 1`` (``parity.spec``: NumPy RandomState's range)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InputTypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    problem = seed_problem(int(value))
    if problem is not None:
        raise InputError(f"{name} {problem}")
    return int(value)
