"""Claim 6 (``parity/experiments/claims/heads.py``): the output layer follows the task.

The numbers are the claim's quick-mode ones (``quick`` in this folder's conftest).
"""

from __future__ import annotations


def test_output_layer_follows_task(quick, both):
    n = quick("output_heads")
    assert both(n, "diabetes.output_width") == [1, 1]
    assert both(n, "breast_cancer.output_width") == [1, 1]
    assert both(n, "digits.output_width") == [10, 10]
    assert max(both(n, "diabetes.test_metric")) < n["diabetes.baseline"] - 0.1
    assert min(both(n, "breast_cancer.test_metric")) > n["breast_cancer.baseline"] + 0.1
    assert min(both(n, "digits.test_metric")) > n["digits.baseline"] + 0.5
    # a linear unit is not squashed; a sigmoid unit and a softmax are probabilities
    assert min(both(n, "diabetes.output_min")) < 0 and max(both(n, "diabetes.output_max")) > 1
    for ds in ("breast_cancer", "digits"):
        assert min(both(n, f"{ds}.proba_min")) >= 0 and max(both(n, f"{ds}.proba_max")) <= 1
    assert max(both(n, "digits.max_row_sum_error")) < 1e-12
