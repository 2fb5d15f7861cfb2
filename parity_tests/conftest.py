"""Shared by the scratch-only tests (``test_scratch_*.py``): the one array comparison."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest


def _check_array(
    actual: Any, expected: Any, *, dtype: Any = None, rtol: float = 0.0, atol: float = 0.0
) -> None:
    """Assert ``actual`` is an ndarray with ``expected``'s shape and dtype, then its values.

    ``dtype`` defaults to ``expected``'s (float64 for a list). ``rtol = atol = 0`` means
    bit-identical. The message names the max abs and max relative error.
    """
    dtype = np.dtype(dtype if dtype is not None else getattr(expected, "dtype", np.float64))
    expected = np.asarray(expected, dtype=dtype)
    assert isinstance(actual, np.ndarray), f"expected an ndarray, got {type(actual).__name__}"
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    assert actual.dtype == dtype, f"dtype {actual.dtype} != {dtype}"
    if rtol == 0 and atol == 0:
        assert np.array_equal(actual, expected), f"not bit-identical:\n{actual}\n!=\n{expected}"
    else:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


@pytest.fixture
def check_array() -> Callable[..., None]:
    """The comparison every scratch test uses: shape, then dtype, then values."""
    return _check_array
