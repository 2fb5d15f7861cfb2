"""examples/port/ and docs/TUTORIAL.md: the six steps run, print the same losses, and the
page shows what they print.

One child process (``make_tutorial.py --json``, under a timeout) runs the six steps and the
page's ``nn-parity check``; every test here reads its outputs.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PORT = ROOT / "examples" / "port"
PAGE = ROOT / "docs" / "TUTORIAL.md"


def _module(name: str) -> ModuleType:
    """``examples/port/NAME.py`` imported, with its folder on ``sys.path`` as when run."""
    if str(PORT) not in sys.path:
        sys.path.insert(0, str(PORT))
    spec = importlib.util.spec_from_file_location(f"port_{name}", PORT / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def make_tutorial() -> ModuleType:
    return _module("make_tutorial")


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}  # this checkout's parity, not an installed one
    done = subprocess.run(
        [sys.executable, str(PORT / "make_tutorial.py"), "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_every_step_prints_the_same_losses(outputs, make_tutorial):
    printed = {step: outputs[f"output {step}"] for step in make_tutorial.STEPS}
    first = printed["step1_numpy.py"]
    lines = first.splitlines()
    steps = [line.split("  loss")[0] for line in lines[:-1]]
    assert steps == [f"step {s:3d}" for s in range(0, 600, 100)]
    assert re.fullmatch(r"test accuracy 0\.9\d\d", lines[-1]), lines[-1]
    losses = [float(line.split("loss ")[1]) for line in lines[:-1]]
    assert losses[-1] < losses[0] / 5, losses  # it trains
    for step, text in printed.items():
        assert text == first, f"{step} prints other numbers than step1_numpy.py:\n{text}"


@pytest.mark.parametrize("file", ["check_numpy.py", "check_torch.py"])
def test_the_numpy_original_and_the_torch_port_pass_the_check(outputs, file):
    (text,) = [v for k, v in outputs.items() if k.startswith(f"check {file} ")]
    assert "no divergence" in text and "verdict: agrees" in text, text
    assert "exit status" not in text


def test_the_port_equals_the_original(outputs):
    text = outputs["output compare_port.py"]
    assert text.splitlines()[-1] == "your port equals your original: yes", text


def test_the_page_is_current(outputs, make_tutorial):
    page = PAGE.read_text(encoding="utf-8")
    fresh = make_tutorial.render(page, outputs)
    have, want = make_tutorial.comparable(page), make_tutorial.comparable(fresh)
    diff = "\n".join(difflib.unified_diff(have.splitlines(), want.splitlines(), lineterm=""))
    assert have == want, f"stale; run python examples/port/make_tutorial.py\n{diff}"


def test_the_page_shows_every_step(make_tutorial):
    page = PAGE.read_text(encoding="utf-8")
    for a, b in zip(make_tutorial.STEPS, make_tutorial.STEPS[1:], strict=False):
        assert f"<!-- generated: diff {a} {b} -->" in page
    for step in make_tutorial.STEPS:
        assert f"<!-- generated: output {step} -->" in page


def test_a_changed_output_is_found(outputs, make_tutorial):
    page = PAGE.read_text(encoding="utf-8")
    key = "output step3_autograd.py"
    changed = {**outputs, key: outputs[key].replace("loss 0.", "loss 1.", 1)}
    same = make_tutorial.comparable
    assert same(make_tutorial.render(page, changed)) != same(page)


def test_comparable_masks_only_what_differs_between_machines(make_tutorial):
    same = make_tutorial.comparable
    here = "W1  1.4e-16  (checked in 0.23 s) torch 2.13.0+cpu"
    there = "W1  9.9e-17  (checked in 7.1 s) torch 2.4.1"
    assert same(here) == same(there)
    assert same("loss 0.684398") != same("loss 0.684399")


def test_the_torch_steps_hold_the_initial_weights_at_import():
    """What a torch-port check takes: module-level model, loss_fn and optimizer, with the
    shared initial weights (nn.Linear's (out, in) layout) until main() trains."""
    import torch

    weights = _module("common").initial_weights()
    for name in ("step5_optim", "step6_dataloader"):
        step = _module(name)
        assert isinstance(step.loss_fn, torch.nn.BCEWithLogitsLoss)
        assert isinstance(step.optimizer, torch.optim.SGD)
        state = {k: v.numpy() for k, v in step.model.state_dict().items()}
        for k, i in zip((1, 2, 3), (0, 2, 4), strict=True):
            np.testing.assert_array_equal(state[f"{i}.weight"], weights[f"W{k}"].T)
            np.testing.assert_array_equal(state[f"{i}.bias"], weights[f"b{k}"])


def test_the_pages_planted_mistake_is_named_as_the_page_says():
    """TUTORIAL.md: step 1 without the mean's 1/N is found at W3, as a factor N."""
    from parity.check import Functional, check

    step1, weights = _module("step1_numpy"), _module("common").initial_weights()

    def without_the_mean(X, y, params):
        loss, grads = step1.loss_and_grads(X, y, params)
        return loss, {k: g * len(y) for k, g in grads.items()}

    report = check(Functional(without_the_mean, weights, activation="tanh", head="binary"),
                   dataset="moons")  # fmt: skip
    d = report.first_divergence
    assert (d.stage, d.name, d.diagnosis.pattern) == ("backward", "W3", "factor")
    assert "a missing 1/N" in d.diagnosis.text
