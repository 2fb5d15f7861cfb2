"""The seed's remark ``tanh_sigmoid``: tanh is a scaled and shifted sigmoid.

``tanh(x) = 2 sigmoid(2x) - 1``, so a tanh network equals a sigmoid network whose weights are
rescaled: each hidden pre-activation doubled (``W' = 2W``, ``b' = 2b``) and each next layer
reading ``2 s - 1`` instead of ``s``. Measured as the identity on both sides' activations, the
two networks' outputs from one state dict, and what gradient descent does to them.
"""

from __future__ import annotations

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
    by_step,
    pair_rows,
    save,
    steps_to,
    train_loss,
    train_loss_torch,
)
from parity.harness.runner import build_networks, shared_batches, targets
from parity.harness.sides import SCRATCH, TORCH, StateDict
from parity.spec import RunSpec

EPS = float(np.finfo(np.float64).eps)  # 2.2e-16: one unit in the last place of 1.0
IDENTITY_TOL = 2 * EPS  # |tanh(x) - (2 sigmoid(2x) - 1)| stays within two ulps of 1
# the x where the identity is compared: a dense grid, the extremes and the tiny
IDENTITY_X = np.concatenate(
    [np.linspace(-40.0, 40.0, 8001), [-1e300, -1e3, -1e-300, 0.0, 1e-300, 1e3, 1e300]]
)
TWIN_HIDDEN = (16, 16)
TWIN_LR = 0.3  # SGD, the same for both networks (claim 3's setting)
TWIN_TARGET = 0.2  # train loss (BCE) whose reaching is timed
TWIN_TOL = 1e-12  # the rescaled sigmoid network's outputs equal the tanh network's to this


def tanh_via_sigmoid(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(tanh(x), 2 sigmoid(2x) - 1)`` by scratch's own ``Tanh`` and ``Sigmoid`` modules."""
    return scratch.Tanh()(x.copy()), 2 * scratch.Sigmoid()(2 * x) - 1


def tanh_via_sigmoid_torch(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The torch twin of :func:`tanh_via_sigmoid`: ``nn.Tanh`` and ``nn.Sigmoid``."""
    t = torch.as_tensor(x)
    with torch.no_grad():
        return nn.Tanh()(t).numpy(), (2 * nn.Sigmoid()(2 * t) - 1).numpy()


def sigmoid_twin_state(state: StateDict) -> StateDict:
    """The state dict under which a sigmoid network computes what a tanh network computes
    under ``state`` (``Linear`` layers at keys ``0, 2, 4, ...``, an activation between).

    With ``tanh(z) = 2 s - 1``, ``s = sigmoid(2z)``: every hidden layer's pre-activation is
    doubled, and every layer after the first reads ``s`` where the tanh network read
    ``2 s - 1``, so ``W h + b = 2W s + (b - W 1)``. Hence the first layer ``W' = 2W``,
    ``b' = 2b``; a later hidden layer ``W' = 4W``, ``b' = 2(b - W 1)``; the output layer
    ``W' = 2W``, ``b' = b - W 1``. Shared by both sides: it is arithmetic on arrays.
    """
    layers = sorted({int(k.split(".")[0]) for k in state})
    twin: StateDict = {}
    for i, layer in enumerate(layers):
        W, b = state[f"{layer}.weight"], state[f"{layer}.bias"]
        reads_sigmoid = i > 0  # its input is a sigmoid layer's s, not tanh's 2s - 1
        W_in, b_in = (2 * W, b - W.sum(axis=1)) if reads_sigmoid else (W, b)
        scale = 1.0 if i == len(layers) - 1 else 2.0  # hidden layers: double the pre-activation
        twin[f"{layer}.weight"], twin[f"{layer}.bias"] = scale * W_in, scale * b_in
    return twin


def _spec(activation: str, seed: int, epochs: int) -> RunSpec:
    return RunSpec(
        task="binary", hidden=TWIN_HIDDEN, activation=activation, optimizer="sgd", lr=TWIN_LR,
        batch_size=32, epochs=epochs, seed=seed, init="default",
    )  # fmt: skip


def _identity(numbers: Numbers) -> dict[str, Any]:
    x = IDENTITY_X
    pairs = {SCRATCH.name: tanh_via_sigmoid(x), TORCH.name: tanh_via_sigmoid_torch(x)}
    diffs = {side: np.abs(t - s) for side, (t, s) in pairs.items()}
    both(numbers, "identity.max_abs_diff", [diffs[s].max() for s in SIDE_NAMES])
    ends = np.abs(x) >= 1e3  # tanh there is +-1 exactly, and so must the sigmoid form be
    exact = [float(np.array_equal(pairs[s][1][ends], np.sign(x[ends]))) for s in SIDE_NAMES]
    both(numbers, "identity.extremes_exact", exact)
    numbers["identity.points"] = float(x.size)
    return {"x": x, "pairs": pairs, "diffs": diffs}


def _twins(seed: int, epochs: int, numbers: Numbers) -> dict[str, Any]:
    """A tanh network and its rescaled sigmoid twin, compared and trained on both sides."""
    nets = {
        act: build_networks(_spec(act, seed, epochs), "breast_cancer")
        for act in ("tanh", "sigmoid")
    }
    tanh_state = nets["tanh"].initial_state
    states = {"tanh": tanh_state, "sigmoid": sigmoid_twin_state(tanh_state)}
    data = nets["tanh"].data
    spec = nets["tanh"].spec
    X, y = data.X_train, targets(spec, data, data.y_train)
    X_all = np.concatenate([data.X_train, data.X_test])
    batches = shared_batches(spec, len(X))
    losses: dict[str, dict[str, np.ndarray]] = {"tanh": {}, "sigmoid": {}}
    outputs: dict[str, dict[str, np.ndarray]] = {"tanh": {}, "sigmoid": {}}
    first_grad: dict[str, dict[str, float]] = {"tanh": {}, "sigmoid": {}}
    for act in ("tanh", "sigmoid"):
        sides = (
            (SCRATCH, nets[act].scratch_model, train_loss(spec.loss, X, y)),
            (TORCH, nets[act].torch_model, train_loss_torch(spec.loss, X, y)),
        )
        for impl, model, loss_of in sides:
            impl.load_state(model, states[act])
            outputs[act][impl.name + ".start"] = impl.outputs(model, X_all)

            def measure(m: Any, impl: Any = impl, loss_of: Any = loss_of) -> tuple[Any, ...]:
                grad = float(np.linalg.norm(impl.grads(m)["0.weight"]))
                return loss_of(m), impl.outputs(m, X), grad

            rows = by_step(impl, model, nets[act].spec, X, y, batches, measure)
            losses[act][impl.name] = np.array([loss for loss, _, _ in rows])
            outputs[act][impl.name] = np.stack([out[:, 0] for _, out, _ in rows])  # (steps+1, N)
            first_grad[act][impl.name] = rows[0][2]  # ||dL/dW_1|| at the shared start
    gap = {s: np.abs(outputs["tanh"][s] - outputs["sigmoid"][s]).max(axis=1) for s in SIDE_NAMES}
    start = [
        np.abs(outputs["tanh"][f"{s}.start"] - outputs["sigmoid"][f"{s}.start"]).max()
        for s in SIDE_NAMES
    ]
    both(numbers, "twin.start_max_abs_diff", start)
    ratio = [first_grad["sigmoid"][s] / first_grad["tanh"][s] for s in SIDE_NAMES]
    both(numbers, "twin.first_layer_grad_ratio", ratio)
    both(numbers, "twin.after_1_step_max_abs_diff", [gap[s][1] for s in SIDE_NAMES])
    both(numbers, "twin.final_max_abs_diff", [gap[s][-1] for s in SIDE_NAMES])
    for act in ("tanh", "sigmoid"):
        both(
            numbers,
            f"twin.{act}.steps_to_target",
            [steps_to(losses[act][s], TWIN_TARGET) for s in SIDE_NAMES],
        )
        both(numbers, f"twin.{act}.final_loss", [losses[act][s][-1] for s in SIDE_NAMES])
    numbers["twin.target_loss"] = TWIN_TARGET
    numbers["twin.steps"] = float(len(gap[SIDE_NAMES[0]]) - 1)
    return {"losses": losses, "gap": gap}


def _tanh_sigmoid(seed: int, quick: bool) -> Experiment:
    numbers: Numbers = {}
    curves = {"identity": _identity(numbers), "twin": _twins(seed, 6 if quick else 20, numbers)}
    return Experiment(numbers, curves)


def tanh_is_scaled_sigmoid(seed: int = 0, quick: bool = False) -> dict[str, float]:
    """The seed's remark: ``tanh(x) = 2 sigmoid(2x) - 1``, for activations and networks.

    ``identity.*``: the largest ``|tanh(x) - (2 sigmoid(2x) - 1)|`` over 8001 points in
    [-40, 40] plus +-1e300, +-1e3, +-1e-300 and 0, each side by its own activations, and
    whether the form gives exactly +-1 at |x| >= 1e3. ``twin.*``: a ``breast_cancer`` tanh
    network (hidden 16, 16, torch's default init) and the sigmoid network with
    :func:`sigmoid_twin_state`'s weights: their max output difference at the start, the
    ratio of their first-layer weight gradients there, then both trained with SGD lr 0.3,
    batch 32, the same batches, 20 epochs (quick: 6): the max output difference after one
    step and at the end, steps to train loss 0.2 and final loss of each.
    """
    with limit_threads(1):
        return _tanh_sigmoid(seed, quick).numbers


def _checks(n: Numbers) -> list[Check]:
    identity = max(n[f"identity.max_abs_diff.{s}"] for s in SIDE_NAMES)
    extremes = min(n[f"identity.extremes_exact.{s}"] for s in SIDE_NAMES)
    start = max(n[f"twin.start_max_abs_diff.{s}"] for s in SIDE_NAMES)
    ratio = [n[f"twin.first_layer_grad_ratio.{s}"] for s in SIDE_NAMES]
    apart = min(n[f"twin.after_1_step_max_abs_diff.{s}"] for s in SIDE_NAMES)
    return [
        Check(
            f"|tanh(x) - (2 sigmoid(2x) - 1)| <= {IDENTITY_TOL:.1e} (two float64 ulps of 1) on "
            f"{n['identity.points']:.0f} points in [-40, 40] and at +-1e-300, +-1e3, +-1e300",
            f"{identity:.1e} ({identity / EPS:.1f} ulps)",
            identity <= IDENTITY_TOL,
        ),
        Check(
            "2 sigmoid(2x) - 1 is exactly +-1 at |x| >= 1e3",
            "yes" if extremes else "no",
            bool(extremes),
        ),
        Check(
            f"the rescaled sigmoid network computes the tanh network's function (< {TWIN_TOL:.0e})",
            f"{start:.1e}",
            start < TWIN_TOL,
        ),
        Check(
            "its first-layer weight gradient is half the tanh network's (W' = 2W)",
            " / ".join(f"{r:.15f}" for r in ratio),
            all(abs(r - 0.5) < 1e-12 for r in ratio),
        ),
        Check(
            "after one SGD step at the same learning rate the two functions differ "
            f"(> {1e3 * TWIN_TOL:.0e})",
            f"{apart:.2f}",
            apart > 1e3 * TWIN_TOL,
        ),
    ]


def _finding(n: Numbers) -> str:
    """What training showed, in words picked by the numbers (scratch's; torch's agree)."""
    tanh, sig = (n[f"twin.{a}.steps_to_target.scratch"] for a in ("tanh", "sigmoid"))
    if min(tanh, sig) < 0:
        speed = "at least one of them did not reach the target loss"
    elif sig > tanh:
        speed = f"the sigmoid twin needed {sig:.0f} steps to tanh's {tanh:.0f} ({sig / tanh:.1f}x)"
    else:
        speed = f"the sigmoid twin needed {sig:.0f} steps, tanh {tanh:.0f}"
    return (
        "**What training shows.** Starting from the same function, one step of SGD at the "
        "same learning rate moves them apart by up to "
        f"{n['twin.after_1_step_max_abs_diff.scratch']:.2f} "
        f"in the output logit, and after {n['twin.steps']:.0f} steps by "
        f"{n['twin.final_max_abs_diff.scratch']:.2f}: {speed} to reach train loss "
        f"{n['twin.target_loss']}. The same function has different parameters, and the gradient "
        "with respect to them is scaled: `W' = 2W` gives `dL/dW' = dL/dW / 2` (measured above), "
        "so the twin's first layer moves, in tanh's coordinates, by a quarter of tanh's step."
    )


def _table(n: Numbers) -> str:
    rows = [
        ("max abs(tanh(x) - (2 sigmoid(2x) - 1))", "identity.max_abs_diff"),
        ("points compared (x in [-40, 40] and extremes)", "identity.points"),
        ("exactly +-1 at abs(x) >= 1e3 (1 = yes)", "identity.extremes_exact"),
        ("max abs(tanh net - rescaled sigmoid net) at the start", "twin.start_max_abs_diff"),
        ("first-layer weight gradient, sigmoid twin / tanh", "twin.first_layer_grad_ratio"),
        ("max abs difference after 1 SGD step", "twin.after_1_step_max_abs_diff"),
        ("max abs difference after training", "twin.final_max_abs_diff"),
        ("SGD steps (setting)", "twin.steps"),
        ("target train loss (setting)", "twin.target_loss"),
        ("tanh net: steps to target", "twin.tanh.steps_to_target"),
        ("sigmoid twin: steps to target", "twin.sigmoid.steps_to_target"),
        ("tanh net: final train loss", "twin.tanh.final_loss"),
        ("sigmoid twin: final train loss", "twin.sigmoid.final_loss"),
    ]
    return f"{pair_rows(n, rows)}\n\n{_finding(n)}"


def _figure(exp: Experiment, path: Path) -> None:
    plt = style.use_agg()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    ident, twin = exp.curves["identity"], exp.curves["twin"]
    x = np.linspace(-4, 4, 401)
    ax = axes[0]
    ax.plot(x, np.tanh(x), color="k", linewidth=3, alpha=0.3, label="tanh(x)")
    for side in SIDE_NAMES:
        form = tanh_via_sigmoid(x)[1] if side == SCRATCH.name else tanh_via_sigmoid_torch(x)[1]
        ax.plot(x, form, **dict(style.SIDES[side], label=f"2 sigmoid(2x) - 1, {side}"))
    ax.plot(x, scratch.activations.sigmoid(x), color="grey", linestyle=":", label="sigmoid(x)")
    ax.set_title("tanh(x) = 2 sigmoid(2x) - 1", fontsize=10)
    ax.set_xlabel("x")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    ax = axes[1]
    grid = np.abs(ident["x"]) <= 40
    edges = np.linspace(-40, 40, 81)  # bins of width 1
    which = np.clip(np.digitize(ident["x"][grid], edges) - 1, 0, len(edges) - 2)
    for side in SIDE_NAMES:
        d = ident["diffs"][side][grid]
        worst = np.zeros(len(edges) - 1)
        np.maximum.at(worst, which, d)
        exact = int((d == 0).sum())
        label = f"{side} ({exact} of {d.size} points exact)"
        look = dict(style.SIDES[side], label=label)
        ax.stairs(np.maximum(worst, 1e-18), edges, baseline=None, **look)
    ax.axhline(EPS, color="grey", linewidth=1, label="float64 eps (2.2e-16)")
    ax.set_ylim(5e-19, 1e-14)
    ax.set_yscale("log")
    ax.set_title(
        "max abs(tanh(x) - (2 sigmoid(2x) - 1)) per unit of x (0 drawn at 1e-18)", fontsize=9
    )
    ax.set_xlabel("x")
    ax.legend(fontsize=8, loc="upper right")
    ax = axes[2]
    for act, color in (("tanh", "#1f77b4"), ("sigmoid", "#d62728")):
        for side in SIDE_NAMES:
            losses = twin["losses"][act][side]
            name = "tanh net" if act == "tanh" else "rescaled sigmoid twin"
            look = dict(style.SIDES[side], label=f"{name}, {side}", color=color)
            ax.plot(np.arange(len(losses)), losses, **look)
    ax.axhline(exp.numbers["twin.target_loss"], color="grey", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("SGD steps (lr 0.3, same batches)")
    ax.set_ylabel("train loss (whole train set)")
    ax.set_title("Same function at step 0, different training (breast_cancer)", fontsize=10)
    ax.legend(fontsize=8)
    fig.suptitle("Tanh is a scaled and shifted sigmoid")
    save(fig, path, left=0.05, right=0.98, top=0.87, bottom=0.12, wspace=0.22)


CLAIM = Claim(
    key="tanh_sigmoid",
    title="Tanh is a scaled and shifted sigmoid",
    claim="`tanh(x) = 2 sigmoid(2x) - 1`. So a tanh network is a sigmoid network with rescaled "
    "weights: double every hidden pre-activation (`W' = 2W`, `b' = 2b` in the first layer) "
    "and let each next layer read `2s - 1` instead of `s` (`W_next' = 2 W_next`, "
    "`b_next' = b_next - W_next 1`, doubled again when the next layer is hidden too). The "
    "two compute the same function; gradient descent on them is not the same.",
    method="The identity on 8001 points in [-40, 40] and at +-1e-300, +-1e3, +-1e300, each side "
    "with its own `Tanh` and `Sigmoid` in float64 "
    "(`parity.experiments.claims.tanh_sigmoid.tanh_via_sigmoid`, `tanh_via_sigmoid_torch`). "
    "Then a `breast_cancer` tanh network (hidden 16, 16, torch's default init) and the "
    "sigmoid network with the rescaled weights (`sigmoid_twin_state`), loaded into both "
    "implementations: outputs on all 569 rows, first-layer gradients at the start, then "
    "both trained with SGD lr 0.3, batch 32, the same batches (20 epochs; `--quick` 6), "
    "the whole train set's loss and the outputs measured after every step.",
    run=_tanh_sigmoid,
    checks=_checks,
    table=_table,
    draw=_figure,
    figure=("claim7_tanh_sigmoid", "tanh as a sigmoid, and the two networks trained"),
)
