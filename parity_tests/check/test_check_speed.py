"""The first check in a process pays only for torch (issue 19 §6): the default multiclass
dataset, digits, is read without importing scikit-learn, and identically (that a first check
imports neither: test_check_report.py)."""

from __future__ import annotations

import numpy as np


def test_digits_read_without_sklearn_equal_sklearns():
    from sklearn.datasets import load_digits

    from parity.data import _digits_without_sklearn

    found = _digits_without_sklearn()
    assert found is not None
    data, target, names = found
    bunch = load_digits()
    assert np.array_equal(data, bunch.data) and data.dtype == bunch.data.dtype
    assert np.array_equal(target, bunch.target) and target.dtype == bunch.target.dtype
    assert list(names) == bunch.feature_names
