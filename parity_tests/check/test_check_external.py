"""Implementations written in other people's styles (parity_tests/check/external): classes and
closures, layer objects with their own attribute names, weights (in, out) and (out, in),
binary, multiclass and regression heads. Correct ones pass; each planted mistake is localised
(stage and the implementation's own name) and diagnosed."""

from __future__ import annotations

import pytest
from check_support import assert_finds, load_cases

from parity.check import check

cases = load_cases("external")


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.name)
def test_external(case):
    assert_finds(case)


def test_the_catalogue_covers_styles_layouts_and_heads():
    correct = [c for c in cases.CASES if c.expect is None]
    assert len(correct) >= 4
    impls = [c.build() for c in correct]
    assert {type(i).__name__ for i in impls} == {"Functional", "Layers"}
    assert {i.head for i in impls} == {"binary", "multiclass", "regression"}
    layouts = {check(c.build(), **c.check).notes[0].split()[1] for c in correct}
    assert layouts == {"in_out", "out_in"}
    for c in correct:  # two or three planted mistakes per implementation
        file = c.name.split(":")[0]
        assert 2 <= sum(b.expect is not None and b.name.startswith(file + ":")
                        for b in cases.CASES) <= 4  # fmt: skip
