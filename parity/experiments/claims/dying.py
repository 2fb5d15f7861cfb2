"""Claim 4, ``dying_relu``: ReLU units can die; Leaky ReLU keeps a gradient.

A ReLU unit whose input is negative on every example has derivative 0 everywhere, so no
gradient reaches its weights. Measured as the fraction of dead units over training.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import scratch
from parity._util import style
from parity._util.threads import limit_threads
from parity.experiments.claims.common import (
    SIDE_NAMES,
    Check,
    Claim,
    Experiment,
    Numbers,
    both,
    pair_rows,
    save,
)
from parity.harness.runner import build_networks, targets
from parity.harness.sides import SCRATCH, TORCH, Implementation
from parity.spec import RunSpec

# setting -> (Adam lr, shift added to every hidden bias at initialisation)
DYING_SETTINGS: dict[str, tuple[float, float]] = {
    "large_lr": (0.1, 0.0),  # 100x Adam's default lr
    "bias_shift": (0.01, -1.5),
    "normal": (0.01, 0.0),  # the control: a sensible lr, no shift
}
DYING_HIDDEN = (32, 32)
DEAD_MARGIN = 0.1  # ReLU's dead fraction under a bad setting stays above this
# Adam at lr 0.1 is chaotic: after about five epochs the two sides' rounding differences have
# grown into different trajectories (and so different dead units), so the run stops at four
DYING_EPOCHS = 4


def dead_fraction(model: scratch.Sequential, X: np.ndarray) -> float:
    """Fraction of ReLU / Leaky ReLU units whose local gradient is zero on every row of ``X``.

    Runs ``X`` through ``model`` and asks each activation's own ``backward`` for ``f'(z)``
    (the backward of an upstream gradient of ones). A unit with ``f'(z) = 0`` on every
    example passes no gradient to its weights: it is dead, and only a change in its inputs
    (the layer below) can bring it back; a first-layer unit stays dead for good.
    """
    h, dead = X, []
    for m in model:
        h = m(h)
        if isinstance(m, (scratch.ReLU, scratch.LeakyReLU)):
            dead.append(np.all(m.backward(np.ones_like(h)) == 0, axis=0))  # (units,)
    return float(np.concatenate(dead).mean())


def dead_fraction_torch(model: nn.Sequential, X: np.ndarray) -> float:
    """The torch twin of :func:`dead_fraction`: ``f'(z)`` from autograd, unit by unit."""
    h, dead = torch.as_tensor(X), []
    for m in model:
        if isinstance(m, (nn.ReLU, nn.LeakyReLU)):
            z = h.detach().requires_grad_(True)
            h = m(z)
            (slope,) = torch.autograd.grad(h.sum(), z)  # elementwise, so this is f'(z)
            dead.append((slope == 0).all(dim=0))
            h = h.detach()
        else:
            with torch.no_grad():
                h = m(h)
    return float(torch.cat(dead).double().mean())


def _dying_run(setting: str, act: str, seed: int, epochs: int) -> dict[str, Any]:
    """Train one network on both sides epoch by epoch; dead fraction and accuracy per epoch."""
    lr, shift = DYING_SETTINGS[setting]
    spec = RunSpec(
        task="multiclass",
        hidden=DYING_HIDDEN,
        activation=act,
        optimizer="adam",
        lr=lr,
        batch_size=32,
        epochs=epochs,
        seed=seed,
    )
    nets = build_networks(spec, "digits")
    last = f"{2 * len(DYING_HIDDEN)}.bias"  # the output layer's bias is not shifted
    state = {
        k: v + shift if k.endswith("bias") and k != last else v
        for k, v in nets.initial_state.items()
    }
    X, y = nets.data.X_train, targets(spec, nets.data, nets.data.y_train)
    batches = scratch.batch_order(len(X), spec.batch_size, epochs, np.random.default_rng(seed))
    sides: tuple[tuple[Implementation, Any, Callable[[Any, np.ndarray], float]], ...] = (
        (SCRATCH, nets.scratch_model, dead_fraction),
        (TORCH, nets.torch_model, dead_fraction_torch),
    )
    dead: dict[str, list[float]] = {}
    acc: dict[str, list[float]] = {}
    for impl, model, dead_of in sides:
        impl.load_state(model, state)
        loss, optimizer = impl.make_loss(spec.loss), impl.make_optimizer(model, spec)
        dead[impl.name], acc[impl.name] = [dead_of(model, X)], []
        for epoch in batches:
            history = impl.fit(model, loss, optimizer, X, y, batches=[epoch])
            dead[impl.name].append(dead_of(model, X))
            acc[impl.name].append(float(history.train_acc[-1] or 0.0))  # never None here
    return {"dead": dead, "acc": acc, "steps_per_epoch": len(batches[0])}


def _dying_relu(seed: int, quick: bool) -> Experiment:
    numbers: Numbers = {}
    curves: dict[Any, Any] = {}
    epochs = 2 if quick else DYING_EPOCHS
    for setting in DYING_SETTINGS:
        if quick and setting == "normal":
            continue  # the control: shown in the full report, not needed to decide the claim
        for act in ("relu",) if setting == "normal" else ("relu", "leaky_relu"):
            r = _dying_run(setting, act, seed, epochs)
            curves[setting, act] = r
            key = f"{setting}.{act}"
            both(numbers, f"{key}.dead_initial", [r["dead"][s][0] for s in SIDE_NAMES])
            both(numbers, f"{key}.dead_final", [r["dead"][s][-1] for s in SIDE_NAMES])
            both(numbers, f"{key}.dead_max", [max(r["dead"][s]) for s in SIDE_NAMES])
            both(numbers, f"{key}.train_acc", [r["acc"][s][-1] for s in SIDE_NAMES])
    return Experiment(numbers, curves)


def dying_relu(seed: int = 0, quick: bool = False) -> dict[str, float]:
    """Claim 4: the fraction of dead ReLU units over training; Leaky ReLU has none.

    A ``digits`` classifier with hidden layers (32, 32) trained with Adam under three
    settings: ``large_lr`` (lr 0.1), ``bias_shift`` (lr 0.01, every hidden bias shifted by
    -1.5 at initialisation) and the control ``normal`` (lr 0.01, ReLU only; full run only).
    A unit is dead when its activation's derivative is zero on every training example. Keys
    ``"{setting}.{activation}.{dead_initial|dead_final|dead_max|train_acc}.{side}"``,
    4 epochs (quick: 2).
    """
    with limit_threads(1):
        return _dying_relu(seed, quick).numbers


def _checks(n: Numbers) -> list[Check]:
    checks = []
    for setting in ("large_lr", "bias_shift"):
        relu = min(n[f"{setting}.relu.dead_final.{s}"] for s in SIDE_NAMES)
        leaky = max(n[f"{setting}.leaky_relu.dead_max.{s}"] for s in SIDE_NAMES)
        checks += [
            Check(
                f"{setting}: ReLU dead fraction after training > {DEAD_MARGIN}",
                f"{relu:.2f}",
                relu > DEAD_MARGIN,
            ),
            Check(
                f"{setting}: Leaky ReLU dead fraction == 0 throughout", f"{leaky:.2f}", leaky == 0.0
            ),
        ]
    return checks


def _table(n: Numbers) -> str:
    rows = []
    for setting in DYING_SETTINGS:
        for act in ("relu", "leaky_relu"):
            key = f"{setting}.{act}"
            rows += [
                (f"{setting}, {act}: dead fraction at init", f"{key}.dead_initial"),
                (f"{setting}, {act}: dead fraction after training", f"{key}.dead_final"),
                (f"{setting}, {act}: final train accuracy", f"{key}.train_acc"),
            ]
    return pair_rows(n, rows)


TITLES = {
    "large_lr": "Adam lr 0.1 (large)",
    "bias_shift": "hidden biases shifted by -1.5, lr 0.01",
    "normal": "control: Adam lr 0.01",
}


def _figure(exp: Experiment, path: Path) -> None:
    plt = style.use_agg()
    settings = [s for s in DYING_SETTINGS if (s, "relu") in exp.curves]
    fig, axes = plt.subplots(1, len(settings), figsize=(4.7 * len(settings), 4.5), sharey=True)
    for ax, setting in zip(axes, settings, strict=True):
        for act, marker in (("relu", "o"), ("leaky_relu", "^")):
            if (setting, act) not in exp.curves:
                continue
            r = exp.curves[setting, act]
            for side in SIDE_NAMES:
                dead = r["dead"][side]
                steps = r["steps_per_epoch"] * np.arange(len(dead))
                label = f"{act}, {style.SIDES[side]['label']}"
                ax.plot(steps, dead, marker=marker, ms=4, **dict(style.SIDES[side], label=label))
        ax.set_title(TITLES[setting], fontsize=10)
        ax.set_xlabel("optimizer steps")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("fraction of hidden units dead on every example")
    axes[0].legend(fontsize=8)
    fig.suptitle("Dying ReLU (digits, hidden 32 + 32): ReLU units die, Leaky ReLU's never do")
    save(fig, path, left=0.07, top=0.86, bottom=0.13, wspace=0.08)


CLAIM = Claim(
    key="dying_relu",
    title="ReLU units can die; Leaky ReLU keeps a gradient",
    claim="A ReLU unit whose input is negative on every example has derivative 0 everywhere: "
    "no gradient reaches its weights, so nothing can revive it (unless the layer below "
    "changes its input). Leaky ReLU's derivative is `alpha = 0.01` there, never 0.",
    method="A `digits` classifier with hidden layers (32, 32), trained with Adam by both "
    "implementations under a large learning rate (0.1, a hundred times Adam's default), "
    "under a negative bias shift (every hidden bias lowered by 1.5 at initialisation, "
    "lr 0.01) and, as a control, lr 0.01 without a shift. After each epoch, each side's "
    "own backward gives `f'(z)` for every unit on every training example "
    "(`parity.experiments.claims.dying.dead_fraction`, `dead_fraction_torch`); a unit is "
    "dead when it is 0 on all of them.",
    run=_dying_relu,
    checks=_checks,
    table=_table,
    draw=_figure,
    figure=("claim4_dying_relu", "fraction of dead units over training"),
)
