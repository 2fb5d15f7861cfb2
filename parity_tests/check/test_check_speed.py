"""The first check in a process pays only for torch (issue 19 §6): the default multiclass
dataset, digits, is read without importing scikit-learn, and identically."""

from __future__ import annotations

import subprocess
import sys

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


def test_a_first_check_imports_neither_sklearn_nor_matplotlib():
    code = (
        "import sys\n"
        "from parity.check import check\n"
        "from parity.check.examples import EXAMPLES\n"
        "assert check(EXAMPLES['functional'].build(), steps=2).ok\n"
        "print(sorted(m for m in ('sklearn', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
