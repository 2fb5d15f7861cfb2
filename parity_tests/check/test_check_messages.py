"""Messages that say what happened (issue 19 §4): a fix worded as an action, no slope for one
number, nondeterministic code called so, each with its negative control."""

from __future__ import annotations

import re

import numpy as np

from parity.check import Functional, check
from parity.check.agreement import statistics
from parity.check.diagnose.hypotheses import _undo
from parity.check.examples import functional_net as F

BASE = F.make_loss("relu")
P = F.init_params((64, 32, 10))


def test_a_factor_fix_is_an_action():
    assert _undo("1/2", 0.5).startswith("multiply by 2")
    assert _undo("-1", -1.0).startswith("flip the sign")
    assert _undo("1/N", 1 / 64).startswith("multiply by N")
    assert _undo("N", 64).startswith("divide by N")

    def half(X, y, p):
        loss, grads = BASE(X, y, p)
        return loss / 2, {k: g / 2 for k, g in grads.items()}

    d = check(Functional(half, P)).first_divergence
    assert d.diagnosis.fix.startswith("multiply by 2"), d.diagnosis


def test_one_number_gets_no_slope_or_correlation():
    one = statistics(np.array(2.5), np.array(2.0))
    assert "slope" not in one and "correlation" not in one and "torch's 2" in one
    assert "slope" in statistics(np.array([1.0, 2.0]), np.array([2.0, 4.0]))


def test_code_that_draws_random_numbers_is_called_nondeterministic_not_stateful():
    def noisy(X, y, p):
        loss, grads = BASE(X, y, p)
        noise = np.random.standard_normal  # the legacy global state, as learners use
        return loss, {k: g + 1e-3 * noise(g.shape) for k, g in grads.items()}

    rows = check(Functional(noisy, P)).rows
    repeat = next(r for r in rows if r.name == "loss_fn")
    assert repeat.diagnosis.pattern == "nondeterministic", repeat.diagnosis

    calls = {"n": 0}

    def counting(X, y, p):  # keeps state: the negative control
        calls["n"] += 1
        loss, grads = BASE(X, y, p)
        return loss * calls["n"], grads

    repeat = next(r for r in check(Functional(counting, P)).rows if r.name == "loss_fn")
    assert repeat.diagnosis.pattern == "stateful_loss_fn"


def test_a_crash_is_attributed_to_where_it_happened():
    from parity.check import Layers
    from parity.check.examples import layers_net as L

    def crashing_update(params, grads, lr):
        params["W1"] -= lr * grads["W1"].T  # (64, 32) vs (32, 64)

    report = check(Functional(BASE, P, update=crashing_update), steps=2)
    assert "raised at step 0 in your update" in report.verdict
    assert "a crash, not another update rule" in report.verdict

    class BadTanh(L.Tanh):
        def backward(self, dy):
            return dy @ np.ones((3, 3))

    layers = L.build((64, 32, 16, 10), act=L.Tanh)
    layers[3] = BadTanh()
    report = check(Layers(layers, L.SoftmaxCrossEntropy()))
    assert report.first_divergence.name == "layers[3]"
    assert "your code raised in layers[3].backward" in report.verdict
    assert "your loss raised" not in report.verdict


def test_after_a_float32_diagnosis_no_row_is_called_also_wrong():
    from parity.check import Layers
    from parity.check.examples import layers_net as L

    class Linear32(L.Linear):
        def forward(self, x):
            return super().forward(x.astype(np.float32))

        def backward(self, dy):
            return super().backward(dy.astype(np.float32))

    report = check(Layers(L.build((64, 32, 16, 10), linear=Linear32), L.SoftmaxCrossEntropy()))
    assert report.first_divergence.diagnosis.pattern == "float32_arithmetic"
    assert not [r for r in report.rows if r.status == "also wrong"]
    assert "float32 rounding" in {r.status for r in report.rows}
    assert "also wrong on its own" not in report.table()


def test_the_checked_files_folder_is_on_the_path_while_it_builds(tmp_path, monkeypatch):
    from parity.check.adapters.loader import load_implementation

    (tmp_path / "mynet_helpers.py").write_text(
        "from parity.check.examples import EXAMPLES\n"
        "def build():\n    return EXAMPLES['functional'].build()\n"
    )
    (tmp_path / "mynet.py").write_text(
        "def implementation():\n    import mynet_helpers  # a neighbour, imported late\n"
        "    return mynet_helpers.build()\n"
    )
    import sys

    monkeypatch.setattr(sys, "path", list(sys.path))  # the loader's edit stays in this test
    assert load_implementation(str(tmp_path / "mynet.py")).style == "Functional"
    # the folder stays first on the path for the whole run (the check's own child process),
    # so a lazy import inside loss_fn finds its neighbours too
    assert sys.path[0] == str(tmp_path.resolve())


def test_an_exception_in_loss_fn_is_attributed_to_the_half_that_raised():
    """Raised after the loss was computed (a gradient line, a scalar equal to torch's loss):
    the backward half, quoting the line, and the loss row judges that loss. Raised before: the
    loss_fn at that line, quoted."""
    def run(mistake):  # the shipped functional_net mistakes (an exception has no residual,
        # so they are not in EXAMPLES, whose diagnoses are verified by one)
        return check(Functional(F.make_loss("relu", mistake), F.init_params((64, 32, 10))))

    back = run("backward_raises")
    d = back.first_divergence
    assert (d.stage, d.name, d.diagnosis.pattern) == ("backward", "W2", "raised")
    assert back.rows[0].name == "loss" and back.rows[0].ok  # the loss it had computed
    assert re.search(r"in the backward half of your loss_fn \(at line \d+: `dh = dscores @ W2`\)",
                     d.diagnosis.text)  # fmt: skip
    assert "# MISTAKE" not in d.diagnosis.text  # the code, not its comment
    assert "not run" in back.rows[2].status

    fwd = run("forward_raises")
    d = fwd.first_divergence
    assert (d.stage, d.name, d.diagnosis.pattern) == ("forward", "loss", "raised")
    assert re.search(r"in your loss_fn at line \d+: `scores = h @ W2.T \+ b2`", d.diagnosis.text)
    assert "backward half" not in fwd.table()


def test_the_backward_half_is_said_only_when_sure():
    from parity.check.run.candidate import Raised

    torch_loss = 2.25
    grad_line = Raised(7, "dW1 = X.T @ dz", {"value": 2.25})
    assert grad_line.loss(torch_loss, 1e-6) == 2.25
    # equal to torch's loss but on a line that computes no gradient, in a name that is no loss
    assert Raised(7, "z = np.pad(h, 1)", {"value": 2.25}).loss(torch_loss, 1e-6) is None
    # a loss named so, on a gradient line: that loss, even if it differs from torch's
    assert Raised(7, "grads['W1'] = X.T @ dz", {"data_loss": 3.0}).loss(torch_loss, 1e-6) == 3.0
    # a gradient line, but no scalar that is the loss: not sure
    assert Raised(7, "dW1 = X.T @ dz", {"reg": 0.1}).loss(torch_loss, 1e-6) is None
    assert Raised(7, "data = X @ W1", {"data_loss": 3.0}).loss(torch_loss, 1e-6) is None
