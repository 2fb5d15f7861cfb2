"""The chaotic-training pitfall (``parity/experiments/pitfalls/chaos.py``): a run at the
edge of stability parts from itself, started one ulp away, as far as from the other side,
on both sides; a tenth of the learning rate makes it decidable again."""

from __future__ import annotations

import pytest

from parity.experiments import pitfalls
from parity.experiments.pitfalls.chaos import CHAOTIC_SPEC


@pytest.fixture(scope="module")
def numbers():
    return pitfalls.chaotic_training()


def test_the_perturbation_is_one_ulp(numbers):
    assert 1e-16 < numbers["ulp_rel_change"] < 2.3e-16  # one ulp: 2^-53 to 2^-52 relative


@pytest.mark.parametrize("pair", ["cross", "scratch_self", "torch_self"])
def test_a_roundoff_difference_grows_to_order_one(numbers, pair):
    assert numbers[f"{pair}.first_loss_diff"] < 1e-15  # the same loss at step 0, to roundoff
    assert numbers[f"{pair}.max_scaled"] > 1e-2  # O(1) apart by the end ...
    assert 50 < numbers[f"{pair}.first_bad_step"] < 300  # ... past the tolerance mid-run


def test_the_harness_calls_it_chaotic_where_the_run_parts_from_itself(numbers):
    assert numbers["outcome_chaotic"] == 1.0
    assert numbers["chaos_step"] == numbers["scratch_self.first_bad_step"]
    # the pair parts within a few steps of the twin, on either side of it (machine roundings)
    k, cross = numbers["chaos_step"], numbers["cross.first_bad_step"]
    assert abs(k - cross) < 0.2 * k  # (decided_steps' margin, measured)


def test_a_tenth_of_the_lr_is_decidable(numbers):
    assert numbers["calm.agree"] == 1.0
    assert numbers["calm.max_scaled"] < 1e-12


def test_the_spec_is_the_issues_setting():
    assert (CHAOTIC_SPEC.optimizer, CHAOTIC_SPEC.lr, CHAOTIC_SPEC.momentum) == ("sgd", 0.3, 0.9)
    assert CHAOTIC_SPEC.task == "multiclass" and CHAOTIC_SPEC.dtype == "float64"
