"""parity.data.standardize and parity.data.split_dataset on extreme data: features and targets
scaled by 1e300 keep their information, values that cannot be represented are refused naming
the column, and no RuntimeWarning escapes."""

import numpy as np
import pytest

from parity.data import Dataset, split_dataset
from parity.data.standardize import mean_std, scale

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


@pytest.mark.parametrize("scale_by", [1e-100, 1e-5, 1.0, 3.0, 1e5, 1e150])
def test_bit_identical_to_the_textbook_formula_where_it_does_not_overflow(scale_by):
    X = np.random.default_rng(1).normal(2.0, 3.0, size=(50, 4)) * scale_by
    mean, std = mean_std(X)
    np.testing.assert_array_equal(mean, X.mean(axis=0))
    np.testing.assert_array_equal(std, X.std(axis=0))
    np.testing.assert_array_equal(scale(X, mean, std), (X - X.mean(axis=0)) / X.std(axis=0))


@pytest.mark.parametrize("factor", [1e300, -1e300, 1.7e308, 1e-300, 1e-320])
def test_huge_and_tiny_columns_are_standardised_not_zeroed(factor):
    # (the textbook formula gives std inf above ~1e154 and 0 below ~1e-162: squares leave range)
    x = np.random.default_rng(2).normal(size=(40, 1))
    x /= np.abs(x).max()  # |x| <= 1, so x * 1.7e308 is still finite
    mean, std = mean_std(x * factor)
    z = scale(x * factor, mean, std)
    assert np.isfinite(mean).all() and np.isfinite(std).all() and np.isfinite(z).all()
    expected = np.sign(factor) * (x - x.mean()) / x.std()
    if factor == 1e-320:  # a subnormal std (few bits left) counts as a constant column
        assert std[0] == 1.0 and np.abs(z).max() < 1e-300
    else:
        np.testing.assert_allclose(z, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(std / abs(factor), x.std(), rtol=1e-12)


def test_column_spanning_the_whole_float64_range():
    x = np.array([[-1.7e308], [1.7e308], [0.0], [1.0]])
    mean, std = mean_std(x)
    z = scale(x, mean, std)
    assert np.isfinite(z).all() and abs(np.std(z) - 1.0) < 1e-12


@pytest.mark.parametrize("value", [0.0, 0.25, -7.0, 1e300, 1e-200])
def test_constant_columns_become_zero(value):
    x = np.full((10, 1), value)
    mean, std = mean_std(x)
    assert std[0] == max(1.0, abs(mean[0]))
    np.testing.assert_array_equal(scale(x, mean, std), 0.0)


def test_near_constant_column_scale_is_relative_not_absolute():
    # a feature in small units (1e-13) is information, not a constant (the old rule zeroed it)
    x = np.array([[1e-13], [2e-13], [3e-13]])
    z = scale(x, *mean_std(x))
    np.testing.assert_allclose(z[:, 0], [-1.2247448713915890, 0.0, 1.2247448713915890],
                               atol=1e-15)  # fmt: skip


def _classification_data(big_column: float, n: int = 80):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] + 0.1 * rng.normal(size=n) > 0).astype(np.int64)
    X[:, 0] *= big_column
    return X, y


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_feature_times_1e300_keeps_its_information(dtype):
    X, y = _classification_data(1e300)
    ds = split_dataset("big.csv", "binary", X, y, dtype=dtype)
    plain = split_dataset("plain.csv", "binary", *_classification_data(1.0), dtype=dtype)
    assert np.isfinite(ds.x_mean).all() and np.isfinite(ds.x_std).all()
    assert ds.x_std[0] > 1e299  # the column's real spread, not inf (which zeroed it)
    np.testing.assert_allclose(ds.X_train, plain.X_train, rtol=1e-6 if dtype == "float32" else
                               1e-12)  # fmt: skip
    assert ds.X_train[:, 0].std() == pytest.approx(1.0, rel=1e-5)


def test_regression_target_times_1e300_maps_back_finite():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    y = (X @ [1.0, -2.0, 0.5] + 50.0) * 1e300
    ds = split_dataset("big.csv", "regression", X, y)
    assert np.isfinite([ds.y_mean, ds.y_std]).all()
    np.testing.assert_allclose(ds.y_train.std(), 1.0, rtol=1e-12)
    # predictions mapped back to target units, even far outside the data, stay finite
    z = np.array([-1000.0, 0.0, 1000.0])
    assert np.isfinite(z * ds.y_std + ds.y_mean).all()
    back = ds.y_train[:, 0] * ds.y_std + ds.y_mean
    assert np.isfinite(back).all() and back.min() > 0


SPLIT_ERRORS = [
    # id, task, X, y, kwargs, message
    ("target-no-headroom", "regression", np.arange(20.0)[:, None],
     np.array([-1.7e308, 1.7e308] * 10), {},
     r"dataset 'f\.csv': the regression target's mean .* and std .* are too large: "
     r"predictions z \* std \+ mean overflow float64 within 1048576 stds; divide the target"),
    ("nan-feature", "binary", np.array([[0.0], [np.nan], [1.0], [2.0]]), np.array([0, 1, 0, 1]),
     {}, r"dataset 'f\.csv': column 'x0' has NaN or inf values"),
    ("nan-target", "regression", np.arange(4.0)[:, None], np.array([0.0, np.nan, 1.0, 2.0]),
     {}, r"dataset 'f\.csv': the regression target has NaN or inf values"),
    ("float-class-index", "binary", np.arange(4.0)[:, None], np.array([0.0, 0.5, 1.0, 1.0]),
     {}, r"dataset 'f\.csv': binary targets must be class indices 0\.\.C-1"),
    ("single-member-class", "multiclass", np.arange(9.0)[:, None],
     np.array([0, 0, 0, 1, 1, 1, 2, 0, 1]), {"classes": ("setosa", "versicolor", "virginica")},
     r"dataset 'f\.csv': class 'virginica' has 1 row\(s\); a stratified split needs at least "
     r"2 of every class \(one to train on, one to test on\): add rows of that class or remove"),
    ("empty-class", "multiclass", np.arange(6.0)[:, None], np.array([0, 0, 0, 2, 2, 2]), {},
     r"dataset 'f\.csv': class 1 has 0 row\(s\)"),
    ("classes-too-few", "multiclass", np.arange(6.0)[:, None], np.array([0, 1, 2, 0, 1, 2]),
     {"classes": ("a", "b")}, r"multiclass labels must lie in \[0, 2\)"),
    ("classes-repeated", "binary", np.arange(4.0)[:, None], np.array([0, 1, 0, 1]),
     {"classes": ("a", "a")}, r"classes must be 2 distinct labels for this binary target"),
    ("classes-for-regression", "regression", np.arange(4.0)[:, None], np.arange(4.0),
     {"classes": (0, 1)}, r"classes=\(0, 1\) given for a regression task"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("task", "X", "y", "kwargs", "message"),
    [case[1:] for case in SPLIT_ERRORS],
    ids=[case[0] for case in SPLIT_ERRORS],
)
def test_split_dataset_refuses_naming_the_file(task, X, y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        split_dataset("f.csv", task, X, y, **kwargs)


def test_test_outlier_that_does_not_fit_the_dtype_is_refused():
    from parity.data.split import train_test_split

    rows = np.arange(8)
    _, (test_row,), _, _ = train_test_split(rows, rows, test_size=1, random_state=0)
    x = np.arange(8.0) * 1e-30  # a train spread of 1e-30 ...
    x[test_row] = 1e10  # ... and a test value 4e39 train stds away: beyond float32
    with pytest.raises(ValueError, match=r"dataset 'f\.csv': column 'x0', standardised with "
                       r"the train split's mean and std, reaches 4\.\d+e\+39 in the test "
                       r"data, which does not fit float32; remove the outlier rows or rescale "
                       r"the column"):  # fmt: skip
        split_dataset("f.csv", "regression", x[:, None], np.arange(8.0), dtype="float32",
                      test_fraction=0.125)  # fmt: skip
    assert split_dataset("f.csv", "regression", x[:, None], np.arange(8.0),
                         test_fraction=0.125).X_test[0, 0] > 1e39  # float64 holds it  # fmt: skip


@pytest.mark.parametrize(
    "classes", [(0.5, 1), (True, False), ["a", None], "ab"], ids=["float", "bool", "none", "str"]
)
def test_classes_must_be_str_or_int(classes):
    with pytest.raises(TypeError, match=r"str or int"):
        split_dataset("f.csv", "binary", np.arange(4.0)[:, None], np.array([0, 1, 0, 1]),
                      classes=classes)  # fmt: skip


def test_dataset_checks_its_classes():
    a = np.zeros((2, 1))
    with pytest.raises(ValueError, match=r"classes must be 3 distinct labels"):
        Dataset("d", "multiclass", a, np.array([0, 1]), a, np.array([0, 1]), 3, ("x",),
                classes=("a", "b"))  # fmt: skip
