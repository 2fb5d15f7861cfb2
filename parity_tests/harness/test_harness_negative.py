"""Negative controls: proof that the parity checks can fail.

Each control runs one deliberately wrong scratch variant (kept here, never in the package)
through the same comparisons as the real checks (``parity.harness.grid.check_initial``,
``parity.run``, the optimizers' ``lockstep``) and asserts the mismatch is caught: the
comparison of the named tensor fails, its message names the tensor and the measured error,
and the error is far above the tolerance. The correct variant of the same setup passes, so
what is caught is the mistake and nothing else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

import parity
import scratch
import torch_impl
from parity import RunSpec
from parity.compare import Comparison, compare, compare_dicts
from parity.harness.grid import Cell, check_initial
from parity.harness.runner import build_networks
from parity.harness.sides import SCRATCH
from parity.tolerances import tolerance

FAR = 1000  # a caught mistake is at least this many tolerances away
LR_DROP_STEP = 30


# ------------------------------------------------------------------ the wrong variants


class SigmoidWithoutOneMinusY(scratch.Sigmoid):
    """f'(x) written as f(x) instead of f(x)(1 - f(x))."""

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * self.y


class SoftmaxThenCrossEntropy(scratch.CrossEntropyLoss):
    """CrossEntropyLoss fed probabilities: a softmax before a loss that applies its own."""

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        self.softmax = scratch.Softmax()
        return super().forward(self.softmax(input), target)

    def backward(self) -> np.ndarray:
        return self.softmax.backward(super().backward())


class ClassicalMomentumSGD(scratch.SGD):
    """The textbook ``v = mu v - lr (1 - dampening) g; p += v``, not torch's form. Equal to
    torch's while lr is constant and dampening is 0 (see scratch.SGD's docstring)."""

    def step(self) -> None:
        for i, p in enumerate(self.params):
            if self.buffers[i] is None:
                self.buffers[i] = np.zeros_like(p.data)
            v = self.buffers[i]
            v *= self.momentum
            v -= self.lr * (1 - self.dampening) * p.grad
            p.data += v


# ------------------------------------------------------------------ the controls

Run = Callable[[bool, pytest.MonkeyPatch, Callable[..., list[Comparison]]], list[Comparison]]


def _flat(comparisons: dict[str, list[Comparison]]) -> list[Comparison]:
    return [c for cs in comparisons.values() for c in cs]


def sigmoid_backward(wrong, monkeypatch, lockstep):
    if wrong:
        monkeypatch.setitem(scratch.activations.ACTIVATIONS, "sigmoid", SigmoidWithoutOneMinusY)
    return _flat(check_initial(Cell("sigmoid", "shallow", "regression", "float64")))


def softmax_before_cross_entropy(wrong, monkeypatch, lockstep):
    if wrong:
        make_loss = scratch.make_loss

        def wrong_make_loss(name: str, reduction: str = "mean") -> Any:
            if name == "cross_entropy":
                return SoftmaxThenCrossEntropy(reduction)
            return make_loss(name, reduction)

        monkeypatch.setattr(scratch, "make_loss", wrong_make_loss)
    return _flat(check_initial(Cell("tanh", "shallow", "multiclass", "float64")))


def weights_from_in_out_layout(wrong, monkeypatch, lockstep):
    """Weights exported as (in, out) (as Keras or JAX store them) and read back into scratch
    with a reshape instead of a transpose: the shapes fit, the values do not (0.weight is
    4x4, iris has 4 features; 2.weight is 3x4)."""
    nets = build_networks(RunSpec(task="multiclass", hidden=(4,)), "iris")
    exported = {k: np.ascontiguousarray(v.T) for k, v in nets.initial_state.items()}
    read = {k: v.reshape(v.shape[::-1]) if wrong else v.T for k, v in exported.items()}
    nets.scratch_model.load_state_dict(read)
    X = nets.data.X_test
    with torch.inference_mode():
        torch_out = nets.torch_model(torch.from_numpy(X))
    return [
        *compare_dicts(
            "weights",
            nets.scratch_model.state_dict(),
            torch_impl.numpy_state_dict(nets.torch_model),
            tolerance("weights", "float64"),
        ),
        compare("head_output", nets.scratch_model(X), torch_out, tolerance("forward", "float64")),
    ]


def float32_input(wrong, monkeypatch, lockstep):
    """The scratch side trains on X.astype(float32).astype(float64), torch on the exact X:
    a candidate handed to ``parity.run`` as a value, scratch with another ``fit``."""
    candidate = SCRATCH
    if wrong:

        def fit_on_rounded_input(model, loss_fn, optimizer, X, y, **kw):
            rounded = X.astype(np.float32).astype(np.float64)
            return scratch.fit(model, loss_fn, optimizer, rounded, y, **kw)

        candidate = dataclasses.replace(SCRATCH, fit=fit_on_rounded_input)
    cell = Cell("tanh", "shallow", "binary", "float64")
    return parity.run(cell.spec(min_steps=12), cell.data(), candidate=candidate).comparisons


def _momentum(wrong, lockstep, **kw):
    optimizer = ClassicalMomentumSGD if wrong else scratch.SGD
    return lockstep(
        lambda params: optimizer(params, **kw),
        lambda params: torch.optim.SGD(params, **kw),
        "float64",
        lr_at=lambda step: kw["lr"] if step < LR_DROP_STEP else kw["lr"] / 10,
    )


def classical_momentum_lr_drop(wrong, monkeypatch, lockstep):
    return _momentum(wrong, lockstep, lr=0.05, momentum=0.9)


def classical_momentum_dampening(wrong, monkeypatch, lockstep):
    return _momentum(wrong, lockstep, lr=0.05, momentum=0.9, dampening=0.5)


@dataclass(frozen=True)
class Control:
    id: str
    run: Run
    tensor: str  # the comparison that must catch it
    first_bad_step: int | None = None  # for per-step comparisons: where it must be caught


CONTROLS = [
    Control("sigmoid_backward_without_1_minus_y", sigmoid_backward, "grad[0.weight]"),
    Control("softmax_before_cross_entropy", softmax_before_cross_entropy, "loss"),
    Control("weights_reshaped_not_transposed", weights_from_in_out_layout, "weights[0.weight]"),
    Control("float32_input_to_float64_network", float32_input, "grad_first_step[0.weight]"),
    Control("classical_momentum_lr_drop", classical_momentum_lr_drop, "param[0.weight]", 30),
    Control("classical_momentum_dampening", classical_momentum_dampening, "param[0.weight]", 0),
]


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.id)
def test_correct_variant_passes(control, monkeypatch, lockstep):
    failures = [c.message for c in control.run(False, monkeypatch, lockstep) if not c.ok]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.id)
def test_wrong_variant_is_caught(control, monkeypatch, lockstep):
    caught = {c.name: c for c in control.run(True, monkeypatch, lockstep) if not c.ok}
    assert control.tensor in caught, f"{control.tensor} not flagged; flagged: {sorted(caught)}"
    c = caught[control.tensor]
    assert c.scaled > FAR * c.tol, c.message
    assert c.message.startswith(f"{control.tensor}: MISMATCH scaled err {c.scaled:.3e}")
    if control.first_bad_step is not None:
        assert c.first_bad_step == control.first_bad_step, c.message
        assert c.message.endswith(f"first exceeded at step {control.first_bad_step}")


def test_finite_differences_tell_which_side_is_wrong(monkeypatch, lockstep):
    """With the wrong sigmoid derivative, torch still matches central differences and
    scratch does not: the three-way check points at the side with the mistake."""
    comparisons = sigmoid_backward(True, monkeypatch, lockstep)
    fd = {c.name: c for c in comparisons if c.name.endswith("_fd[0.weight]")}
    assert fd["torch_vs_fd[0.weight]"].ok, fd["torch_vs_fd[0.weight]"].message
    assert not fd["scratch_vs_fd[0.weight]"].ok


def test_classical_momentum_equals_torch_while_lr_is_constant(lockstep):
    """The control above is specific: with a constant lr and no dampening the classical form
    traces torch's path to rounding, and the same comparisons pass."""
    kw = dict(lr=0.05, momentum=0.9)
    comparisons = lockstep(
        lambda params: ClassicalMomentumSGD(params, **kw),
        lambda params: torch.optim.SGD(params, **kw),
        "float64",
    )
    failures = [c.message for c in comparisons if not c.ok]
    assert not failures, "\n".join(failures)
