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
from parity.harness.sides import SCRATCH, TORCH, Implementation, StateDict
from parity.spec import RunSpec

# setting -> (Adam lr, shift added to every hidden bias at initialisation)
DYING_SETTINGS: dict[str, tuple[float, float]] = {
    "large_lr": (0.1, 0.0),  # 100x Adam's default lr
    "bias_shift": (0.01, -1.5),
    "pushed": (0.01, 0.0),  # PUSHED_UNITS first-layer units pushed below zero (push_below)
    "normal": (0.01, 0.0),  # the control: a sensible lr, no shift
}
PUSHED_UNITS = 16  # of the first hidden layer's 32: pushed below zero on every training row
PUSH_MARGIN = 0.5  # their largest pre-activation over the training rows becomes -0.5
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


def below_zero(model: scratch.Sequential, X: np.ndarray) -> list[np.ndarray]:
    """Per ReLU / Leaky ReLU unit: is its pre-activation ``z <= 0`` on every row of ``X``?

    One boolean array ``(units,)`` per rectified layer, first hidden layer first. For ReLU such a
    unit is dead (``f'(z) = 0`` there); a Leaky ReLU unit below zero still has
    ``f'(z) = alpha`` and so a gradient that can bring ``z`` back above 0.
    """
    h, below = X, []
    for m in model:
        if isinstance(m, (scratch.ReLU, scratch.LeakyReLU)):
            below.append(np.all(h <= 0, axis=0))  # (units,)
        h = m(h)
    return below


def below_zero_torch(model: nn.Sequential, X: np.ndarray) -> list[np.ndarray]:
    """The torch twin of :func:`below_zero`."""
    h, below = torch.as_tensor(X), []
    with torch.no_grad():
        for m in model:
            if isinstance(m, (nn.ReLU, nn.LeakyReLU)):
                below.append((h <= 0).all(dim=0))
            h = m(h)
    return [b.numpy() for b in below]


def recovered(below: list[np.ndarray]) -> tuple[int, int]:
    """``(pushed, recovered)`` from one layer's masks of :func:`below_zero` at successive
    checkpoints: the units below zero on every row at some checkpoint before the last, and
    how many of them are above zero on some row at the last."""
    pushed = np.any(below[:-1], axis=0)
    return int(pushed.sum()), int((pushed & ~below[-1]).sum())


def push_below(state: StateDict, X: np.ndarray, units: int, margin: float) -> StateDict:
    """``state`` with the first ``units`` units of the first layer (``"0.weight"``,
    ``"0.bias"``) pushed below zero: each bias lowered so that the unit's largest
    pre-activation over the rows of ``X`` is ``-margin``. Shared by both sides."""
    z = X @ state["0.weight"][:units].T + state["0.bias"][:units]  # (N, units)
    bias = state["0.bias"].copy()
    bias[:units] -= z.max(axis=0) + margin
    return {**state, "0.bias": bias}


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
    if setting == "pushed":
        state = push_below(state, X, PUSHED_UNITS, PUSH_MARGIN)
    batches = scratch.batch_order(len(X), spec.batch_size, epochs, np.random.default_rng(seed))
    sides: tuple[tuple[Implementation, Any, Callable[..., float], Callable[..., Any]], ...] = (
        (SCRATCH, nets.scratch_model, dead_fraction, below_zero),
        (TORCH, nets.torch_model, dead_fraction_torch, below_zero_torch),
    )
    dead: dict[str, list[float]] = {}
    below: dict[str, list[list[np.ndarray]]] = {}
    acc: dict[str, list[float]] = {}
    for impl, model, dead_of, below_of in sides:
        impl.load_state(model, state)
        loss, optimizer = impl.make_loss(spec.loss), impl.make_optimizer(model, spec)
        dead[impl.name], below[impl.name] = [dead_of(model, X)], [below_of(model, X)]
        acc[impl.name] = []
        for epoch in batches:
            history = impl.fit(model, loss, optimizer, X, y, batches=[epoch])
            dead[impl.name].append(dead_of(model, X))
            below[impl.name].append(below_of(model, X))
            acc[impl.name].append(float(history.train_acc[-1] or 0.0))  # never None here
    layers = range(len(DYING_HIDDEN))
    return {
        "dead": dead,
        # per side: the fraction of hidden units below zero on every row, per checkpoint
        "below": {
            side: [float(np.concatenate(m).mean()) for m in masks] for side, masks in below.items()
        },
        # per side, per layer: (pushed, recovered), checkpoints at init and every epoch's end
        "recovered": {
            side: [recovered([m[layer] for m in masks]) for layer in layers]
            for side, masks in below.items()
        },
        "acc": acc,
        "steps_per_epoch": len(batches[0]),
    }


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
            for layer in range(len(DYING_HIDDEN)):
                counts = [r["recovered"][s][layer] for s in SIDE_NAMES]
                both(numbers, f"{key}.layer{layer + 1}.pushed_below", [c[0] for c in counts])
                both(numbers, f"{key}.layer{layer + 1}.recovered", [c[1] for c in counts])
    return Experiment(numbers, curves)


def dying_relu(seed: int = 0, quick: bool = False) -> dict[str, float]:
    """Claim 4: dead ReLU units over training, and units pushed below zero that come back.

    A ``digits`` classifier with hidden layers (32, 32) trained with Adam under four
    settings: ``large_lr`` (lr 0.1), ``bias_shift`` (lr 0.01, every hidden bias shifted by
    -1.5 at initialisation), ``pushed`` (lr 0.01, 16 first-layer units pushed below zero by
    :func:`push_below`) and the control ``normal`` (lr 0.01, ReLU only; full run only).
    A unit is dead when its activation's derivative is zero on every training example. Keys
    ``"{setting}.{activation}.{dead_initial|dead_final|dead_max|train_acc}.{side}"`` and
    ``"{setting}.{activation}.layer{1|2}.{pushed_below|recovered}.{side}"`` (unit counts,
    see :func:`recovered`), 4 epochs (quick: 2).
    """
    with limit_threads(1):
        return _dying_relu(seed, quick).numbers


def _share(n: Numbers, key: str, side: str) -> tuple[float, float]:
    """``(recovered, pushed)`` over both hidden layers of one run."""
    layers = range(1, len(DYING_HIDDEN) + 1)
    return (
        sum(n[f"{key}.layer{layer}.recovered.{side}"] for layer in layers),
        sum(n[f"{key}.layer{layer}.pushed_below.{side}"] for layer in layers),
    )


def _checks(n: Numbers) -> list[Check]:
    checks = []
    for setting in ("large_lr", "bias_shift"):
        relu = min(n[f"{setting}.relu.dead_final.{s}"] for s in SIDE_NAMES)
        shares = {
            act: [_share(n, f"{setting}.{act}", s) for s in SIDE_NAMES]
            for act in ("relu", "leaky_relu")
        }
        frac = {act: [r / p if p else 0.0 for r, p in v] for act, v in shares.items()}
        (lr_r, lr_p), (re_r, re_p) = shares["leaky_relu"][0], shares["relu"][0]
        checks += [
            Check(
                f"{setting}: ReLU dead fraction after training > {DEAD_MARGIN}",
                f"{relu:.2f}",
                relu > DEAD_MARGIN,
            ),
            Check(
                f"{setting}: of the units pushed below zero on every row, a larger share "
                "comes back above zero under Leaky ReLU than under ReLU",
                f"Leaky ReLU {lr_r:.0f} of {lr_p:.0f}, ReLU {re_r:.0f} of {re_p:.0f}",
                min(frac["leaky_relu"]) > max(frac["relu"]),
            ),
        ]
    pushed = {
        act: [
            (n[f"pushed.{act}.layer1.recovered.{s}"], n[f"pushed.{act}.layer1.pushed_below.{s}"])
            for s in SIDE_NAMES
        ]
        for act in ("relu", "leaky_relu")
    }
    relu_r, relu_p = pushed["relu"][0]
    leaky_r, leaky_p = pushed["leaky_relu"][0]
    checks += [
        Check(
            f"pushed: none of the {PUSHED_UNITS} first-layer ReLU units pushed below zero "
            "comes back (no gradient reaches them, and their input is the data)",
            f"{relu_r:.0f} of {relu_p:.0f}",
            all(p == PUSHED_UNITS and r == 0 for r, p in pushed["relu"]),
        ),
        Check(
            f"pushed: more than half of the {PUSHED_UNITS} Leaky ReLU units pushed below zero "
            "come back above zero on some row",
            f"{leaky_r:.0f} of {leaky_p:.0f}",
            all(p == PUSHED_UNITS and r > p / 2 for r, p in pushed["leaky_relu"]),
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
            for layer in range(1, len(DYING_HIDDEN) + 1):
                rows += [
                    (
                        f"{setting}, {act}: layer {layer} units pushed below zero",
                        f"{key}.layer{layer}.pushed_below",
                    ),
                    (
                        f"{setting}, {act}: layer {layer} of them back above zero",
                        f"{key}.layer{layer}.recovered",
                    ),
                ]
    return pair_rows(n, rows)


TITLES = {
    "large_lr": "Adam lr 0.1 (large)",
    "bias_shift": "hidden biases shifted by -1.5, lr 0.01",
    "normal": "control: Adam lr 0.01",
    "pushed": f"{PUSHED_UNITS} first-layer units pushed below 0, lr 0.01",
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
                dead = r["below"][side]
                steps = r["steps_per_epoch"] * np.arange(len(dead))
                label = f"{act}, {style.SIDES[side]['label']}"
                ax.plot(steps, dead, marker=marker, ms=4, **dict(style.SIDES[side], label=label))
        ax.set_title(TITLES[setting], fontsize=10)
        ax.set_xlabel("optimizer steps")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("fraction of hidden units with z <= 0 on every example")
    axes[0].legend(fontsize=8)
    fig.suptitle(
        "Dying ReLU (digits, hidden 32 + 32): units pushed below zero stay there under ReLU "
        "(dead), and come back under Leaky ReLU"
    )
    save(fig, path, left=0.07, top=0.86, bottom=0.13, wspace=0.08)


CLAIM = Claim(
    key="dying_relu",
    title="ReLU units can die; Leaky ReLU keeps a gradient",
    claim="A ReLU unit whose input is negative on every example has derivative 0 everywhere: "
    "no gradient reaches its weights, so nothing can revive it (unless the layer below "
    "changes its input). Leaky ReLU's derivative is `alpha = 0.01` there, never 0: a unit "
    "pushed below zero still gets a gradient, and can come back.",
    method="A `digits` classifier with hidden layers (32, 32), trained with Adam by both "
    "implementations under a large learning rate (0.1, a hundred times Adam's default), "
    "under a negative bias shift (every hidden bias lowered by 1.5 at initialisation, "
    "lr 0.01), with half the first layer pushed below zero (the biases of its units 0-15 "
    f"lowered until each unit's largest pre-activation over the training rows is "
    f"-{PUSH_MARGIN}, lr 0.01; `push_below`) and, as a control, lr 0.01 without a shift. "
    "After each epoch, each side's own backward gives `f'(z)` for every unit on every "
    "training example (`parity.experiments.claims.dying.dead_fraction`, "
    "`dead_fraction_torch`); a unit is dead when it is 0 on all of them. Each side's own "
    "forward also gives every unit's pre-activation `z` (`below_zero`, `below_zero_torch`): "
    "a unit is *pushed below zero* when `z <= 0` on every training row at initialisation or "
    "at an epoch's end before the last, and *back* when after training `z > 0` on some "
    "row. These are counted per layer, for ReLU and Leaky ReLU alike (for ReLU, below "
    "zero is dead). First-layer units read the data, which training does not change; "
    "second-layer units read the first layer, which it does.",
    run=_dying_relu,
    checks=_checks,
    table=_table,
    draw=_figure,
    figure=("claim4_dying_relu", "fraction of units below zero on every example, over training"),
)
