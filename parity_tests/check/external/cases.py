"""The catalogue of other people's implementations and what the check must find in each.

Each file here is written in a style unlike this repository's (a course's class, torch-like
modules, closures, a blog post's layers, a plain function), in either layout and on each
head; ``implementation`` is correct and every ``bug_*`` plants one mistake. They are loaded
the way ``nn-parity check FILE.py:NAME`` loads them. Used by test_check_external.py and by
``python -m parity.check.examples --external parity_tests/check/external``.
"""

import importlib.util
from pathlib import Path

from parity.check.adapters.loader import load_implementation
from parity.check.examples import Example

HERE = Path(__file__).resolve().parent


def _zero_rows():
    spec = importlib.util.spec_from_file_location("_relu_zero_rows", HERE / "relu_zero_rows.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    X, y = module.data()
    return {"X": X, "y": y}


def _case(file, name, planted, expect, **check):
    def build():
        return load_implementation(f"{HERE / file}:{name}")

    return Example(f"{Path(file).stem}:{name}", planted, build, expect, check)


STEPS = {"steps": 4}
CASES = [
    _case("cs231n_twolayer.py", "implementation", "", None, **STEPS),
    _case(
        "cs231n_twolayer.py",
        "bug_no_mean",
        "dscores not divided by N",
        ("backward", "W2", "factor"),
    ),
    _case(
        "cs231n_twolayer.py",
        "bug_db1_rows",
        "db1 = dhidden (per-example rows)",
        ("backward", "b1", "bias_not_summed"),
    ),
    _case(
        "cs231n_twolayer.py",
        "bug_reg_form",
        "loss reg·ΣW², gradient reg·W",
        ("forward", "loss", "l2_regulariser"),
    ),
    _case(
        "cs231n_twolayer.py",
        "correct_with_reg",
        "the course's L2 term (not in torch's loss)",
        ("forward", "loss", "l2_regulariser"),
    ),
    _case("torchlike_binary.py", "implementation", "", None, dataset="breast_cancer", **STEPS),
    _case(
        "torchlike_binary.py",
        "bug_sigmoid_from_input",
        "sigmoid' from the pre-activation",
        ("backward", "layers[3]", "derivative_from_input"),
        dataset="breast_cancer",
    ),
    _case(
        "torchlike_binary.py",
        "bug_dW_transposed",
        "(in, out) dW formula on (out, in) W",
        ("backward", "layers[4].weight", "transposed"),
        dataset="breast_cancer",
    ),
    _case(
        "torchlike_binary.py",
        "bug_bce_sum",
        "BCE gradient without 1/N",
        ("backward", "loss", "factor"),
        dataset="breast_cancer",
    ),
    _case(
        "closure_regression.py",
        "implementation",
        "",
        None,
        dataset="diabetes",
        momentum=0.9,
        **STEPS,
    ),
    _case(
        "closure_regression.py",
        "bug_mse_no_two",
        "MSE gradient without its 2",
        ("backward", "head.w", "factor"),
        dataset="diabetes",
    ),
    _case(
        "closure_regression.py",
        "bug_leaky_passes",
        "Leaky ReLU passes dy where x <= 0",
        ("backward", "hidden.w", "leaky_relu_mask"),
        dataset="diabetes",
    ),
    _case(
        "closure_regression.py",
        "bug_plain_sgd",
        "update ignores momentum",
        ("training", "hidden.w", "update_rule"),
        dataset="diabetes",
        momentum=0.9,
        **STEPS,
    ),
    _case(
        "blog_mlp_probs.py",
        "implementation",
        "",
        None,
        dataset="iris",
        optimizer="adam",
        lr=0.01,
        **STEPS,
    ),
    _case(
        "blog_mlp_probs.py",
        "bug_relu_inverted",
        "ReLU backward keeps x < 0",
        ("backward", "layers[1]", "relu_mask"),
        dataset="iris",
    ),
    _case(
        "blog_mlp_probs.py",
        "bug_never_cleared",
        "accumulated gradients never cleared",
        ("training", "layers[0].w", "accumulated_gradients"),
        dataset="iris",
        optimizer="adam",
        lr=0.01,
        **STEPS,
    ),
    _case(
        "blog_mlp_probs.py",
        "bug_adam_paper_eps",
        "Adam's eps before bias correction",
        ("training", "layers[0].w", "update_rule"),
        dataset="iris",
        optimizer="adam",
        lr=0.01,
        **STEPS,
    ),
    _case("logreg_outin.py", "implementation", "", None, dataset="breast_cancer", **STEPS),
    _case(
        "logreg_outin.py",
        "bug_gradient_ascent_sign",
        "gradient of y - p, not p - y",
        ("backward", "weights", "factor"),
        dataset="breast_cancer",
    ),
    _case(
        "logreg_outin.py",
        "bug_intercept_rows",
        "intercept gradient not summed",
        ("backward", "intercept", "bias_not_summed"),
        dataset="breast_cancer",
    ),
    _case("nnfs_deep.py", "implementation", "", None, momentum=0.9, **STEPS),
    _case(
        "nnfs_deep.py",
        "bug_relu_class_cache",
        "ReLU input cached on the class (raises)",
        ("backward", "layers[3]", "raised"),
    ),
    _case(
        "nnfs_deep.py",
        "bug_relu_class_cache_same_widths",
        "ReLU input cached on the class (silent)",
        ("backward", "layers[3]", "wrong_only_in_chain"),
    ),
    _case("relu_zero_rows.py", "implementation", "", None, **_zero_rows()),
    _case(
        "relu_zero_rows.py",
        "bug_mask_ge",
        "ReLU mask z >= 0, at z exactly 0",
        ("backward", "b1", "relu_mask"),
        **_zero_rows(),
    ),
    _case(
        "relu_zero_rows.py",
        "bug_accumulating_grads",
        "gradient dict kept between calls",
        ("backward", "loss_fn", "accumulated_gradients"),
        **_zero_rows(),
    ),
    _case(
        "relu_zero_rows.py",
        "bug_activation_name",
        "tanh network, activation left at relu",
        ("forward", "loss", "activation_name"),
        **_zero_rows(),
    ),
    _case("vector_logreg.py", "implementation", "", None, dataset="breast_cancer", **STEPS),
    _case(
        "vector_logreg.py",
        "bug_float32_inside",
        "",
        None,
        dataset="breast_cancer",
        dtype="float32",
        **STEPS,
    ),
    _case(
        "vector_logreg.py",
        "bug_float32_inside",
        "computes in float32 inside",
        ("forward", "loss", "float32_arithmetic"),
        dataset="breast_cancer",
    ),
    _case(
        "vector_logreg.py",
        "bug_bias_mean",
        "scalar bias gradient averaged twice",
        ("backward", "c", "factor"),
        dataset="breast_cancer",
    ),
]
