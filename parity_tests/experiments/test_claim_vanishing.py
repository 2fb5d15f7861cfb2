"""Claim 2 (``parity/experiments/claims/vanishing.py``): sigmoid's gradients vanish with
depth, tanh's under plain init, ReLU's do not.

The numbers are the claim's quick-mode ones (``quick`` in this folder's conftest).
"""

from __future__ import annotations


def test_vanishing_gradients(quick, both):
    n = quick("vanishing_gradients")

    def ratio(init: str, act: str, depth: int) -> list[float]:
        return both(n, f"{init}.{act}.depth{depth}.ratio")

    for side in range(2):
        assert ratio("xavier_uniform", "sigmoid", 10)[side] < 1e-2
        assert ratio("default", "sigmoid", 10)[side] < 1e-2
        assert ratio("xavier_uniform", "relu", 10)[side] > 1e-1
        assert ratio("xavier_uniform", "leaky_relu", 10)[side] > 1e-1
        # tanh vanishes under plain init, by more than an order of magnitude from depth 2
        assert ratio("default", "tanh", 2)[side] > 10 * ratio("default", "tanh", 10)[side]
        # and sigmoid's shrinks at every depth step
        sig = [ratio("xavier_uniform", "sigmoid", d)[side] for d in (2, 6, 10)]
        assert sig[0] > 10 * sig[1] > 100 * sig[2]
