"""Pitfalls of the training loop: gradients that accumulate, torch's momentum formula, and
training vs inference mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

import scratch
import torch_impl
from parity._util.threads import limit_threads
from parity.data import load_dataset
from parity.experiments.pitfalls.common import Numbers, max_abs, raises
from parity.harness.runner import Setup, build, build_networks, prepare
from parity.harness.sides import SCRATCH, TORCH, Implementation
from parity.spec import RunSpec

FIRST_WEIGHT = "0.weight"  # the first Linear layer's weight, in both state dicts


def _scratch_pass(model: scratch.Sequential, loss_fn: Any, X: np.ndarray, y: np.ndarray) -> float:
    """One full-batch forward and backward pass (gradients accumulate); returns the loss."""
    loss = loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    return float(loss)


def _torch_pass(model: nn.Sequential, loss_fn: Any, X: np.ndarray, y: np.ndarray) -> float:
    """The torch twin of :func:`_scratch_pass`."""
    loss = loss_fn(model(torch.tensor(X)), torch.tensor(y))
    loss.backward()
    return float(loss.item())


Pass = Callable[[Any, Any, np.ndarray, np.ndarray], float]


def _zero_grad_on(impl: Implementation, one_pass: Pass, setup: Setup) -> Numbers:
    """:func:`forgetting_zero_grad`'s numbers for one implementation (keys without a side)."""
    X, y = setup.data.X_train, setup.data.y_train.reshape(-1, 1).astype(np.float64)
    loss_fn = impl.make_loss(setup.spec.loss)
    out: Numbers = {}
    model = build(impl, setup)
    grads = []
    for _ in range(3):  # no zero_grad between the passes
        one_pass(model, loss_fn, X, y)
        grads.append(impl.grads(model)[FIRST_WEIGHT])
    out["grad_ratio_after_3"] = float(np.abs(grads[2]).max() / np.abs(grads[0]).max())
    final = {}
    for clear in (True, False):
        model = build(impl, setup)
        optimizer = impl.make_optimizer(model, setup.spec)  # SGD, lr 0.1
        losses = []
        for _ in range(100):
            if clear:
                optimizer.zero_grad()
            losses.append(one_pass(model, loss_fn, X, y))
            optimizer.step()
        out[f"loss_rises_{'with' if clear else 'without'}"] = float(np.sum(np.diff(losses) > 0))
        final[clear] = impl.state(model)[FIRST_WEIGHT]
    stale = impl.grads(model)[FIRST_WEIGHT]  # the run without zero_grad
    model.zero_grad()
    one_pass(model, loss_fn, X, y)
    true = impl.grads(model)[FIRST_WEIGHT]
    out["stale_grad_ratio"] = float(np.linalg.norm(stale) / np.linalg.norm(true))
    out["weights_max_diff"] = float(np.abs(final[True] - final[False]).max())
    return out


def forgetting_zero_grad(seed: int = 0) -> Numbers:
    """Gradients accumulate into ``.grad`` until cleared, in torch and in scratch alike.

    ``grad_ratio_after_3.{side}``: three backward passes without ``zero_grad`` leave three
    times the gradient. Then 100 full-batch SGD steps (lr 0.1) on ``moons`` from one state
    dict, with and without ``optimizer.zero_grad()`` in the loop. Without it every step
    applies the *sum* of all gradients so far (momentum 1, no friction): the loss rises on
    ``loss_rises_without.{side}`` steps (``loss_rises_with.{side}``: 0, plain gradient
    descent on a full batch with a small lr only goes down), ``stale_grad_ratio.{side}`` is
    how much larger the stored ``.grad`` is than the true gradient at the final weights,
    and ``weights_max_diff.{side}`` how far the two runs' weights end apart.
    """
    spec = RunSpec(task="binary", hidden=(16,), activation="tanh", seed=seed, lr=0.1)
    with limit_threads(1):
        setup = prepare(spec, load_dataset("moons", seed=seed, n_samples=128))
        sides = {
            impl.name: _zero_grad_on(impl, one_pass, setup)
            for impl, one_pass in ((SCRATCH, _scratch_pass), (TORCH, _torch_pass))
        }
    return {
        f"{key}.{side}": numbers[key]
        for key in sides[SCRATCH.name]
        for side, numbers in sides.items()
    }


def _classical_momentum(
    grad: Callable[[np.ndarray], np.ndarray], p: np.ndarray, lrs: list[float], mu: float
) -> np.ndarray:
    """Sutskever et al.'s momentum, ``v = mu v - lr g; p = p + v``, over the given lrs."""
    p, v = p.copy(), np.zeros_like(p)
    for lr in lrs:
        v = mu * v - lr * grad(p)
        p = p + v
    return p


def _ema_momentum(
    grad: Callable[[np.ndarray], np.ndarray], p: np.ndarray, lrs: list[float], mu: float, d: float
) -> np.ndarray:
    """The textbook damped form, ``b = mu b + (1 - d) g`` from ``b = 0``; ``p = p - lr b``."""
    p, b = p.copy(), np.zeros_like(p)
    for lr in lrs:
        b = mu * b + (1 - d) * grad(p)
        p = p - lr * b
    return p


def momentum_formula(seed: int = 0) -> Numbers:
    """torch's SGD momentum (``b = mu b + (1 - dampening) g``, ``b = g`` on the first step;
    ``p -= lr b``) vs the classical ``v = mu v - lr g; p += v``.

    On the quadratic ``L(p) = p^T A p / 2`` (``A`` positive definite, 8 parameters), 40
    steps with ``mu = 0.9``: ``constant_lr.max_diff`` (lr 0.05 throughout: the same path up
    to rounding, ``v = -lr b``), ``lr_drop.max_diff`` (lr 0.05, then 0.005 from step 20:
    torch rescales the whole buffer at once, the classical form only new gradients),
    ``dampening.max_diff`` (torch with dampening 0.5 against the textbook damped form
    started from ``b = 0``: torch's first step takes the full gradient), all as the max
    parameter difference; and ``scratch_vs_torch.max_diff`` for ``scratch.SGD`` vs
    ``torch.optim.SGD`` over all three (0 up to rounding).
    """
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((8, 8))
    A = M @ M.T / 8 + np.eye(8)
    p0 = rng.standard_normal(8)

    def grad(p: np.ndarray) -> np.ndarray:
        return A @ p

    cases = {
        "constant_lr": ([0.05] * 40, 0.0),
        "lr_drop": ([0.05] * 20 + [0.005] * 20, 0.0),
        "dampening": ([0.05] * 40, 0.5),
    }
    out: Numbers = {}
    worst = 0.0
    with limit_threads(1):
        for name, (lrs, damp) in cases.items():
            t_p = torch.tensor(p0, requires_grad=True)
            t_opt = torch.optim.SGD([t_p], lr=lrs[0], momentum=0.9, dampening=damp)
            s_p = scratch.Parameter(p0.copy())
            s_opt = scratch.SGD([s_p], lr=lrs[0], momentum=0.9, dampening=damp)
            for lr in lrs:
                for group in t_opt.param_groups:
                    group["lr"] = lr  # what an lr scheduler does
                s_opt.lr = lr
                t_opt.zero_grad()
                (0.5 * t_p @ torch.tensor(A) @ t_p).backward()
                t_opt.step()
                s_opt.zero_grad()
                s_p.grad += grad(s_p.data)
                s_opt.step()
            t_final = t_p.detach().numpy()
            ref = (
                _ema_momentum(grad, p0, lrs, 0.9, damp)
                if damp
                else _classical_momentum(grad, p0, lrs, 0.9)
            )
            out[f"{name}.max_diff"] = float(np.abs(t_final - ref).max())
            worst = max(worst, float(np.abs(t_final - s_p.data).max()))
    out["scratch_vs_torch.max_diff"] = worst
    return out


def eval_and_inference_mode(seed: int = 0) -> Numbers:
    """``model.eval()`` and ``torch.inference_mode()`` at inference.

    ``eval()`` switches layers that behave differently in training, such as ``Dropout``:
    ``dropout_train_calls_max_diff`` (two training-mode calls on the same input differ) and
    ``dropout_eval_calls_max_diff`` (0: eval mode is deterministic). The seed's networks
    have no such layer, so for them ``eval()`` changes nothing
    (``our_net_train_vs_eval_max_diff`` = 0) and ``torch_impl.predict`` equals
    ``scratch.predict`` (``predict_scratch_vs_torch_max_diff``). ``inference_mode`` stops
    autograd recording: ``output_requires_grad_without`` (1.0: the output carries a graph,
    and ``.numpy()`` on it raises, ``numpy_raises_without``) and
    ``output_requires_grad_with`` (0.0).
    """
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.standard_normal((32, 8)))
    out: Numbers = {}
    with limit_threads(1), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = nn.Sequential(
            nn.Linear(8, 16, dtype=torch.float64),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(16, 1, dtype=torch.float64),
        )
        with torch.no_grad():
            net.train()
            out["dropout_train_calls_max_diff"] = max_abs(net(x), net(x))
            net.eval()
            out["dropout_eval_calls_max_diff"] = max_abs(net(x), net(x))
        moons = load_dataset("moons", seed=seed, n_samples=64)
        nets = build_networks(RunSpec(task="binary", hidden=(16,), seed=seed), moons)
        model, X = nets.torch_model, nets.data.X_test
        with torch.no_grad():
            model.train()
            train_out = model(torch.tensor(X))
            model.eval()
            out["our_net_train_vs_eval_max_diff"] = max_abs(train_out, model(torch.tensor(X)))
        out["predict_scratch_vs_torch_max_diff"] = max_abs(
            scratch.predict(nets.scratch_model, X, "regression"),
            torch_impl.predict(model, X, "regression"),
        )
        plain = model(torch.tensor(X))
        out["output_requires_grad_without"] = float(plain.requires_grad)
        out["numpy_raises_without"] = raises(plain.numpy, RuntimeError)
        with torch.inference_mode():
            out["output_requires_grad_with"] = float(model(torch.tensor(X)).requires_grad)
    return out
