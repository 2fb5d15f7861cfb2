"""Claim 3 (``parity/experiments/claims/convergence.py``): tanh reaches a target loss in
fewer steps than sigmoid.

The numbers are the claim's quick-mode ones (``quick`` in this folder's conftest).
"""

from __future__ import annotations

from parity.experiments.claims import convergence


def test_tanh_converges_faster_than_sigmoid(quick, both):
    n = quick("tanh_vs_sigmoid")
    assert n["breast_cancer.same_initial_weights"] == 1.0
    for sig, tanh in zip(
        both(n, "breast_cancer.sigmoid.steps_to_target"),
        both(n, "breast_cancer.tanh.steps_to_target"),
        strict=True,
    ):
        assert tanh > 0 and sig > 0  # both reach the target within the quick budget
        assert sig > 2 * tanh
    assert all(
        s > t
        for s, t in zip(
            both(n, "breast_cancer.sigmoid.final_loss"),
            both(n, "breast_cancer.tanh.final_loss"),
            strict=True,
        )
    )


def test_steps_to_target():
    assert convergence.steps_to_target([0.9, 0.5, 0.2], 10, 0.5) == 20
    assert convergence.steps_to_target([0.9, 0.8], 10, 0.5) == -1
