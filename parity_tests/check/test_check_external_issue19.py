"""Seven networks written from issue 19's descriptions in styles the suite did not have
(parity_tests/check/external_issue19: column layout, nnfs's stored outputs, Keras-style
optimizers, a PyTorch port as a custom module and against its NumPy original, layers that
update themselves, per-example loops). Correct ones pass; each planted mistake is localised
and diagnosed. ``python -m parity.check.examples --table --external
parity_tests/check/external_issue19`` prints the table."""

from __future__ import annotations

import pytest
from check_support import assert_finds, load_cases

cases = load_cases("external_issue19")


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.name)
def test_external_issue19(case):
    assert_finds(case)


def test_seven_networks_each_with_planted_mistakes():
    files = {c.name.split(":")[0] for c in cases.CASES}
    assert len(files) == 7
    for f in files:
        assert any(c.name == f and c.expect is None for c in cases.CASES)
        assert sum(c.name.startswith(f + ":") and c.expect is not None for c in cases.CASES) >= 2
