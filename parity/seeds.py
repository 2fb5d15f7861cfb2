"""The valid range of a seed, in one place: ``0 <= seed < 2**32``.

The synthetic datasets draw from ``np.random.RandomState(seed)`` (``parity.samples``) and the
split is ``train_test_split(random_state=seed)``; NumPy's RandomState takes a 32-bit seed, so
a larger one would fail deep inside a run. Every public boundary that takes a seed
(``RunSpec``, ``parity.data``, ``parity.check``, the CLI's ``--seed``) checks it here.
"""

from __future__ import annotations

import numpy as np

SEED_LIMIT = 2**32  # seeds are 0 .. SEED_LIMIT - 1 (NumPy RandomState's range)


def seed_problem(value: int) -> str | None:
    """Why the integer ``value`` is not a valid seed, or None when it is."""
    if not 0 <= value < SEED_LIMIT:
        return f"must be an integer in 0 .. 2**32 - 1 ({SEED_LIMIT - 1}), got {value}"
    return None


def check_seed(value: object, name: str = "seed") -> int:
    """``value`` as a plain int in ``0 .. 2**32 - 1``: TypeError for a non-integer (a bool
    or a float included), ValueError naming ``name`` for one out of range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{name} must be an int in 0 .. 2**32 - 1, got {type(value).__name__} {value!r}"
        )
    problem = seed_problem(int(value))
    if problem is not None:
        raise ValueError(f"{name} {problem}")
    return int(value)
