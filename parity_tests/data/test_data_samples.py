"""``parity.data.synthetic``: NumPy copies of scikit-learn's toy generators, bit for bit.

Each copy must return exactly scikit-learn's arrays (same values, shapes and dtypes) for
many seeds and sizes, odd and tiny ones included, with and without shuffle and noise, so
the built-in datasets did not change when ``parity.data`` stopped importing scikit-learn.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn import datasets as sk

from parity.data import synthetic as samples

SEEDS = (0, 1, 7, 42, 2**32 - 1)
SIZES = (1, 2, 3, 8, 9, 100, 501)
CASES = {  # name -> (ours, scikit-learn's, extra keyword sets)
    "moons": (samples.make_moons, sk.make_moons, [{"noise": 0.2}, {}, {"shuffle": False}]),
    "circles": (
        samples.make_circles, sk.make_circles,
        [{"noise": 0.1, "factor": 0.5}, {}, {"noise": 0.3, "shuffle": False}],
    ),
    "blobs": (
        samples.make_blobs, sk.make_blobs,
        [{"centers": 4, "n_features": 2, "cluster_std": 1.0}, {},
         {"centers": 2, "n_features": 5, "cluster_std": 0.3, "center_box": (-1.0, 3.0)},
         {"centers": 3, "shuffle": False}],
    ),
}  # fmt: skip


def assert_identical(ours, theirs, names=("X", "y")) -> None:
    for a, b, what in zip(ours, theirs, names, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype, (what, a.shape, a.dtype, b.dtype)
        assert a.tobytes() == b.tobytes(), f"{what} differs in {np.sum(a != b)} entries"


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("seed", SEEDS)
def test_bit_identical_to_scikit_learn(name, seed):
    ours, theirs, keyword_sets = CASES[name]
    for kw in keyword_sets:
        for n in SIZES:
            if name == "blobs" and n < kw.get("centers", 3):
                continue  # scikit-learn itself cannot fill more blobs than points
            assert_identical(
                ours(n_samples=n, random_state=seed, **kw),
                theirs(n_samples=n, random_state=seed, **kw),
            )


def test_the_layout_is_scikit_learns():
    """Not only equal to scikit-learn: the shapes and labels the docstrings promise."""
    X, y = samples.make_moons(9, shuffle=False)
    assert X.shape == (9, 2) and y.tolist() == [0] * 4 + [1] * 5  # the odd point is inner
    X, y = samples.make_circles(6, shuffle=False, factor=0.5)
    np.testing.assert_allclose(np.hypot(*X.T), [1, 1, 1, 0.5, 0.5, 0.5])
    X, y = samples.make_blobs(10, centers=3, random_state=0)
    assert np.bincount(y).tolist() == [4, 3, 3]


def test_loading_a_synthetic_dataset_does_not_import_scikit_learn():
    code = (
        "import sys; from parity.data import load_dataset\n"
        "for name in ('moons', 'circles', 'blobs', 'xor', 'spirals', 'sine'):\n"
        "    load_dataset(name)\n"
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["moons", "circles", "blobs"])
def test_the_built_in_datasets_are_what_scikit_learn_made(monkeypatch, name, dtype):
    """``load_dataset`` with scikit-learn's generator in place of the copy: the same split,
    standardisation and arrays, bit for bit (the report's datasets did not move)."""
    import parity.data

    ours = [parity.data.load_dataset(name, seed=s, dtype=dtype) for s in (0, 3)]
    generator = getattr(sk, f"make_{name}")
    monkeypatch.setattr(
        parity.data, f"make_{name}", lambda **kw: (lambda X, y: (X, y.astype(np.int64)))(
            *generator(**kw))
    )  # fmt: skip
    theirs = [parity.data.load_dataset(name, seed=s, dtype=dtype) for s in (0, 3)]
    for a, b in zip(ours, theirs, strict=True):
        for field in ("X_train", "y_train", "X_test", "y_test", "x_mean", "x_std"):
            assert_identical((getattr(a, field),), (getattr(b, field),), (field,))
