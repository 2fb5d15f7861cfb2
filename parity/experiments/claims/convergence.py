"""Claim 3, ``tanh_vs_sigmoid``: tanh converges faster than sigmoid.

Tanh is zero-centred with derivative 1 at 0; sigmoid's outputs are all positive and its
derivative is at most 1/4. Measured as optimizer steps to a target loss, from one state dict.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from parity._util import style
from parity._util.threads import limit_threads
from parity.data import DATASETS
from parity.experiments.claims.common import (
    SIDE_NAMES,
    Check,
    Claim,
    Experiment,
    Numbers,
    pair_rows,
    save,
)
from parity.harness.runner import build_networks, run
from parity.spec import RunSpec

ACTIVATIONS = ("sigmoid", "tanh")


class SpeedSetup(NamedTuple):
    """One dataset's race: the network, the SGD learning rate, the budget and the target."""

    hidden: tuple[int, ...]
    lr: float  # SGD
    epochs: int
    quick_epochs: int | None  # None: full run only
    target: float  # train loss to reach


SPEED_SETUPS = {
    "breast_cancer": SpeedSetup((16, 16), 0.3, 20, 12, 0.2),
    "digits": SpeedSetup((32,), 0.1, 12, None, 0.5),
}
SPEED_FACTOR = 2.0  # sigmoid needs more than this many times tanh's steps


def steps_to_target(epoch_losses: Sequence[float], steps_per_epoch: int, target: float) -> int:
    """Steps until the full-train-set loss, measured after each epoch, first is <= ``target``.

    Returns ``-1`` when the target is never reached.
    """
    for epoch, loss in enumerate(epoch_losses, start=1):
        if loss <= target:
            return epoch * steps_per_epoch
    return -1


def _race(ds: str, setup: SpeedSetup, n_epochs: int, seed: int, numbers: Numbers) -> dict[str, Any]:
    """Train a sigmoid and a tanh network on ``ds`` on both sides; store the numbers, return
    the curves (``{"target": loss, act: {side: (steps, losses)}}``)."""
    specs = {
        act: RunSpec(
            task=DATASETS[ds].task,
            hidden=setup.hidden,
            activation=act,
            optimizer="sgd",
            lr=setup.lr,
            batch_size=32,
            epochs=n_epochs,
            seed=seed,
            init="default",
        )
        for act in ACTIVATIONS
    }
    # torch's default init does not depend on the activation: both start from one state
    first, second = (build_networks(s, ds).initial_state for s in specs.values())
    numbers[f"{ds}.same_initial_weights"] = float(
        all(np.array_equal(first[k], second[k]) for k in first)
    )
    numbers[f"{ds}.target_loss"] = setup.target
    curves: dict[str, Any] = {"target": setup.target}
    for act, spec in specs.items():
        r = run(spec, ds)
        per_epoch = len(r.candidate.losses) // n_epochs
        curves[act] = {}
        for side, res in r.sides.items():
            losses = res.history.train_loss
            numbers[f"{ds}.{act}.steps_to_target.{side}"] = float(
                steps_to_target(losses, per_epoch, setup.target)
            )
            numbers[f"{ds}.{act}.final_loss.{side}"] = float(losses[-1])
            curves[act][side] = (per_epoch * np.arange(1, n_epochs + 1), losses)
        numbers[f"{ds}.{act}.runs_in_parity"] = float(r.ok)
    return curves


def _tanh_vs_sigmoid(seed: int, quick: bool) -> Experiment:
    numbers: Numbers = {}
    curves: dict[Any, Any] = {}
    for ds, setup in SPEED_SETUPS.items():
        n_epochs = setup.quick_epochs if quick else setup.epochs
        if n_epochs is not None:
            curves[ds] = _race(ds, setup, n_epochs, seed, numbers)
    return Experiment(numbers, curves)


def tanh_vs_sigmoid(seed: int = 0, quick: bool = False) -> dict[str, float]:
    """Claim 3: from the same weights and batches, tanh reaches a target loss in fewer steps.

    For each dataset (``breast_cancer``, two hidden layers of 16, SGD lr 0.3, target BCE
    0.2; full run also ``digits``, one hidden layer of 32, lr 0.1, target cross-entropy
    0.5), one sigmoid and one tanh network from the *same* initial state dict (torch's
    default init does not depend on the activation) are trained by both implementations;
    the full train-set loss after each epoch gives the steps each needs to reach the target.
    Keys ``"{dataset}.{activation}.steps_to_target.{side}"`` (-1: never reached),
    ``"{dataset}.{activation}.final_loss.{side}"``, ``"{dataset}.same_initial_weights"``.
    """
    with limit_threads(1):
        return _tanh_vs_sigmoid(seed, quick).numbers


def _checks(n: Numbers) -> list[Check]:
    checks = []
    for ds in SPEED_SETUPS:
        if f"{ds}.same_initial_weights" not in n:
            continue
        sig = [n[f"{ds}.sigmoid.steps_to_target.{s}"] for s in SIDE_NAMES]
        tanh = [n[f"{ds}.tanh.steps_to_target.{s}"] for s in SIDE_NAMES]
        same = bool(n[f"{ds}.same_initial_weights"])
        checks += [
            Check(
                f"{ds}: sigmoid needs > {SPEED_FACTOR:.0f}x tanh's steps to loss "
                f"{n[f'{ds}.target_loss']}",
                f"{sig[0]:.0f} vs {tanh[0]:.0f} steps",
                min(tanh) > 0 and min(sig) > SPEED_FACTOR * max(tanh),
            ),
            Check(f"{ds}: both start from the same weights", "yes" if same else "no", same),
        ]
    return checks


def _table(n: Numbers) -> str:
    rows = []
    for ds in SPEED_SETUPS:
        if f"{ds}.target_loss" not in n:
            continue
        rows.append((f"{ds}: target train loss (setting)", f"{ds}.target_loss"))
        for act in ACTIVATIONS:
            rows.append((f"{ds}: {act} steps to target", f"{ds}.{act}.steps_to_target"))
            rows.append((f"{ds}: {act} final train loss", f"{ds}.{act}.final_loss"))
    return pair_rows(n, rows)


def _figure(exp: Experiment, path: Path) -> None:
    plt = style.use_agg()
    datasets = list(exp.curves)
    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4.5), squeeze=False)
    for ax, ds in zip(axes[0], datasets, strict=True):
        target = exp.curves[ds]["target"]
        for act, marker in zip(ACTIVATIONS, ("o", "^"), strict=True):
            for side in SIDE_NAMES:
                steps, losses = exp.curves[ds][act][side]
                look = dict(style.SIDES[side], label=f"{act}, {style.SIDES[side]['label']}")
                ax.plot(steps, losses, marker=marker, ms=4, **look)
            reached = exp.numbers[f"{ds}.{act}.steps_to_target.scratch"]
            if reached > 0:
                ax.axvline(reached, color="grey", linestyle=":", linewidth=1)
                ax.annotate(
                    f"{act}: {reached:.0f} steps",
                    (reached, target),
                    fontsize=8,
                    xytext=(4, 8),
                    textcoords="offset points",
                )
        ax.axhline(target, color="grey", linewidth=1)
        ax.set_yscale("log")
        ax.set_xlabel("optimizer steps")
        ax.set_ylabel("train loss (whole train set, after each epoch)")
        ax.set_title(f"{ds}: same data, widths and initial weights", fontsize=10)
        ax.legend(fontsize=8)
    fig.suptitle("Tanh converges faster than sigmoid")
    save(fig, path, top=0.87, bottom=0.12)


CLAIM = Claim(
    key="tanh_vs_sigmoid",
    title="Tanh converges faster than sigmoid",
    claim="Tanh is zero-centred with derivative 1 at 0; sigmoid's outputs are all positive "
    "and its derivative is at most 1/4, so with the same data, widths, initial weights "
    "and learning rate a tanh network trains faster. (Which of the two differences makes "
    "it faster is the next section's question.)",
    method="A sigmoid and a tanh network with identical initial state dicts (torch's default "
    "init does not depend on the activation; the experiment checks the arrays are equal) "
    "and the same batch order, trained with SGD by both implementations. The full "
    "train-set loss after each epoch gives the optimizer steps each needs to reach a "
    "target loss.",
    run=_tanh_vs_sigmoid,
    checks=_checks,
    table=_table,
    draw=_figure,
    figure=("claim3_tanh_vs_sigmoid", "loss curves of sigmoid and tanh networks"),
)
