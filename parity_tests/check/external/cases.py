"""The catalogue of other people's implementations and what the check must find in each.

Each file here is written in a style unlike this repository's (a course's class, torch-like
modules, closures, a blog post's layers, a plain function), in either layout and on each
head; ``implementation`` is correct and every ``bug_*`` plants one mistake. They are loaded
the way ``nn-parity check FILE.py:NAME`` loads them. Used by test_check_external.py and by
``python -m parity.check.examples --external parity_tests/check/external``.
"""

from pathlib import Path

from parity.check.examples import Example
from parity.check.loader import load_implementation

HERE = Path(__file__).resolve().parent


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
]
