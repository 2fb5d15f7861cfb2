"""The shipped examples (``nn-parity check --demo``): both correct ones pass, and each buggy
one names the right first divergence and its diagnosis (each diagnosis's negative control)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from check_support import assert_finds

from parity.check import Functional, Layers, check
from parity.check.diagnose.hypotheses import PITFALLS
from parity.check.examples import CORRECT, EXAMPLE_LIST, EXAMPLES
from parity.check.examples import functional_net as F
from parity.check.examples import layers_net as L
from parity.check.examples.table import table

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("example", EXAMPLE_LIST, ids=lambda e: e.name)
def test_example(example):
    assert_finds(example)


def test_both_styles_have_a_correct_example_and_every_pattern_is_planted():
    assert CORRECT == ["functional", "layers", "library-stored", "library-renamed",
                       "library-in-place", "library-optimizer-inside", "torch-port",
                       "torch-port-equals-original"]  # fmt: skip
    planted = {e.expect[2] for e in EXAMPLE_LIST if e.expect}
    required = {"factor", "transposed", "relu_mask", "leaky_relu_mask", "derivative_from_input",
                "derivative_missing_factor", "bias_not_summed", "softmax_before_cross_entropy",
                "accumulated_gradients", "update_rule", "l2_regulariser"}  # fmt: skip
    assert required <= planted
    styles = {type(EXAMPLES[n].build()).__name__ for n in EXAMPLES}
    assert styles == {"Functional", "Layers", "Torch"}


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of the page's headings: lower case, punctuation dropped, '-' for ' '."""
    heads = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in heads}


def test_every_pitfall_link_has_its_section_in_porting():
    anchors = _anchors(ROOT / "docs" / "PORTING.md")
    missing = [link for link in PITFALLS.values() if link.split("#")[1] not in anchors]
    assert not missing, missing


def test_a_mistake_not_in_the_list_gets_statistics_not_a_guess():
    loss = F.make_loss("relu")

    def times_three(X, y, params):  # an unknown constant: not N, 2, 1/2, -1...
        value, grads = loss(X, y, params)
        return value, {**grads, "W2": 3 * grads["W2"]}

    report = check(Functional(times_three, F.init_params((64, 32, 10))))
    d = report.first_divergence
    assert (d.stage, d.name, d.diagnosis.pattern) == ("backward", "W2", "no_known_pattern")
    assert "slope 3" in d.diagnosis.text and "correlation 1.000" in d.diagnosis.text
    assert d.diagnosis.pitfall == "" and d.diagnosis.residual is None


def test_a_crash_in_your_code_is_a_row_not_a_traceback():
    def crashes(X, y, params):
        raise ValueError("shapes (64,32) and (10,32) not aligned")

    report = check(Functional(crashes, F.init_params((64, 32, 10))))
    d = report.first_divergence
    assert (d.stage, d.name, d.diagnosis.pattern) == ("forward", "loss", "raised")
    assert "not aligned" in d.diagnosis.text
    assert "raised" in report.table()


def test_the_planted_mistakes_table_says_yes_everywhere():
    text, ok = table([EXAMPLES["functional"], EXAMPLES["layers-relu-mask"]])
    assert ok
    assert text.count("| yes | yes |") == 2
    wrong = EXAMPLE_LIST[1].__class__(
        "mislabelled", "x", EXAMPLES["layers-relu-mask"].build, ("backward", "layers[1]", "factor")
    )
    text, ok = table([wrong])
    assert not ok and "| NO | NO |" in text


def test_diagnoses_are_numbers_not_words_only():
    report = assert_finds(EXAMPLES["functional-missing-mean"])
    d = report.first_divergence.diagnosis
    assert "N = 64" in d.text and d.residual < 1e-12
    assert np.isfinite(report.rows[report.first_divergence.row].scaled)


def test_a_non_square_weight_used_transposed_raises_and_is_named():
    class TransposedForward(L.Linear):  # x @ W.T on an (in, out) W: NumPy refuses the shapes
        def forward(self, x):
            self.x = x
            return x @ self.W.T + self.b

    layers = L.build((64, 32, 16, 10), linear_at={1: TransposedForward})
    d = check(Layers(layers, L.SoftmaxCrossEntropy())).first_divergence
    assert (d.stage, d.name, d.diagnosis.pattern) == ("forward", "layers[2]", "transposed")
    assert "raised" in d.diagnosis.text and d.diagnosis.residual <= d.diagnosis.tol

    loss = F.make_loss("relu")

    def uses_W1_transposed(X, y, params):
        return loss(X, y, {**params, "W1": params["W1"].T})  # raises for (64, 32)

    d = check(Functional(uses_W1_transposed, F.init_params((64, 32, 10)))).first_divergence
    assert (d.stage, d.name, d.diagnosis.pattern) == ("forward", "loss", "transposed")
    assert "W1" in d.diagnosis.text


def test_l2_with_a_second_mistake_names_both():
    d = EXAMPLES["functional-l2-and-missing-mean"].run().first_divergence
    assert "L2 penalty" in d.diagnosis.text and "a second mistake" in d.diagnosis.text
    assert "factor N" in d.diagnosis.text
    d = EXAMPLES["functional-l2-in-loss"].run().first_divergence
    assert "second mistake" not in d.diagnosis.text
