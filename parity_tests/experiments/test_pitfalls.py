"""The porting pitfalls (``parity/experiments/pitfalls/``): each mistake measurably costs
something, each fix measurably does not, and where scratch has a twin it behaves as torch does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from parity.experiments import pitfalls


def test_weight_layout():
    m = pitfalls.weight_layout()
    assert m["nonsquare_load_raises"] == 1.0
    assert m["square_untransposed_max_diff"] > 0.5  # silently wrong, by O(1)
    assert m["transposed_max_diff"] < 1e-12
    assert m["scratch_vs_torch_max_diff"] < 1e-12


def test_softmax_before_cross_entropy():
    m = pitfalls.softmax_before_cross_entropy()
    assert m["grad_norm_double_softmax"] < m["grad_norm_logits"] / 5  # squashed gradient
    assert abs(m["loss_double_softmax"] - m["loss_logits"]) > 1.0
    assert m["scratch_loss_double_softmax"] == pytest.approx(m["loss_double_softmax"], rel=1e-12)
    assert m["trained_loss_double_softmax"] > 1.3 * m["trained_loss_logits"]
    assert m["trained_acc_double_softmax"] < m["trained_acc_logits"]


def test_target_dtypes_and_shapes():
    m = pitfalls.target_dtypes_and_shapes()
    assert m["mse_broadcast_warns"] == 1.0  # only a warning ...
    assert m["mse_broadcast_rel_error"] > 0.01  # ... for a wrong loss
    assert m["mse_broadcast_grad_max_diff"] > 0.01  # and a wrong gradient
    for key in (
        "scratch_mse_shape_raises",
        "bce_int_target_raises",
        "scratch_bce_int_target_raises",
        "ce_int32_target_raises",
        "ce_float_index_target_raises",
        "scratch_ce_float_target_raises",
    ):
        assert m[key] == 1.0, key
    assert m["ce_one_hot_vs_index_diff"] < 1e-12  # float (N, C) targets are probabilities


def test_bce_after_sigmoid():
    m = pitfalls.bce_after_sigmoid()
    for dtype, saturated in (("f32", (20, 50, 200)), ("f64", (50, 200))):
        for x in saturated:
            key = f"{dtype}.x{x}"
            assert m[f"{key}.unfused_loss"] == pytest.approx(100.0)  # torch's log clamp
            assert m[f"{key}.unfused_grad"] == 0.0  # no gradient from the worst mistakes
            assert m[f"{key}.fused_loss"] == pytest.approx(x, rel=1e-6)
            assert m[f"{key}.fused_grad"] == pytest.approx(1.0, rel=1e-6)
        assert m[f"{dtype}.scratch_unfused_loss_x200"] == pytest.approx(100.0)
    # float64 still resolves sigmoid(20) < 1: the unfused form is right there
    assert m["f64.x20.unfused_loss"] == pytest.approx(20.0, rel=1e-6)


def test_mse_reduction():
    m = pitfalls.mse_reduction()
    assert m["scratch_loss"] == pytest.approx(m["torch_loss"], rel=1e-12)
    assert m["loss_ratio"] == pytest.approx(3.0, rel=1e-12)  # D = 3 outputs
    assert m["grad_ratio"] == pytest.approx(3.0, rel=1e-12)


def test_float64_vs_float32():
    m = pitfalls.float64_vs_float32()
    assert m["float64_input_raises"] == 1.0
    eps32 = float(np.finfo(np.float32).eps)
    for side in ("scratch", "torch"):
        assert 1e-9 < m[f"forward_rel_diff.{side}"] < 100 * eps32
        assert m[f"trained_rel_diff.{side}"] > 1e-9  # float32 is not float64 ...
        assert m[f"trained_rel_diff.{side}"] < 1e-3  # ... but close on a short run
    assert m["f32_scratch_vs_torch_rel_diff"] < 1e-4  # the float32 parity tolerance


def test_forgetting_zero_grad():
    m = pitfalls.forgetting_zero_grad()
    for side in ("scratch", "torch"):
        assert m[f"grad_ratio_after_3.{side}"] == pytest.approx(3.0, rel=1e-9)
        assert m[f"loss_rises_with.{side}"] == 0
        assert m[f"loss_rises_without.{side}"] >= 20
        assert m[f"stale_grad_ratio.{side}"] > 5
        assert m[f"weights_max_diff.{side}"] > 1.0
    for key in ("loss_rises_without", "stale_grad_ratio", "weights_max_diff"):
        assert m[f"{key}.scratch"] == pytest.approx(m[f"{key}.torch"], rel=1e-9)


def test_momentum_formula():
    m = pitfalls.momentum_formula()
    assert m["constant_lr.max_diff"] < 1e-12
    assert m["lr_drop.max_diff"] > 0.1
    assert m["dampening.max_diff"] > 1e-3
    assert m["scratch_vs_torch.max_diff"] < 1e-12


def test_default_init():
    m = pitfalls.default_init()
    assert m["bias_nonzero_fraction"] == 1.0
    assert 0.9 < m["weight_max_over_bound"] <= 1.0
    assert m["bias_max_over_bound"] <= 1.0
    assert m["weight_std_over_uniform_std"] == pytest.approx(1.0, abs=0.05)
    assert m["scratch_weight_std_over_uniform_std"] == pytest.approx(1.0, abs=0.05)
    assert m["zero_bias_output_max_diff"] > 0.05
    assert m["shared_state_output_max_diff"] < 1e-12


def test_default_init_leaves_torch_rng_alone():
    before = torch.random.get_rng_state()
    pitfalls.default_init()
    pitfalls.eval_and_inference_mode()
    assert torch.equal(before, torch.random.get_rng_state())


def test_from_numpy_shares_memory():
    m = pitfalls.from_numpy_shares_memory()
    assert m["from_numpy_sees_write"] == 1.0
    assert m["tensor_copy_sees_write"] == 0.0
    assert m["initial_array_changed_by_training"] > 1e-3
    assert m["initial_array_changed_via_load"] == 0.0


def test_round_to_tf32():
    x = np.array([1.0, 1 + 2.0**-10, 1 + 2.0**-11, 1 + 2.0**-12, 3.0, -1.5e-3], dtype=np.float32)
    r = pitfalls.round_to_tf32(x)
    assert r.dtype == np.float32
    # 1 + 2^-11 is a tie between 1 and 1 + 2^-10: rounds to even (1); 2^-12 rounds down
    np.testing.assert_array_equal(r[:5], np.array([1.0, 1 + 2.0**-10, 1.0, 1.0, 3.0], "f4"))
    assert abs(r[5] - x[5]) <= abs(x[5]) * 2.0**-11
    mantissa = r.view(np.uint32) & np.uint32(0x7FFFFF)
    assert np.all(mantissa & np.uint32(0x1FFF) == 0)  # only 10 mantissa bits left


def test_tf32_matmul():
    m = pitfalls.tf32_matmul()
    assert m["simulated"] == (0.0 if torch.cuda.is_available() else 1.0)
    assert m["fp32_rel_err"] < 1e-5
    assert 1e-5 < m["tf32_rel_err"] < 1e-2  # about three decimal digits
    assert m["tf32_over_fp32"] > 30
    if torch.cuda.is_available():
        assert not torch.backends.cuda.matmul.allow_tf32  # restored


def test_eval_and_inference_mode():
    m = pitfalls.eval_and_inference_mode()
    assert m["dropout_train_calls_max_diff"] > 0.01
    assert m["dropout_eval_calls_max_diff"] == 0.0
    assert m["our_net_train_vs_eval_max_diff"] == 0.0
    assert m["predict_scratch_vs_torch_max_diff"] < 1e-12
    assert m["output_requires_grad_without"] == 1.0
    assert m["numpy_raises_without"] == 1.0
    assert m["output_requires_grad_with"] == 0.0


@pytest.mark.parametrize("fn", pitfalls.PITFALLS, ids=lambda f: f.__name__)
def test_pitfalls_are_deterministic_floats(fn):
    first, second = fn(seed=3), fn(seed=3)
    assert first == second
    assert all(type(v) is float and np.isfinite(v) for v in first.values()), first
