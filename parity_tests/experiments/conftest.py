"""Shared by the claim tests (``test_claim*.py``): each claim's quick-mode numbers, computed
once per session, and ``both``, the pair of one measured quantity."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from parity.experiments import claims

Numbers = dict[str, float]


@pytest.fixture(scope="session")
def quick() -> Callable[[str], Numbers]:
    """``quick(name)``: the claim function's quick-mode numbers for seed 0, computed once."""
    cache: dict[str, Numbers] = {}

    def get(name: str) -> Numbers:
        if name not in cache:
            cache[name] = getattr(claims, name)(seed=0, quick=True)
        return cache[name]

    return get


@pytest.fixture(scope="session")
def both() -> Callable[[Numbers, str], list[float]]:
    """``both(numbers, key)``: ``[scratch, torch]`` values of one measured quantity."""

    def pair(n: Numbers, key: str) -> list[float]:
        return [n[f"{key}.{side}"] for side in ("scratch", "torch")]

    return pair
