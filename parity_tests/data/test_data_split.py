"""``parity.data.split.train_test_split`` returns scikit-learn's rows, bit for bit.

The built-in datasets and the report depend on the split; scikit-learn is the reference.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import train_test_split as sk_split

from parity.data import DATASETS, load_dataset
from parity.data.split import train_test_split


def _assert_same_split(X, y, n_test, seed, stratify):
    ours = train_test_split(X, y, test_size=n_test, random_state=seed, stratify=stratify)
    theirs = sk_split(X, y, test_size=n_test, random_state=seed, stratify=stratify)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


@given(
    labels=st.lists(st.integers(0, 4), min_size=4, max_size=80),
    fraction=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**31 - 1),
    stratified=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_split_equals_sklearn(labels, fraction, seed, stratified):
    y = np.array(labels, dtype=np.int64)
    X = np.arange(2 * len(y), dtype=np.float64).reshape(-1, 2)
    n_test = min(max(1, round(fraction * len(y))), len(y) - 1)
    if stratified:
        counts = np.bincount(y)[np.bincount(y) > 0]
        n_classes = len(counts)
        if counts.min() < 2 or min(n_test, len(y) - n_test) < n_classes:
            with pytest.raises(ValueError, match="cannot split"):
                train_test_split(X, y, test_size=n_test, random_state=seed, stratify=y)
            with pytest.raises(ValueError):  # scikit-learn refuses it too
                sk_split(X, y, test_size=n_test, random_state=seed, stratify=y)
            return
    _assert_same_split(X, y, n_test, seed, y if stratified else None)


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("name", list(DATASETS))
def test_builtin_datasets_split_as_with_sklearn(name, seed, monkeypatch):
    """Every built-in dataset, loaded once with our split and once with scikit-learn's."""
    ours = load_dataset(name, seed=seed)
    monkeypatch.setattr("parity.data.train_test_split", sk_split)
    theirs = load_dataset(name, seed=seed)
    for field in ("X_train", "X_test", "y_train", "y_test", "x_mean", "x_std"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(theirs, field), err_msg=field)
    assert (ours.y_mean, ours.y_std) == (theirs.y_mean, theirs.y_std)


def test_split_rejects_a_test_size_outside_the_rows():
    X = np.zeros((5, 1))
    for bad in (0, 5):
        with pytest.raises(ValueError, match="test_size must be between 1 and 4 rows"):
            train_test_split(X, X[:, 0], test_size=bad, random_state=0)
