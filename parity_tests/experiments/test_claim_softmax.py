"""Claim 5 (``parity/experiments/claims/softmax.py``): softmax rows are probability
distributions, stable at logits of 1000.

The numbers are the claim's quick-mode ones (``quick`` in this folder's conftest).
"""

from __future__ import annotations


def test_softmax_is_a_distribution(quick, both):
    n = quick("softmax_distribution")
    assert min(both(n, "min_prob")) > 0 and max(both(n, "max_prob")) < 1
    assert max(both(n, "max_row_sum_error")) < 1e-12
    assert max(both(n, "max_shift_change")) < 1e-12
    assert min(both(n, "big_logits_finite")) == 1.0
    assert max(both(n, "big_logits_max_error")) < 1e-12
    assert n["naive_big_logits_finite"] == 0.0  # what the max shift protects against
