"""examples/exercises/: every exercise, as shipped, fails with the diagnosis it teaches, and
every solution passes. In this process, through the loader and the ``check`` that
``nn-parity check FILE`` runs (the command itself is tested in parity_tests/check/).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.check import check
from parity.check.adapters.loader import load_implementation

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "examples" / "exercises"

# name: (training steps, the first divergence (stage, name, pattern), the verdict's start)
EXPECT = {
    "ex01_relu_backward": (0, ("backward", "layers[3]", "relu_mask"), "backward bug"),
    "ex02_sigmoid_backward": (
        0, ("backward", "layers[3]", "derivative_missing_factor"), "backward bug"),
    "ex03_tanh_derivative": (0, ("backward", "layers[3]", "derivative_from_input"), "backward bug"),
    "ex04_softmax_cross_entropy": (0, ("backward", "loss", "factor"), "backward bug"),
    "ex05_bias_gradient": (0, ("backward", "layers[4].b", "bias_not_summed"), "backward bug"),
    "ex06_weight_gradient": (0, ("backward", "layers[4].W", "transposed"), "backward bug"),
    "ex07_mean_vs_sum": (0, ("forward", "loss", "factor"), "different definition"),
    "ex08_sgd_update": (3, ("training", "W1", "update_rule"), "agrees in one pass"),
    "ex09_zero_grad": (
        3, ("training", "layers[0].W", "accumulated_gradients"), "agrees in one pass"),
    "ex10_find_the_mistake": (0, ("forward", "loss", "softmax_before_cross_entropy"), None),
    "ex11_find_the_mistake": (0, ("forward", "loss", "transposed"), "different definition"),
}  # fmt: skip


def command(path: str, steps: int) -> str:
    """The command the README gives for ``path`` (relative to the repository root)."""
    return f"nn-parity check {path}" + (f" --steps {steps}" if steps else "")


def test_every_exercise_has_a_solution_and_a_readme_row():
    names = sorted(p.stem for p in EXERCISES.glob("ex*.py"))
    assert names == sorted(EXPECT)
    assert len(names) >= 8
    assert names == sorted(p.stem for p in (EXERCISES / "solutions").glob("ex*.py"))
    readme = (EXERCISES / "README.md").read_text(encoding="utf-8")
    for name, (steps, (_, where, pattern), _) in EXPECT.items():
        assert f"`{command(f'examples/exercises/{name}.py', steps)}`" in readme, name
        assert f"`{pattern}` at `{where}`" in readme, name


@pytest.mark.parametrize("name", EXPECT)
def test_the_exercise_fails_with_what_it_teaches(name):
    steps, expected, verdict = EXPECT[name]
    report = check(load_implementation(str(EXERCISES / f"{name}.py")), steps=steps)
    d = report.first_divergence
    assert not report.ok and d is not None and d.diagnosis is not None, report.table()
    assert (d.stage, d.name, d.diagnosis.pattern) == expected, report.table()
    if verdict is not None:
        assert report.verdict.startswith(verdict), report.verdict


@pytest.mark.parametrize("name", EXPECT)
def test_the_solution_passes(name):
    steps = EXPECT[name][0]
    report = check(load_implementation(str(EXERCISES / "solutions" / f"{name}.py")), steps=steps)
    assert report.ok, report.table()

