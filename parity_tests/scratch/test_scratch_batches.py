"""batch_order: a lazy, re-iterable per-epoch order with the values of the eager one."""

from __future__ import annotations

import time
import tracemalloc
from itertools import islice

import numpy as np
import pytest

import scratch


def eager_order(n, batch_size, epochs, rng):
    """The order as it was drawn before it became lazy: every epoch up front."""
    order = []
    for _ in range(epochs):
        perm = rng.permutation(n)
        order.append([perm[i : i + batch_size] for i in range(0, n, batch_size)])
    return order


def assert_same_order(got, expected):
    assert len(got) == len(expected)
    for e, (epoch, want) in enumerate(zip(got, expected, strict=True)):
        assert len(epoch) == len(want), e
        for idx, want_idx in zip(epoch, want, strict=True):
            assert idx.dtype == want_idx.dtype
            np.testing.assert_array_equal(idx, want_idx)


SHAPES = [(10, 3, 4), (10, 10, 2), (1, 4, 3), (7, 1, 2), (100, 32, 5)]


@pytest.mark.parametrize(("n", "batch_size", "epochs"), SHAPES, ids=str)
@pytest.mark.parametrize("seed", [0, 12345])
def test_values_are_bit_identical_to_the_eager_order(n, batch_size, epochs, seed):
    order = scratch.batch_order(n, batch_size, epochs, np.random.default_rng(seed))
    assert isinstance(order, scratch.BatchOrder)
    assert_same_order(list(order), eager_order(n, batch_size, epochs, np.random.default_rng(seed)))


@pytest.mark.parametrize(("n", "batch_size", "epochs"), SHAPES, ids=str)
def test_each_epoch_is_a_permutation_cut_into_batches(n, batch_size, epochs):
    order = scratch.batch_order(n, batch_size, epochs, np.random.default_rng(1))
    assert len(order) == epochs
    assert order.steps == epochs * -(-n // batch_size) == sum(len(e) for e in order)
    for epoch in order:
        assert [len(idx) for idx in epoch[:-1]] == [batch_size] * (len(epoch) - 1)
        np.testing.assert_array_equal(np.sort(np.concatenate(epoch)), np.arange(n))


def test_iterating_twice_replays_and_leaves_the_callers_rng_alone():
    rng = np.random.default_rng(7)
    order = scratch.batch_order(20, 6, 5, rng)
    first, second = list(order), list(order)
    assert_same_order(second, first)
    # the caller's generator was not advanced: it still draws what a fresh one draws
    np.testing.assert_array_equal(rng.permutation(20), np.random.default_rng(7).permutation(20))
    rng.permutation(20)  # ...and advancing it later does not change the order
    assert_same_order(list(order), first)


def test_indexing_matches_iteration():
    order = scratch.batch_order(9, 4, 6, np.random.default_rng(3))
    epochs = list(order)
    for e in (0, 3, 5, -1, -6):
        assert_same_order([order[e]], [epochs[e]])
    for s in (slice(1, 4), slice(None, None, 2), slice(None, None, -1), slice(4, 1)):
        assert_same_order(order[s], epochs[s])
    with pytest.raises(IndexError, match="epoch 6 out of range for 6 epochs"):
        order[6]
    with pytest.raises(IndexError, match="epoch -7"):
        order[-7]
    with pytest.raises(TypeError, match="integers or slices"):
        order["0"]  # type: ignore[call-overload]


def test_memory_does_not_grow_with_epochs():
    """Issue 11: ``--epochs 200000`` reached 1.3 GB; ten million epochs must cost nothing."""
    tracemalloc.start()
    try:
        start = time.perf_counter()
        order = scratch.batch_order(1000, 32, 10**7, np.random.default_rng(0))
        assert len(order) == 10**7 and order.steps == 10**7 * 32
        first_two = list(islice(order, 2))
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0  # nothing is drawn up front
    assert peak < 1_000_000  # bytes: a couple of epochs of 1000 indices, not 10**7 of them
    assert_same_order(first_two, eager_order(1000, 32, 2, np.random.default_rng(0)))
    assert repr(order) == "BatchOrder(n=1000, batch_size=32, epochs=10000000)"
