"""Claim 2, ``vanishing_gradients``: sigmoid and tanh gradients vanish with depth.

Backpropagation multiplies one factor ``W^T f'(z)`` per layer; sigmoid's derivative is at
most 1/4. Measured as per-layer weight-gradient norms at initialisation, for depths 2 to 10.
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
from parity.data import Dataset, load_dataset
from parity.experiments.claims.common import (
    SIDE_NAMES,
    Check,
    Claim,
    Experiment,
    Numbers,
    both,
    save,
)
from parity.harness.runner import build_networks, targets
from parity.harness.sides import TORCH
from parity.spec import RunSpec

VANISH_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
VANISH_INITS = ("xavier_uniform", "default")
VANISH_WIDTH = 32
VANISH_ROWS = 256
VANISH_SMALL = 1e-2  # sigmoid's first/last ratio at depth 10 stays below this
VANISH_HEALTHY = 1e-1  # ReLU's stays above this
TANH_FALL = 10.0  # under plain init, tanh's ratio falls by more than this from depth 2 to 10
INIT_LABEL = {"xavier_uniform": "Xavier, torch's gain", "default": "torch default init"}
ACT_MARKERS = {"sigmoid": "o", "tanh": "s", "relu": "^", "leaky_relu": "v"}


def _depths(quick: bool) -> tuple[int, ...]:
    return (2, 6, 10) if quick else tuple(range(2, 11))


def gradient_norms(
    spec: RunSpec, data: Dataset | str, rows: int = VANISH_ROWS
) -> tuple[list[float], list[float]]:
    """Per-``Linear`` weight-gradient norms ``||dL/dW_l||`` at initialisation, both sides.

    One forward and backward pass of the loss on the first ``rows`` training rows of the
    spec's data (``data``: a Dataset or a built-in dataset's name), from the spec's shared
    initial weights. Returns ``(scratch, torch)``, each a list from the first hidden layer to
    the output layer.
    """
    nets = build_networks(spec, data)
    data = nets.data
    X, y = data.X_train[:rows], targets(spec, data, data.y_train[:rows])
    s_model, s_loss = nets.scratch_model, scratch.make_loss(spec.loss)
    s_model.zero_grad()
    s_loss(s_model(X), y)
    s_model.backward(s_loss.backward())
    s_norms = [
        float(np.linalg.norm(m.weight.grad)) for m in s_model if isinstance(m, scratch.Linear)
    ]
    t_model = nets.torch_model
    t_model.zero_grad()
    TORCH.make_loss(spec.loss)(t_model(torch.as_tensor(X)), torch.as_tensor(y)).backward()
    t_norms = [float(torch.linalg.norm(m.weight.grad)) for m in t_model if isinstance(m, nn.Linear)]
    return s_norms, t_norms


def _vanishing_gradients(seed: int, quick: bool) -> Experiment:
    numbers: Numbers = {}
    curves: dict[Any, Any] = {}
    data = load_dataset("digits", seed=seed)
    for init in VANISH_INITS:
        for act in VANISH_ACTIVATIONS:
            for depth in _depths(quick):
                spec = RunSpec(
                    task="multiclass",
                    hidden=(VANISH_WIDTH,) * depth,
                    activation=act,
                    init=init,
                    seed=seed,
                )
                norms = gradient_norms(spec, data)
                both(numbers, f"{init}.{act}.depth{depth}.ratio", [v[0] / v[-1] for v in norms])
                curves[init, act, depth] = norms
    return Experiment(numbers, curves)


def vanishing_gradients(seed: int = 0, quick: bool = False) -> dict[str, float]:
    """Claim 2: per-layer gradient norms at initialisation, for depths 2 to 10.

    A ``digits`` classifier with ``depth`` hidden layers of 32 units, for each activation
    (sigmoid, tanh, relu, leaky_relu) and two initialisations: ``xavier_uniform`` with torch's
    recommended gain per activation (``calculate_gain``: sigmoid 1, tanh 5/3, ReLU sqrt 2)
    and torch's ``default`` ``nn.Linear`` init, ``U(+-1/sqrt(fan_in))``. The number is
    ``||dL/dW_first|| / ||dL/dW_last||`` (first hidden layer over output layer), one
    backward pass on 256 training rows. Keys ``"{init}.{activation}.depth{d}.ratio.{side}"``;
    depths 2..10 (quick: 2, 6, 10).
    """
    with limit_threads(1):
        return _vanishing_gradients(seed, quick).numbers


def _checks(n: Numbers) -> list[Check]:
    def ratio(init: str, act: str, depth: int, pick: Callable[..., float]) -> float:
        return pick(n[f"{init}.{act}.depth{depth}.ratio.{s}"] for s in SIDE_NAMES)

    checks = []
    for init, label in (("xavier_uniform", "Xavier"), ("default", "default")):
        sig = ratio(init, "sigmoid", 10, max)
        checks.append(
            Check(
                f"sigmoid, {label} init, depth 10: first/last < {VANISH_SMALL:.0e}",
                f"{sig:.1e}",
                sig < VANISH_SMALL,
            )
        )
    for act in ("relu", "leaky_relu"):
        r = ratio("xavier_uniform", act, 10, min)
        checks.append(
            Check(
                f"{act}, Xavier (He gain) init, depth 10: first/last > {VANISH_HEALTHY:.0e}",
                f"{r:.2f}",
                r > VANISH_HEALTHY,
            )
        )
    fall = ratio("default", "tanh", 2, min) / ratio("default", "tanh", 10, max)
    checks.append(
        Check(
            f"tanh, default init: ratio falls > {TANH_FALL:.0f}x from depth 2 to 10",
            f"{fall:.0f}x",
            fall > TANH_FALL,
        )
    )
    return checks


def _table(n: Numbers) -> str:
    depths = sorted({int(k.split(".depth")[1].split(".")[0]) for k in n})
    shown = (depths[0], depths[len(depths) // 2], depths[-1])
    head = " | ".join(f"depth {d} scratch | depth {d} torch" for d in shown)
    lines = [f"| activation | init | {head} |", "|---|---|" + "---:|" * (2 * len(shown))]
    for init in VANISH_INITS:
        for act in VANISH_ACTIVATIONS:
            cells = " | ".join(
                f"{n[f'{init}.{act}.depth{d}.ratio.scratch']:.2e} | "
                f"{n[f'{init}.{act}.depth{d}.ratio.torch']:.2e}"
                for d in shown
            )
            lines.append(f"| {act} | {INIT_LABEL[init]} | {cells} |")
    return "\n".join(lines)


def _label_curves(axes: Any, col: int, act: str, last: tuple[float, float], depth: int) -> None:
    """Name an activation's curves at their ends: (first layer's norm, ratio at ``depth``)."""
    label = "relu, leaky_relu" if act == "relu" else act
    for ax, x, y, dx in ((axes[0, col], 1, last[0], -5), (axes[1, col], depth, last[1], 5)):
        ax.annotate(
            label,
            (x, y),
            xytext=(dx, 0),
            fontsize=8,
            textcoords="offset points",
            va="center",
            ha="right" if dx < 0 else "left",
        )


def _figure(exp: Experiment, path: Path) -> None:
    plt = style.use_agg()
    depths = sorted({depth for _, _, depth in exp.curves})  # _depths(quick) of the experiment
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5), sharey="row")
    for col, init in enumerate(VANISH_INITS):
        for act in VANISH_ACTIVATIONS:
            for i, side in enumerate(SIDE_NAMES):
                look = dict(style.SIDES[side], marker=ACT_MARKERS[act], ms=4, label=None)
                norms = exp.curves[init, act, depths[-1]][i]
                axes[0, col].semilogy(range(1, len(norms) + 1), norms, **look)
                ratios = [exp.numbers[f"{init}.{act}.depth{d}.ratio.{side}"] for d in depths]
                axes[1, col].semilogy(depths, ratios, **look)
            if act != "leaky_relu":  # its curves lie on ReLU's (the 0.01 slope barely matters)
                _label_curves(axes, col, act, (norms[0], ratios[-1]), depths[-1])
        axes[0, col].set_title(f"{INIT_LABEL[init]}: per layer, {depths[-1]} hidden layers")
        axes[0, col].set_xlabel("Linear layer (1 = first hidden, last = output)")
        axes[1, col].set_title(f"{INIT_LABEL[init]}: first / output layer, by depth")
        axes[1, col].set_xlabel("hidden layers")
        axes[0, col].set_xlim(-3, depths[-1] + 1.5)
        axes[0, col].set_xticks(range(1, depths[-1] + 2, 2))
        axes[1, col].set_xlim(depths[0] - 0.5, depths[-1] + 3)  # room for the labels
        axes[1, col].set_xticks(depths)
        for ax in axes[:, col]:
            ax.grid(True, alpha=0.3)
    axes[0, 0].set_ylabel("||dL/dW|| at initialisation")
    axes[1, 0].set_ylabel("||dL/dW_first|| / ||dL/dW_output||")
    handles = [plt.Line2D([], [], **style.SCRATCH), plt.Line2D([], [], **style.TORCH)]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=9)
    fig.suptitle("Gradient norms at initialisation (digits, width 32): sigmoid's vanish")
    save(fig, path, bottom=0.12, hspace=0.3)


CLAIM = Claim(
    key="vanishing_gradients",
    title="Sigmoid and tanh gradients vanish with depth",
    claim="Backpropagation multiplies one factor `W^T f'(z)` per layer; sigmoid's derivative is "
    "at most 1/4, so the gradient reaching the first layers of a deep sigmoid network "
    "shrinks geometrically. Tanh (derivative up to 1) vanishes under a plain "
    "initialisation but not under one scaled for it; ReLU passes the gradient unchanged "
    "where it is active.",
    method="Per-layer weight-gradient norms `||dL/dW||` at initialisation, one backward pass on "
    "256 `digits` rows, for networks of 2 to 10 hidden layers of 32 units, each "
    "activation, under two initialisations: Xavier uniform with torch's recommended gain "
    "(`calculate_gain`: sigmoid 1, tanh 5/3, ReLU sqrt 2, which for ReLU is He's scale) "
    "and torch's default `nn.Linear` init `U(+-1/sqrt(fan_in))` (a Glorot-and-Bengio style "
    "plot). The number is the first hidden layer's norm over the output layer's.",
    run=_vanishing_gradients,
    checks=_checks,
    table=_table,
    draw=_figure,
    figure=("claim2_vanishing_gradients", "gradient norms per layer and by depth"),
)
