"""One valid range of seeds, ``0 <= seed < 2**32`` (NumPy RandomState's), checked at every
public boundary that takes one, with a message naming the argument and the range, instead of
NumPy's ``Seed must be between 0 and 2**32 - 1`` from deep inside a run."""

from __future__ import annotations

import numpy as np
import pytest

from parity.check import Functional, check
from parity.check.examples import functional_net as F
from parity.data import load_dataset, split_dataset
from parity.spec import SEED_LIMIT, RunSpec, check_seed

X = np.linspace(-1, 1, 40).reshape(20, 2)
Y = np.arange(20) % 2

BOUNDARIES = {
    "RunSpec": lambda seed: RunSpec(seed=seed),
    "load_dataset": lambda seed: load_dataset("moons", seed=seed, n_samples=40),
    "split_dataset": lambda seed: split_dataset("arrays", "binary", X, Y, seed=seed),
    "check": lambda seed: check(Functional(F.make_loss("relu"), F.init_params((64, 8, 10))),
                                seed=seed),
}  # fmt: skip


@pytest.mark.parametrize("seed", [SEED_LIMIT, 2**70, -1], ids=["2**32", "2**70", "-1"])
@pytest.mark.parametrize("boundary", BOUNDARIES, ids=str)
def test_a_seed_outside_the_range_is_refused_by_name(boundary, seed):
    with pytest.raises(
        ValueError, match=rf"seed must be an integer in 0 \.\. 2\*\*32 - 1 .*{seed}"
    ):
        BOUNDARIES[boundary](seed)


@pytest.mark.parametrize("boundary", ["RunSpec", "load_dataset", "split_dataset"])
def test_the_largest_seed_is_accepted(boundary):
    BOUNDARIES[boundary](SEED_LIMIT - 1)


@pytest.mark.parametrize("value", [1.0, True, "3", None])
def test_a_seed_that_is_not_an_int_is_a_type_error(value):
    with pytest.raises(TypeError, match="seed must be an int"):
        check_seed(value)
    with pytest.raises(TypeError, match="seed must be an int"):
        RunSpec(seed=value)


def test_numpy_integers_are_plain_ints_after_the_check():
    assert type(RunSpec(seed=np.uint32(7)).seed) is int
