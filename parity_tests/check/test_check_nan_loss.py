"""A loss_fn that returns NaN is not "stateful" (NaN != NaN): the repeat call agrees with the
first, and the report says the loss is not finite instead of blaming state or the backward."""

from __future__ import annotations

from parity.check import Functional, check
from parity.check.examples import functional_net as F


def _nan_loss():
    base = F.make_loss("relu")

    def loss(X, y, params):
        _, grads = base(X, y, params)
        return float("nan"), grads

    return Functional(loss, F.init_params((64, 8, 10)))


def test_a_nan_loss_is_its_own_finding():
    report = check(_nan_loss())
    text = str(report)
    assert not report.ok
    assert "keeps state" not in text
    assert "your loss is nan (not finite)" in text
    assert "backward bug" not in text
