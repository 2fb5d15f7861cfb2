"""Standardisation that cannot overflow: ``z = (x - mean) / std`` per column, in float64.

A column scaled by ``1e300`` has an honest std of about ``1e300``, but computing it squares
the values (``1e600``: inf), and the column would then be divided by inf, i.e. silently
zeroed. Here every column is first scaled by a power of two, ``2^e >= max|x|``: that is
exact in binary floating point, so the mean, the std and ``z`` are bit for bit those of the
textbook formula wherever that one does not overflow, and finite wherever it does.

A (near-)constant column, ``std <= 1e-12 max|x|`` or a std below float64's smallest normal
number (2.2e-308, where a subnormal std keeps few bits), carries nothing to learn; its std is
taken as ``max(1, |mean|)``, so its train values become 0 and a new value ``x`` becomes its
relative deviation ``(x - mean) / |mean|`` (for ``|mean| >= 1``) rather than a huge number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CONSTANT_RTOL = 1e-12  # std <= this times max|x|: the column is constant up to rounding
_TINY = float(np.finfo(np.float64).smallest_normal)  # a smaller std counts as constant too


def mean_std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and std (ddof=0), float64, finite for any finite ``X (N, D)`` with N >= 1;
    a (near-)constant column gets std ``max(1, |mean|)`` (see the module docstring)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be (N, D) with N >= 1 rows, got shape {X.shape}")
    peak = np.max(np.abs(X), axis=0)  # (D,)
    _, e = np.frexp(peak)  # peak = m 2^e with m in [0.5, 1) (e = 0 for peak 0)
    scaled = np.ldexp(X, -e)  # exact; |scaled| < 1, so neither sum nor square overflows
    mean_s, std_s = scaled.mean(axis=0), scaled.std(axis=0)
    with np.errstate(over="ignore"):  # mean, std <= max|x| <= float max; inf only by rounding
        mean, std = np.ldexp(mean_s, e), np.ldexp(std_s, e)
    # constant up to rounding, or a spread float64 cannot hold as a normal number (subnormal)
    constant = ~(std_s > CONSTANT_RTOL * np.ldexp(peak, -e)) | ~(std >= _TINY)
    mean = np.where(X.max(axis=0) == X.min(axis=0), X[0], mean)  # exact: its z is exactly 0
    return mean, np.where(constant, np.maximum(1.0, np.abs(mean)), std)


def scale(X: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """``(X - mean) / std`` per column, float64 ``(N, D)``: computed on ``X / 2^e`` with
    ``2^e`` about ``std`` (exact), so ``X - mean`` cannot overflow; an entry is inf only where
    ``z`` itself exceeds the float64 range. ``X (N, D)``, ``mean (D,)``, ``std (D,) > 0``."""
    X = np.asarray(X, dtype=np.float64)
    _, e = np.frexp(np.asarray(std, dtype=np.float64))
    with np.errstate(over="ignore", invalid="ignore"):
        return (np.ldexp(X, -e) - np.ldexp(mean, -e)) / np.ldexp(std, -e)


def standardize(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardise both splits with the train split's column mean and std (:func:`mean_std`).

    Shapes: ``X_train (N_train, D)``, ``X_test (N_test, D)`` -> same shapes, float64.
    """
    mean, std = mean_std(X_train)
    return scale(X_train, mean, std), scale(X_test, mean, std)


def cast_scaled(
    Z: np.ndarray, dtype: np.dtype, source: str, names: Sequence[str], what: str
) -> np.ndarray:
    """Standardised ``Z (N, D)`` as a C-contiguous array of ``dtype``; ValueError naming the
    column when a value does not fit ``dtype`` (an outlier many train stds away)."""
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(Z, dtype=dtype)
    bad = ~np.isfinite(out)
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise ValueError(
            f"{source}: column {names[col]!r}, standardised with the train split's mean and "
            f"std, reaches {float(Z[row, col]):.3g} in the {what} data, which does not fit "
            f"{dtype.name}; remove the outlier rows or rescale the column"
        )
    return out


def check_statistics(source: str, names: Sequence[str], mean: np.ndarray, std: np.ndarray) -> None:
    """ValueError naming the column unless every mean and std is finite (JSON has no inf)."""
    bad = ~(np.isfinite(mean) & np.isfinite(std))
    if bad.any():
        col = int(np.argmax(bad))
        raise ValueError(
            f"{source}: column {names[col]!r} has a mean or std beyond float64 "
            f"({float(mean[col]):.3g}, {float(std[col]):.3g}); rescale the column"
        )


HEADROOM = 2.0**20  # predictions this many stds from the target's mean must stay finite


def check_target_headroom(source: str, y_mean: float, y_std: float) -> None:
    """ValueError unless ``z * y_std + y_mean`` is finite for ``|z| <= HEADROOM``: predictions
    mapped back to a regression target's units must not overflow."""
    with np.errstate(over="ignore"):
        reach = abs(y_mean) + HEADROOM * y_std
    if not reach <= np.finfo(np.float64).max:
        raise ValueError(
            f"{source}: the regression target's mean {y_mean:.3g} and std {y_std:.3g} are too "
            f"large: predictions z * std + mean overflow float64 within {HEADROOM:.0f} stds; "
            "divide the target by a power of ten (and multiply predictions back)"
        )
