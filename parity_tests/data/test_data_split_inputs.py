"""``split_dataset``'s inputs that would go silently wrong or fail deep in NumPy: feature
names of another length than X's columns, text labels where class indices are needed."""

from __future__ import annotations

import numpy as np
import pytest

from parity.data import split_dataset

X = np.linspace(-1, 1, 60).reshape(20, 3)
Y = np.arange(20) % 2


@pytest.mark.parametrize("names", [("a",), ("a", "b", "c", "d")], ids=["fewer", "more"])
def test_feature_names_of_another_length_are_refused(names):
    with pytest.raises(ValueError, match=rf"feature_names has {len(names)} names .* for 3 columns"):
        split_dataset("d", "binary", X, Y, feature_names=names)


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_text_labels_are_a_type_error_pointing_to_classes(task):
    with pytest.raises(TypeError, match=r"y must hold numbers .* got dtype <U1 \(first value 'a'\)"
                       r".* pass the labels as classes="):  # fmt: skip
        split_dataset("d", task, X, np.array(["a", "b"] * 10))


def test_mapped_labels_with_classes_are_kept():
    data = split_dataset("d", "binary", X, Y, classes=("no", "yes"), feature_names=("p", "q", "r"))
    assert data.classes == ("no", "yes") and data.feature_names == ("p", "q", "r")
