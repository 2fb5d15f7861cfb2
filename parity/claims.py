"""The seed's claims as experiments, each executed by both implementations.

The seed (docs/DESIGN.md) makes claims we can test. Each becomes one experiment here, run by
scratch *and* torch from the same initial weights and batch order, with one function per
claim returning the demonstrating numbers (keys ending ``.scratch`` / ``.torch`` come in
pairs, one per implementation; keys without a suffix describe the data, not a network):

1. ``linear_collapse``: without a non-linearity depth adds nothing.
2. ``vanishing_gradients``: sigmoid (and, under plain init, tanh) gradients vanish with depth.
3. ``tanh_vs_sigmoid``: tanh converges faster than sigmoid.
4. ``dying_relu``: ReLU units can die; Leaky ReLU keeps a gradient.
5. ``softmax_distribution``: softmax rows are probability distributions.
6. ``output_heads``: the output layer follows the task.

``run_claims`` runs them all, draws one figure per claim (scratch solid, torch dashed) and
returns one :class:`ClaimSection` per claim for ``nn-parity report``. The tests assert the
same numbers, so what the report shows is what is tested.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

import scratch
import torch_impl

from .data import Dataset, load_dataset
from .runner import (
    TORCH_LOSSES,
    build_networks,
    make_optimizers,
    run,
    targets,
    trained_models,
)
from .spec import RunSpec
from .style import DIFF, DPI, SCRATCH, SIDES, TORCH, use_agg
from .threads import limit_threads

SIDE_NAMES = ("scratch", "torch")
Numbers = dict[str, float]


@dataclass
class ClaimSection:
    """One claim's report section.

    ``markdown`` is the section body (no heading): the claim, how it is measured, a table of
    the measured numbers for scratch and torch, the verdict and figure links of the form
    ``![alt](figures/NAME.png)``, relative to the report directory. ``numbers`` are the
    demonstrating numbers (as returned by the claim's function).
    """

    key: str
    title: str
    markdown: str
    passed: bool
    numbers: dict[str, float]


@dataclass
class _Check:
    """One asserted direction of a claim: a statement, the measured value, whether it held."""

    statement: str
    measured: str
    held: bool


@dataclass
class _Experiment:
    """What a claim's experiment produced: the numbers and what its figure needs."""

    numbers: Numbers
    curves: dict[Any, Any]


def sides_agree(numbers: Numbers, atol: float = 1e-12) -> float:
    """The worst relative disagreement between the ``.scratch`` and ``.torch`` twins.

    Returns ``max |s - t| / max(|s|, |t|)`` over the pairs whose difference exceeds
    ``atol``, 0.0 when every pair agrees to ``atol`` (a quantity that is itself a rounding
    error, such as a max difference of 1e-16, is judged by ``atol``, the rest relative to
    their size). A number with only a ``.scratch`` side is a ``KeyError``.
    """
    worst = 0.0
    for key, s in numbers.items():
        if not key.endswith(".scratch"):
            continue
        t = numbers[key[: -len(".scratch")] + ".torch"]
        diff = abs(s - t)
        if diff > atol:
            worst = max(worst, diff / max(abs(s), abs(t)))
    return worst


def _torch_out(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """``model(X)`` in eval mode without autograd, as a NumPy array."""
    model.eval()
    with torch.inference_mode():
        return model(torch.as_tensor(X)).numpy()


def _both(numbers: Numbers, key: str, values: Sequence[float]) -> None:
    """Store one measured quantity for both sides: ``key.scratch`` and ``key.torch``."""
    for side, value in zip(SIDE_NAMES, values, strict=True):
        numbers[f"{key}.{side}"] = float(value)


def _save(fig: Any, path: Path, **adjust: float) -> None:
    """Lay out with fixed margins (``tight_layout`` would render the figure twice), save, close."""
    margins = {"left": 0.08, "right": 0.97, "top": 0.9, "bottom": 0.1, "wspace": 0.2}
    margins.update(adjust)
    fig.subplots_adjust(**margins)
    fig.savefig(path, dpi=DPI)
    use_agg().close(fig)


# ---------------------------------------------------------------------------------------------
# 1. without a non-linearity, depth adds nothing

COLLAPSE_DATASETS = ("moons", "xor")
COLLAPSE_HIDDEN = (16, 16, 16)
COLLAPSE_TOL = 1e-12  # float64: a product of four matrices differs from the chain by rounding
CEILING_MARGIN = 0.05  # tanh's train accuracy must clear the best linear one by this much


def collapse_linear(model: scratch.Sequential) -> scratch.Linear:
    """The one ``Linear`` a stack of ``Linear`` + ``Identity`` layers equals (scratch).

    ``y = W_L(...(W_1 x + b_1)...) + b_L = (W_L...W_1) x + (W_L...W_2 b_1 + ... + b_L)``:
    the weight is the product of the layers' weights, the bias the propagated biases.
    """
    if any(not isinstance(m, (scratch.Linear, scratch.Identity)) for m in model):
        raise ValueError("only a stack of Linear and Identity layers collapses to one Linear")
    n_in = next(m.in_features for m in model if isinstance(m, scratch.Linear))
    W, b = np.eye(n_in, dtype=model.dtype), np.zeros(n_in, dtype=model.dtype)  # the identity
    for layer in model:
        if isinstance(layer, scratch.Linear):
            bias = 0.0 if layer.bias is None else layer.bias.data
            W, b = layer.weight.data @ W, layer.weight.data @ b + bias  # (out, in), (out,)
    out = scratch.Linear(W.shape[1], W.shape[0], dtype=W.dtype, rng=np.random.default_rng(0))
    out.weight.data[...] = W
    assert out.bias is not None
    out.bias.data[...] = b
    return out


def collapse_linear_torch(model: nn.Sequential) -> nn.Linear:
    """The one ``nn.Linear`` a stack of ``nn.Linear`` + ``nn.Identity`` equals (torch twin)."""
    if any(not isinstance(m, (nn.Linear, nn.Identity)) for m in model):
        raise ValueError("only a stack of Linear and Identity layers collapses to one Linear")
    first = model[0]
    assert isinstance(first, nn.Linear)
    with torch.no_grad():
        W = torch.eye(first.in_features, dtype=first.weight.dtype)
        b = torch.zeros(first.in_features, dtype=first.weight.dtype)
        for layer in model:
            if isinstance(layer, nn.Linear):
                bias = 0.0 if layer.bias is None else layer.bias
                W, b = layer.weight @ W, layer.weight @ b + bias
        out = nn.Linear(W.shape[1], W.shape[0], dtype=W.dtype)
        out.weight.copy_(W)
        out.bias.copy_(b)
    return out


def best_linear_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    """An upper bound on the accuracy of *any* linear classifier on 2-D points ``X (N, 2)``.

    Any separating line can be moved, without changing which side any point is on, until it
    passes through two of the points; so trying every line through two points (each point
    on the line counted as correct, both labellings of the two half-planes) bounds every
    line's accuracy from above, as does the majority class (a line past all the points).
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).reshape(-1).astype(bool)
    n = len(X)
    best = max(y.mean(), 1 - y.mean()) * n
    for i in range(n - 1):
        d = X[i + 1 :] - X[i]  # (m, 2) directions of the lines through point i
        rel = X - X[i]  # (n, 2)
        side = d[:, :1] * rel[None, :, 1] - d[:, 1:] * rel[None, :, 0]  # (m, n) cross products
        tol = 1e-12 * np.abs(d).sum(axis=1, keepdims=True) * np.abs(rel).sum(axis=1)[None]
        pos, neg = side > tol, side < -tol
        on = n - pos.sum(axis=1) - neg.sum(axis=1)
        pos1, neg1 = (pos & y).sum(axis=1), (neg & y).sum(axis=1)
        pos0, neg0 = pos.sum(axis=1) - pos1, neg.sum(axis=1) - neg1
        best = max(best, float((np.maximum(pos1 + neg0, pos0 + neg1) + on).max()))
    return best / n


def _collapse_spec(
    dataset: str, hidden: tuple[int, ...], act: str, seed: int, quick: bool
) -> RunSpec:
    return RunSpec(
        dataset=dataset,
        hidden=hidden,
        activation=act,
        optimizer="adam",
        lr=0.03,
        batch_size=50,
        epochs=30,
        seed=seed,
        n_samples=200 if quick else 400,
    )


def _linear_collapse(seed: int, quick: bool) -> _Experiment:
    numbers: Numbers = {}
    curves: dict[Any, Any] = {}
    for ds in COLLAPSE_DATASETS:
        results = {}
        for name, hidden, act in (
            ("linear", (), "identity"),
            ("identity", COLLAPSE_HIDDEN, "identity"),
            ("tanh", COLLAPSE_HIDDEN, "tanh"),
        ):
            r = run(_collapse_spec(ds, hidden, act, seed, quick))
            results[name] = r
            for side in SIDE_NAMES:
                res = getattr(r, side)
                numbers[f"{ds}.{name}.train_acc.{side}"] = float(res.history.train_acc[-1])
                numbers[f"{ds}.{name}.train_loss.{side}"] = float(res.history.train_loss[-1])
                numbers[f"{ds}.{name}.test_acc.{side}"] = float(res.test_metric)
        data = load_dataset(ds, seed=seed, n_samples=results["linear"].spec.n_samples)
        X = np.concatenate([data.X_train, data.X_test])
        s_deep, t_deep = trained_models(results["identity"])
        s_one, t_one = collapse_linear(s_deep), collapse_linear_torch(t_deep)
        with torch.no_grad():
            t_diff = (t_deep(torch.as_tensor(X)) - t_one(torch.as_tensor(X))).abs().max()
        _both(numbers, f"{ds}.collapse_max_diff", [np.abs(s_deep(X) - s_one(X)).max(), t_diff])
        numbers[f"{ds}.best_linear_train_acc"] = best_linear_accuracy(data.X_train, data.y_train)
        numbers[f"{ds}.runs_in_parity"] = float(all(r.ok for r in results.values()))
        curves[ds] = {"data": data, "results": results}
    return _Experiment(numbers, curves)


def linear_collapse(seed: int = 0, quick: bool = False) -> dict[str, float]:
    """Claim 1: an identity-activation network equals one ``Linear`` and fits no better.

    On ``moons`` and ``xor``, for a linear model (no hidden layer), an identity-activation
    network with three hidden layers of 16 and the same network with tanh, each trained by
    both implementations (Adam, same weights and batches): final train accuracy and loss,
    test accuracy; the max difference between the trained identity network and the single
    ``Linear`` whose weight is the product of its weights; and ``best_linear_train_acc``,
    an upper bound on any linear classifier's train accuracy. Keys
    ``"{dataset}.{model}.{train_acc|train_loss|test_acc}.{side}"``,
    ``"{dataset}.collapse_max_diff.{side}"``, ``"{dataset}.best_linear_train_acc"``.
    """
    with limit_threads(1):
        return _linear_collapse(seed, quick).numbers


def _check_linear_collapse(n: Numbers) -> list[_Check]:
    checks = []
    for ds in COLLAPSE_DATASETS:
        diff = max(n[f"{ds}.collapse_max_diff.{s}"] for s in SIDE_NAMES)
        checks.append(
            _Check(
                f"{ds}: identity network == product Linear (< {COLLAPSE_TOL:.0e})",
                f"{diff:.1e}",
                diff < COLLAPSE_TOL,
            )
        )
        ceiling = n[f"{ds}.best_linear_train_acc"]
        ident = max(n[f"{ds}.identity.train_acc.{s}"] for s in SIDE_NAMES)
        checks.append(
            _Check(
                f"{ds}: identity network train acc <= best linear ({ceiling:.3f})",
                f"{ident:.3f}",
                ident <= ceiling + 1e-12,
            )
        )
        tanh = min(n[f"{ds}.tanh.train_acc.{s}"] for s in SIDE_NAMES)
        checks.append(
            _Check(
                f"{ds}: tanh network train acc >= best linear + {CEILING_MARGIN}",
                f"{tanh:.3f}",
                tanh >= ceiling + CEILING_MARGIN,
            )
        )
    return checks


def _figure_linear_collapse(exp: _Experiment, path: Path) -> None:
    plt = use_agg()
    fig, axes = plt.subplots(2, 2, figsize=(9, 8.5))
    for row, ds in enumerate(COLLAPSE_DATASETS):
        data = exp.curves[ds]["data"]
        X, y = data.X_train, data.y_train
        lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 150), np.linspace(lo[1], hi[1], 150))
        grid = np.c_[gx.ravel(), gy.ravel()]
        for col, name in enumerate(("identity", "tanh")):
            ax = axes[row, col]
            ax.scatter(X[:, 0], X[:, 1], c=y, cmap="Greys", edgecolors="k", s=12, linewidths=0.3)
            s_model, t_model = trained_models(exp.curves[ds]["results"][name])
            for side, logits in (("scratch", s_model(grid)), ("torch", _torch_out(t_model, grid))):
                style = SIDES[side]
                ax.contour(
                    gx,
                    gy,
                    logits.reshape(gx.shape),
                    levels=[0.0],
                    colors=style["color"],
                    linestyles=style["linestyle"],
                    linewidths=2,
                )
            acc = exp.numbers[f"{ds}.{name}.train_acc.scratch"]
            ceiling = exp.numbers[f"{ds}.best_linear_train_acc"]
            ax.set_title(
                f"{ds}, {name} x3: train acc {acc:.3f} (linear ceiling {ceiling:.3f})", fontsize=9
            )
            ax.set_xticks([])
            ax.set_yticks([])
    handles = [plt.Line2D([], [], **SCRATCH), plt.Line2D([], [], **TORCH)]
    fig.legend(handles=handles, loc="lower center", ncol=2, title="decision boundary")
    fig.suptitle("Without a non-linearity the boundary stays a line, however deep")
    _save(fig, path, left=0.03, right=0.98, bottom=0.1, top=0.91, wspace=0.08, hspace=0.12)


# ---------------------------------------------------------------------------------------------
# 2. sigmoid and tanh gradients vanish with depth

VANISH_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
VANISH_INITS = ("xavier_uniform", "default")
VANISH_WIDTH = 32
VANISH_ROWS = 256
VANISH_SMALL = 1e-2  # sigmoid's first/last ratio at depth 10 stays below this
VANISH_HEALTHY = 1e-1  # ReLU's stays above this
TANH_FALL = 10.0  # under plain init, tanh's ratio falls by more than this from depth 2 to 10


def _depths(quick: bool) -> tuple[int, ...]:
    return (2, 6, 10) if quick else tuple(range(2, 11))


def gradient_norms(
    spec: RunSpec, data: Dataset | None = None, rows: int = VANISH_ROWS
) -> tuple[list[float], list[float]]:
    """Per-``Linear`` weight-gradient norms ``||dL/dW_l||`` at initialisation, both sides.

    One forward and backward pass of the loss on the first ``rows`` training rows of the
    spec's dataset (``data``, loaded when not given), from the spec's shared initial
    weights. Returns ``(scratch, torch)``, each a list from the first hidden layer to the
    output layer.
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
    TORCH_LOSSES[spec.loss]()(t_model(torch.as_tensor(X)), torch.as_tensor(y)).backward()
    t_norms = [float(torch.linalg.norm(m.weight.grad)) for m in t_model if isinstance(m, nn.Linear)]
    return s_norms, t_norms


def _vanishing_gradients(seed: int, quick: bool) -> _Experiment:
    numbers: Numbers = {}
    curves: dict[Any, Any] = {}
    data = load_dataset("digits", seed=seed)
    for init in VANISH_INITS:
        for act in VANISH_ACTIVATIONS:
            for depth in _depths(quick):
                spec = RunSpec(
                    dataset="digits",
                    hidden=(VANISH_WIDTH,) * depth,
                    activation=act,
                    init=init,
                    seed=seed,
                )
                norms = gradient_norms(spec, data)
                _both(numbers, f"{init}.{act}.depth{depth}.ratio", [v[0] / v[-1] for v in norms])
                curves[init, act, depth] = norms
    return _Experiment(numbers, curves)


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


def _check_vanishing_gradients(n: Numbers) -> list[_Check]:
    def ratio(init: str, act: str, depth: int, pick: Callable[..., float]) -> float:
        return pick(n[f"{init}.{act}.depth{depth}.ratio.{s}"] for s in SIDE_NAMES)

    sig = ratio("xavier_uniform", "sigmoid", 10, max)
    checks = [
        _Check(
            f"sigmoid, Xavier init, depth 10: first/last < {VANISH_SMALL:.0e}",
            f"{sig:.1e}",
            sig < VANISH_SMALL,
        )
    ]
    sig_default = ratio("default", "sigmoid", 10, max)
    checks.append(
        _Check(
            f"sigmoid, default init, depth 10: first/last < {VANISH_SMALL:.0e}",
            f"{sig_default:.1e}",
            sig_default < VANISH_SMALL,
        )
    )
    for act in ("relu", "leaky_relu"):
        r = ratio("xavier_uniform", act, 10, min)
        checks.append(
            _Check(
                f"{act}, Xavier (He gain) init, depth 10: first/last > {VANISH_HEALTHY:.0e}",
                f"{r:.2f}",
                r > VANISH_HEALTHY,
            )
        )
    fall = ratio("default", "tanh", 2, min) / ratio("default", "tanh", 10, max)
    checks.append(
        _Check(
            f"tanh, default init: ratio falls > {TANH_FALL:.0f}x from depth 2 to 10",
            f"{fall:.0f}x",
            fall > TANH_FALL,
        )
    )
    return checks


_INIT_LABEL = {"xavier_uniform": "Xavier, torch's gain", "default": "torch default init"}
_ACT_MARKERS = {"sigmoid": "o", "tanh": "s", "relu": "^", "leaky_relu": "v"}


def _figure_vanishing(exp: _Experiment, path: Path) -> None:
    plt = use_agg()
    depths = sorted({depth for _, _, depth in exp.curves})  # _depths(quick) of the experiment
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5), sharey="row")
    for col, init in enumerate(VANISH_INITS):
        for act in VANISH_ACTIVATIONS:
            for i, side in enumerate(SIDE_NAMES):
                style = dict(SIDES[side], marker=_ACT_MARKERS[act], ms=4, label=None)
                norms = exp.curves[init, act, depths[-1]][i]
                axes[0, col].semilogy(range(1, len(norms) + 1), norms, **style)
                ratios = [exp.numbers[f"{init}.{act}.depth{d}.ratio.{side}"] for d in depths]
                axes[1, col].semilogy(depths, ratios, **style)
            if act == "leaky_relu":
                continue  # its curves lie on ReLU's (the 0.01 slope barely matters here)
            label = "relu, leaky_relu" if act == "relu" else act
            for ax, x, y, dx in (
                (axes[0, col], 1, norms[0], -5),
                (axes[1, col], depths[-1], ratios[-1], 5),
            ):
                ax.annotate(
                    label,
                    (x, y),
                    xytext=(dx, 0),
                    fontsize=8,
                    textcoords="offset points",
                    va="center",
                    ha="right" if dx < 0 else "left",
                )
        axes[0, col].set_title(f"{_INIT_LABEL[init]}: per layer, {depths[-1]} hidden layers")
        axes[0, col].set_xlabel("Linear layer (1 = first hidden, last = output)")
        axes[1, col].set_title(f"{_INIT_LABEL[init]}: first / output layer, by depth")
        axes[1, col].set_xlabel("hidden layers")
        axes[0, col].set_xlim(-3, depths[-1] + 1.5)
        axes[0, col].set_xticks(range(1, depths[-1] + 2, 2))
        axes[1, col].set_xlim(depths[0] - 0.5, depths[-1] + 3)  # room for the labels
        axes[1, col].set_xticks(depths)
        for ax in axes[:, col]:
            ax.grid(True, alpha=0.3)
    axes[0, 0].set_ylabel("||dL/dW|| at initialisation")
    axes[1, 0].set_ylabel("||dL/dW_first|| / ||dL/dW_output||")
    handles = [plt.Line2D([], [], **SCRATCH), plt.Line2D([], [], **TORCH)]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=9)
    fig.suptitle("Gradient norms at initialisation (digits, width 32): sigmoid's vanish")
    _save(fig, path, bottom=0.12, hspace=0.3)


# ---------------------------------------------------------------------------------------------
# 3. tanh converges faster than sigmoid


class _SpeedSetup(NamedTuple):
    hidden: tuple[int, ...]
    lr: float  # SGD
    epochs: int
    quick_epochs: int | None  # None: full run only
    target: float  # train loss to reach


SPEED_SETUPS = {
    "breast_cancer": _SpeedSetup((16, 16), 0.3, 20, 12, 0.2),
    "digits": _SpeedSetup((32,), 0.1, 12, None, 0.5),
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


def _tanh_vs_sigmoid(seed: int, quick: bool) -> _Experiment:
    numbers: Numbers = {}
    curves: dict[Any, Any] = {}
    for ds, (hidden, lr, epochs, quick_epochs, target) in SPEED_SETUPS.items():
        n_epochs = quick_epochs if quick else epochs
        if n_epochs is None:
            continue
        specs = {
            act: RunSpec(
                dataset=ds,
                hidden=hidden,
                activation=act,
                optimizer="sgd",
                lr=lr,
                batch_size=32,
                epochs=n_epochs,
                seed=seed,
                init="default",
            )
            for act in ("sigmoid", "tanh")
        }
        # torch's default init does not depend on the activation: both start from one state
        first, second = (build_networks(s).initial_state for s in specs.values())
        same = all(np.array_equal(first[k], second[k]) for k in first)
        numbers[f"{ds}.same_initial_weights"] = float(same)
        numbers[f"{ds}.target_loss"] = target
        curves[ds] = {"target": target}
        for act, spec in specs.items():
            r = run(spec)
            per_epoch = len(r.scratch.losses) // n_epochs
            for side in SIDE_NAMES:
                hist = getattr(r, side).history
                numbers[f"{ds}.{act}.steps_to_target.{side}"] = float(
                    steps_to_target(hist.train_loss, per_epoch, target)
                )
                numbers[f"{ds}.{act}.final_loss.{side}"] = float(hist.train_loss[-1])
            numbers[f"{ds}.{act}.runs_in_parity"] = float(r.ok)
            curves[ds][act] = {
                side: (per_epoch * np.arange(1, n_epochs + 1), getattr(r, side).history.train_loss)
                for side in SIDE_NAMES
            }
    return _Experiment(numbers, curves)


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


def _check_tanh_vs_sigmoid(n: Numbers) -> list[_Check]:
    checks = []
    for ds in SPEED_SETUPS:
        if f"{ds}.same_initial_weights" not in n:
            continue
        sig = [n[f"{ds}.sigmoid.steps_to_target.{s}"] for s in SIDE_NAMES]
        tanh = [n[f"{ds}.tanh.steps_to_target.{s}"] for s in SIDE_NAMES]
        held = min(tanh) > 0 and min(sig) > SPEED_FACTOR * max(tanh)
        checks.append(
            _Check(
                f"{ds}: sigmoid needs > {SPEED_FACTOR:.0f}x tanh's steps to loss "
                f"{n[f'{ds}.target_loss']}",
                f"{sig[0]:.0f} vs {tanh[0]:.0f} steps",
                held,
            )
        )
        checks.append(
            _Check(
                f"{ds}: both start from the same weights",
                "yes" if n[f"{ds}.same_initial_weights"] else "no",
                bool(n[f"{ds}.same_initial_weights"]),
            )
        )
    return checks


def _figure_tanh_vs_sigmoid(exp: _Experiment, path: Path) -> None:
    plt = use_agg()
    datasets = list(exp.curves)
    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4.5), squeeze=False)
    for ax, ds in zip(axes[0], datasets, strict=True):
        target = exp.curves[ds]["target"]
        for act, marker in (("sigmoid", "o"), ("tanh", "^")):
            for side in SIDE_NAMES:
                steps, losses = exp.curves[ds][act][side]
                style = dict(SIDES[side], label=f"{act}, {SIDES[side]['label']}")
                ax.plot(steps, losses, marker=marker, ms=4, **style)
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
    _save(fig, path, top=0.87, bottom=0.12)


# ---------------------------------------------------------------------------------------------
# 4. dying ReLU; Leaky ReLU keeps a gradient

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
        dataset="digits",
        hidden=DYING_HIDDEN,
        activation=act,
        optimizer="adam",
        lr=lr,
        batch_size=32,
        epochs=epochs,
        seed=seed,
    )
    nets = build_networks(spec)
    last = f"{2 * len(DYING_HIDDEN)}.bias"
    state = {
        k: v + shift if k.endswith("bias") and k != last else v
        for k, v in nets.initial_state.items()
    }
    nets.scratch_model.load_state_dict(state)
    torch_impl.load_numpy_state_dict(nets.torch_model, state)
    data = nets.data
    X, y = data.X_train, targets(spec, data, data.y_train)
    batches = scratch.batch_order(len(X), spec.batch_size, epochs, np.random.default_rng(seed))
    s_opt, t_opt = make_optimizers(spec, nets)
    s_loss, t_loss = scratch.make_loss(spec.loss), TORCH_LOSSES[spec.loss]()
    s_model, t_model = nets.scratch_model, nets.torch_model
    dead = {"scratch": [dead_fraction(s_model, X)], "torch": [dead_fraction_torch(t_model, X)]}
    acc: dict[str, list[float]] = {"scratch": [], "torch": []}
    for epoch in batches:
        s_hist = scratch.fit(s_model, s_loss, s_opt, X, y, batches=[epoch])
        t_hist = torch_impl.fit(t_model, t_loss, t_opt, X, y, batches=[epoch])
        dead["scratch"].append(dead_fraction(s_model, X))
        dead["torch"].append(dead_fraction_torch(t_model, X))
        acc["scratch"].append(float(s_hist.train_acc[-1] or 0.0))  # classification: never None
        acc["torch"].append(float(t_hist.train_acc[-1] or 0.0))
    return {"dead": dead, "acc": acc, "steps_per_epoch": len(batches[0])}


def _dying_relu(seed: int, quick: bool) -> _Experiment:
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
            _both(numbers, f"{key}.dead_initial", [r["dead"][s][0] for s in SIDE_NAMES])
            _both(numbers, f"{key}.dead_final", [r["dead"][s][-1] for s in SIDE_NAMES])
            _both(numbers, f"{key}.dead_max", [max(r["dead"][s]) for s in SIDE_NAMES])
            _both(numbers, f"{key}.train_acc", [r["acc"][s][-1] for s in SIDE_NAMES])
    return _Experiment(numbers, curves)


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


def _check_dying_relu(n: Numbers) -> list[_Check]:
    checks = []
    for setting in ("large_lr", "bias_shift"):
        relu = min(n[f"{setting}.relu.dead_final.{s}"] for s in SIDE_NAMES)
        checks.append(
            _Check(
                f"{setting}: ReLU dead fraction after training > {DEAD_MARGIN}",
                f"{relu:.2f}",
                relu > DEAD_MARGIN,
            )
        )
        leaky = max(n[f"{setting}.leaky_relu.dead_max.{s}"] for s in SIDE_NAMES)
        checks.append(
            _Check(
                f"{setting}: Leaky ReLU dead fraction == 0 throughout", f"{leaky:.2f}", leaky == 0.0
            )
        )
    return checks


def _figure_dying_relu(exp: _Experiment, path: Path) -> None:
    plt = use_agg()
    settings = [s for s in DYING_SETTINGS if (s, "relu") in exp.curves]
    fig, axes = plt.subplots(1, len(settings), figsize=(4.7 * len(settings), 4.5), sharey=True)
    titles = {
        "large_lr": "Adam lr 0.1 (large)",
        "bias_shift": "hidden biases shifted by -1.5, lr 0.01",
        "normal": "control: Adam lr 0.01",
    }
    for ax, setting in zip(axes, settings, strict=True):
        for act, marker in (("relu", "o"), ("leaky_relu", "^")):
            if (setting, act) not in exp.curves:
                continue
            r = exp.curves[setting, act]
            for side in SIDE_NAMES:
                dead = r["dead"][side]
                steps = r["steps_per_epoch"] * np.arange(len(dead))
                label = f"{act}, {SIDES[side]['label']}"
                ax.plot(steps, dead, marker=marker, ms=4, **dict(SIDES[side], label=label))
        ax.set_title(titles[setting], fontsize=10)
        ax.set_xlabel("optimizer steps")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("fraction of hidden units dead on every example")
    axes[0].legend(fontsize=8)
    fig.suptitle("Dying ReLU (digits, hidden 32 + 32): ReLU units die, Leaky ReLU's never do")
    _save(fig, path, left=0.07, top=0.86, bottom=0.13, wspace=0.08)


# ---------------------------------------------------------------------------------------------
# 5. softmax rows are probability distributions

SOFTMAX_SHIFTS = (1.0, 10.0, 100.0, 1000.0)
SOFTMAX_TOL = 1e-12  # float64: sums and shifted rows agree to a few eps times the width


def naive_softmax(z: np.ndarray) -> np.ndarray:
    """``e^z / sum e^z`` without the max shift: overflows to ``inf / inf = nan`` past ~709."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


def _softmax_distribution(seed: int, quick: bool) -> _Experiment:
    rng = np.random.default_rng(seed)
    z = 3.0 * rng.standard_normal((200 if quick else 1000, 10))  # (N, C) logits
    s_soft, t_soft = scratch.Softmax(dim=-1), nn.Softmax(dim=-1)

    def both(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return s_soft(logits), t_soft(torch.as_tensor(logits)).numpy()

    numbers: Numbers = {}
    p = both(z)
    _both(numbers, "min_prob", [q.min() for q in p])
    _both(numbers, "max_prob", [q.max() for q in p])
    _both(numbers, "max_row_sum_error", [np.abs(q.sum(axis=-1) - 1).max() for q in p])
    shift_curve: dict[str, list[float]] = {side: [] for side in SIDE_NAMES}
    for c in SOFTMAX_SHIFTS:
        for side, q, q_shift in zip(SIDE_NAMES, p, both(z + c), strict=True):
            shift_curve[side].append(float(np.abs(q_shift - q).max()))
    _both(numbers, "max_shift_change", [max(shift_curve[s]) for s in SIDE_NAMES])
    big = 1000.0 + z  # logits of about 1000: e^1000 overflows float64
    p_big = both(big)
    _both(numbers, "big_logits_finite", [float(np.isfinite(q).all()) for q in p_big])
    _both(
        numbers,
        "big_logits_max_error",
        [np.abs(q - pz).max() for q, pz in zip(p_big, p, strict=True)],
    )
    numbers["naive_big_logits_finite"] = float(np.isfinite(naive_softmax(big)).all())
    numbers["scratch_vs_torch_max_diff"] = float(np.abs(p[0] - p[1]).max())
    curves = {"z": z, "p": p, "p_big": p_big, "shift_curve": shift_curve}
    return _Experiment(numbers, curves)


def softmax_distribution(seed: int = 0, quick: bool = False) -> dict[str, float]:
    """Claim 5: softmax rows lie in (0, 1), sum to 1, ignore a constant shift, survive 1000.

    ``scratch.Softmax`` and ``nn.Softmax`` on 1000 rows (quick: 200) of 10 random float64
    logits ``3 N(0, 1)``: the smallest and largest probability, the worst ``|row sum - 1|``,
    the worst change when a constant ``c`` in 1, 10, 100, 1000 is added to every logit, and
    the same rows shifted to logits around 1000 (finite, and equal to the unshifted rows),
    where the naive ``e^z / sum e^z`` overflows to NaN (``naive_big_logits_finite``).
    """
    with limit_threads(1):
        return _softmax_distribution(seed, quick).numbers


def _check_softmax(n: Numbers) -> list[_Check]:
    lo = min(n[f"min_prob.{s}"] for s in SIDE_NAMES)
    hi = max(n[f"max_prob.{s}"] for s in SIDE_NAMES)
    sums = max(n[f"max_row_sum_error.{s}"] for s in SIDE_NAMES)
    shift = max(n[f"max_shift_change.{s}"] for s in SIDE_NAMES)
    finite = min(n[f"big_logits_finite.{s}"] for s in SIDE_NAMES)
    big = max(n[f"big_logits_max_error.{s}"] for s in SIDE_NAMES)
    return [
        _Check("every probability in (0, 1)", f"[{lo:.1e}, {hi:.6f}]", 0 < lo and hi < 1),
        _Check(f"rows sum to 1 (< {SOFTMAX_TOL:.0e})", f"{sums:.1e}", sums < SOFTMAX_TOL),
        _Check(
            f"adding c <= 1000 to every logit changes nothing (< {SOFTMAX_TOL:.0e})",
            f"{shift:.1e}",
            shift < SOFTMAX_TOL,
        ),
        _Check(
            f"logits of 1000: finite and equal to the unshifted rows (< {SOFTMAX_TOL:.0e})",
            f"{big:.1e}",
            finite == 1.0 and big < SOFTMAX_TOL,
        ),
    ]


def _figure_softmax(exp: _Experiment, path: Path) -> None:
    plt = use_agg()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.3))
    z, (s_p, t_p), (s_big, t_big) = exp.curves["z"][0], exp.curves["p"], exp.curves["p_big"]
    classes = np.arange(len(z))
    ax1.bar(classes - 0.2, s_p[0], width=0.4, color=SCRATCH["color"], label="scratch (NumPy)")
    ax1.bar(
        classes + 0.2,
        t_p[0],
        width=0.4,
        color=TORCH["color"],
        label="torch",
        hatch="//",
        edgecolor="white",
    )
    ax1.plot(classes, s_big[0], "k_", ms=14, label="scratch, logits + 1000")
    ax1.plot(classes, t_big[0], "kx", ms=6, label="torch, logits + 1000")
    ax1.set_xticks(classes)
    ax1.set_xlabel("class")
    ax1.set_ylabel("probability")
    ax1.set_title(f"one row: sums to {s_p[0].sum():.15f} (scratch)", fontsize=10)
    ax1.legend(fontsize=8)
    for side in SIDE_NAMES:
        values = np.maximum(exp.curves["shift_curve"][side], 1e-18)  # exact zeros on a log axis
        ax2.loglog(SOFTMAX_SHIFTS, values, marker="o", **SIDES[side])
    ax2.axhline(np.finfo(np.float64).eps, **dict(DIFF, label="float64 eps", linestyle=":"))
    ax2.set_xlabel("constant c added to every logit")
    ax2.set_ylabel("max |softmax(z + c) - softmax(z)|")
    naive = "NaN" if not exp.numbers["naive_big_logits_finite"] else "finite"
    ax2.set_title(f"shift invariance (naive e^z / sum e^z at c = 1000: {naive})", fontsize=10)
    ax2.legend(fontsize=8)
    ax2.grid(True, alpha=0.3)
    fig.suptitle("Softmax gives a probability distribution, stable at logits of 1000")
    _save(fig, path, top=0.85, bottom=0.13)


# ---------------------------------------------------------------------------------------------
# 6. the output layer follows the task

# dataset -> (head, hidden, lr, epochs full, epochs quick); tanh hidden layers, SGD
HEAD_SETUPS: dict[str, tuple[str, tuple[int, ...], float, int, int]] = {
    "diabetes": ("regression", (16,), 0.05, 40, 20),
    "breast_cancer": ("binary_bce", (16,), 0.1, 20, 10),
    "digits": ("multiclass", (32,), 0.1, 10, 5),
}
HEAD_DESCRIPTION = {
    "regression": "one linear unit + MSELoss",
    "binary_bce": "one sigmoid unit + BCELoss",
    "multiclass": "ten logits, softmax inside CrossEntropyLoss and at inference",
}
HEAD_MARGIN = 0.1  # each head beats its trivial baseline by at least this much


def _output_heads(seed: int, quick: bool) -> _Experiment:
    numbers: Numbers = {}
    curves: dict[Any, Any] = {}
    for ds, (head, hidden, lr, epochs, epochs_quick) in HEAD_SETUPS.items():
        spec = RunSpec(
            dataset=ds,
            hidden=hidden,
            activation="tanh",
            head=head,
            lr=lr,
            batch_size=32,
            epochs=epochs_quick if quick else epochs,
            seed=seed,
        )
        r = run(spec)
        data = load_dataset(ds, seed=seed)
        _both(numbers, f"{ds}.test_metric", [r.scratch.test_metric, r.torch.test_metric])
        numbers[f"{ds}.runs_in_parity"] = float(r.ok)
        out = (r.scratch.test_outputs, r.torch.test_outputs)
        _both(numbers, f"{ds}.output_width", [o.shape[1] for o in out])
        if head == "regression":
            # predicting the train mean (0 after standardisation) scores mean(y_test^2)
            numbers[f"{ds}.baseline"] = float(np.mean(data.y_test**2))
            _both(numbers, f"{ds}.output_min", [o.min() for o in out])
            _both(numbers, f"{ds}.output_max", [o.max() for o in out])
        else:
            numbers[f"{ds}.baseline"] = float(np.bincount(data.y_test).max() / len(data.y_test))
            s_model, t_model = trained_models(r)
            proba = (
                scratch.predict_proba(s_model, data.X_test, spec.task),
                torch_impl.predict_proba(t_model, data.X_test, spec.task),
            )
            _both(numbers, f"{ds}.proba_min", [p.min() for p in proba])
            _both(numbers, f"{ds}.proba_max", [p.max() for p in proba])
            if head == "multiclass":
                _both(
                    numbers,
                    f"{ds}.max_row_sum_error",
                    [np.abs(p.sum(axis=1) - 1).max() for p in proba],
                )
            curves[ds, "proba"] = proba
        curves[ds] = {side: getattr(r, side).history.train_loss for side in SIDE_NAMES}
        curves[ds, "outputs"] = out
        curves[ds, "y_test"] = data.y_test
    return _Experiment(numbers, curves)


def output_heads(seed: int = 0, quick: bool = False) -> dict[str, float]:
    """Claim 6: one linear unit for regression, one sigmoid for binary, softmax for classes.

    ``diabetes`` (one linear unit + MSE), ``breast_cancer`` (one sigmoid unit + BCELoss) and
    ``digits`` (ten logits + cross-entropy, softmax at inference), each trained by both
    implementations (tanh hidden layers, SGD). ``test_metric`` is the test MSE (regression,
    standardised target) or accuracy; ``baseline`` the trivial predictor's (the train mean;
    the majority class). Also the head's output width and range: unbounded for regression,
    probabilities in (0, 1) for the classifiers, rows summing to 1 for softmax. Keys
    ``"{dataset}.{quantity}.{side}"``, ``"{dataset}.baseline"``.
    """
    with limit_threads(1):
        return _output_heads(seed, quick).numbers


def _check_output_heads(n: Numbers) -> list[_Check]:
    mse = max(n[f"diabetes.test_metric.{s}"] for s in SIDE_NAMES)
    base = n["diabetes.baseline"]
    checks = [
        _Check(
            f"diabetes: test MSE < baseline {base:.3f} - {HEAD_MARGIN}",
            f"{mse:.3f}",
            mse < base - HEAD_MARGIN,
        )
    ]
    for ds in ("breast_cancer", "digits"):
        acc = min(n[f"{ds}.test_metric.{s}"] for s in SIDE_NAMES)
        base = n[f"{ds}.baseline"]
        checks.append(
            _Check(
                f"{ds}: test accuracy > majority class {base:.3f} + {HEAD_MARGIN}",
                f"{acc:.3f}",
                acc > base + HEAD_MARGIN,
            )
        )
        lo = min(n[f"{ds}.proba_min.{s}"] for s in SIDE_NAMES)
        hi = max(n[f"{ds}.proba_max.{s}"] for s in SIDE_NAMES)
        checks.append(
            _Check(f"{ds}: probabilities in [0, 1]", f"[{lo:.1e}, {hi:.6f}]", 0 <= lo and hi <= 1)
        )
    rows = max(n[f"digits.max_row_sum_error.{s}"] for s in SIDE_NAMES)
    checks.append(_Check("digits: softmax rows sum to 1 (< 1e-12)", f"{rows:.1e}", rows < 1e-12))
    return checks


def _figure_output_heads(exp: _Experiment, path: Path) -> None:
    plt = use_agg()
    fig, axes = plt.subplots(2, 3, figsize=(14, 8))
    for col, ds in enumerate(HEAD_SETUPS):
        head = HEAD_SETUPS[ds][0]
        ax = axes[0, col]
        for side in SIDE_NAMES:
            losses = exp.curves[ds][side]
            ax.plot(np.arange(1, len(losses) + 1), losses, marker="o", ms=3, **SIDES[side])
        metric = "test MSE" if head == "regression" else "test accuracy"
        value = exp.numbers[f"{ds}.test_metric.scratch"]
        ax.set_title(
            f"{ds}: {HEAD_DESCRIPTION[head]}\n{metric} {value:.3f} "
            f"(baseline {exp.numbers[f'{ds}.baseline']:.3f})",
            fontsize=9,
        )
        ax.set_xlabel("epoch")
        ax.set_ylabel("train loss")
        ax.grid(True, alpha=0.3)
        ax = axes[1, col]
        y = exp.curves[ds, "y_test"]
        if head == "regression":
            for side, out, marker in zip(SIDE_NAMES, exp.curves[ds, "outputs"], "o+", strict=True):
                ax.scatter(
                    y[:, 0],
                    out[:, 0],
                    marker=marker,
                    s=16,
                    color=SIDES[side]["color"],
                    label=SIDES[side]["label"],
                )
            ax.set_xlabel("true target (standardised)")
            ax.set_ylabel("linear unit's output")
        elif head == "binary_bce":
            for side, p in zip(SIDE_NAMES, exp.curves[ds, "proba"], strict=True):
                order = np.argsort(p[:, 0])
                ax.plot(p[order, 0], **SIDES[side])
            ax.scatter(
                np.arange(len(y)),
                y[np.argsort(exp.curves[ds, "proba"][0][:, 0])],
                s=6,
                color="k",
                label="true class",
            )
            ax.set_xlabel("test example (sorted by output)")
            ax.set_ylabel("sigmoid unit's output P(class 1)")
        else:
            p_s, p_t = exp.curves[ds, "proba"]
            classes = np.arange(p_s.shape[1])
            ax.bar(classes - 0.2, p_s[0], width=0.4, color=SCRATCH["color"], label=SCRATCH["label"])
            ax.bar(classes + 0.2, p_t[0], width=0.4, color=TORCH["color"], label=TORCH["label"])
            ax.set_xticks(classes)
            ax.set_xlabel(f"digit (first test image is a {y[0]})")
            ax.set_ylabel("softmax probability")
        ax.legend(fontsize=8)
    fig.suptitle("The output layer follows the task (scratch solid, torch dashed)")
    _save(fig, path, left=0.06, top=0.87, hspace=0.38)


# ---------------------------------------------------------------------------------------------
# the report sections

AGREE_RTOL = 1e-9  # scratch and torch numbers agree to this (relative; 1e-12 absolute floor)


def _fmt(x: float) -> str:
    """A measured number for a table: integers plain, tiny or huge ones in e-notation."""
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if abs(x) < 1e-3 or abs(x) >= 1e5:
        return f"{x:.2e}"
    return f"{x:.4f}"


def _pair_rows(n: Numbers, rows: Sequence[tuple[str, str]]) -> str:
    """A Markdown table of ``(label, key)`` rows, one column per implementation."""
    lines = ["| quantity | scratch | torch |", "|---|---:|---:|"]
    for label, key in rows:
        if f"{key}.scratch" in n:
            lines.append(f"| {label} | {_fmt(n[f'{key}.scratch'])} | {_fmt(n[f'{key}.torch'])} |")
        elif key in n:  # a property of the data or a setting: the same for both sides
            lines.append(f"| {label} | {_fmt(n[key])} | {_fmt(n[key])} |")
    return "\n".join(lines)


def _table_linear_collapse(n: Numbers) -> str:
    rows = []
    for ds in COLLAPSE_DATASETS:
        rows.append((f"{ds}: max abs(identity net - product Linear)", f"{ds}.collapse_max_diff"))
        rows.append(
            (
                f"{ds}: best possible linear train acc (bound, from the data)",
                f"{ds}.best_linear_train_acc",
            )
        )
        for model, label in (
            ("linear", "linear model"),
            ("identity", "identity x3"),
            ("tanh", "tanh x3"),
        ):
            rows.append((f"{ds}: {label} train acc", f"{ds}.{model}.train_acc"))
            rows.append((f"{ds}: {label} train loss", f"{ds}.{model}.train_loss"))
            rows.append((f"{ds}: {label} test acc", f"{ds}.{model}.test_acc"))
    return _pair_rows(n, rows)


def _table_vanishing(n: Numbers) -> str:
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
            lines.append(f"| {act} | {_INIT_LABEL[init]} | {cells} |")
    return "\n".join(lines)


def _table_tanh_vs_sigmoid(n: Numbers) -> str:
    rows = []
    for ds in SPEED_SETUPS:
        if f"{ds}.target_loss" not in n:
            continue
        rows.append((f"{ds}: target train loss (setting)", f"{ds}.target_loss"))
        for act in ("sigmoid", "tanh"):
            rows.append((f"{ds}: {act} steps to target", f"{ds}.{act}.steps_to_target"))
            rows.append((f"{ds}: {act} final train loss", f"{ds}.{act}.final_loss"))
    return _pair_rows(n, rows)


def _table_dying_relu(n: Numbers) -> str:
    rows = []
    for setting in DYING_SETTINGS:
        for act in ("relu", "leaky_relu"):
            key = f"{setting}.{act}"
            rows += [
                (f"{setting}, {act}: dead fraction at init", f"{key}.dead_initial"),
                (f"{setting}, {act}: dead fraction after training", f"{key}.dead_final"),
                (f"{setting}, {act}: final train accuracy", f"{key}.train_acc"),
            ]
    return _pair_rows(n, rows)


def _table_softmax(n: Numbers) -> str:
    return _pair_rows(
        n,
        [
            ("smallest probability", "min_prob"),
            ("largest probability", "max_prob"),
            ("max abs(row sum - 1)", "max_row_sum_error"),
            ("max change after adding c in 1..1000", "max_shift_change"),
            ("logits of 1000: all finite (1 = yes)", "big_logits_finite"),
            ("logits of 1000: max change from unshifted", "big_logits_max_error"),
            ("naive e^z / sum e^z at 1000, NumPy: all finite", "naive_big_logits_finite"),
        ],
    )


def _table_output_heads(n: Numbers) -> str:
    rows = []
    for ds, (head, *_rest) in HEAD_SETUPS.items():
        metric = "test MSE" if head == "regression" else "test accuracy"
        rows += [
            (f"{ds}: output units", f"{ds}.output_width"),
            (f"{ds}: {metric}", f"{ds}.test_metric"),
            (f"{ds}: trivial baseline", f"{ds}.baseline"),
        ]
        if head == "regression":
            rows += [
                (f"{ds}: output range min", f"{ds}.output_min"),
                (f"{ds}: output range max", f"{ds}.output_max"),
            ]
        else:
            rows += [
                (f"{ds}: smallest probability", f"{ds}.proba_min"),
                (f"{ds}: largest probability", f"{ds}.proba_max"),
            ]
        if head == "multiclass":
            rows.append((f"{ds}: max abs(row sum - 1)", f"{ds}.max_row_sum_error"))
    return _pair_rows(n, rows)


@dataclass(frozen=True)
class _Claim:
    key: str
    title: str
    claim: str
    method: str
    run: Callable[[int, bool], _Experiment]
    checks: Callable[[Numbers], list[_Check]]
    table: Callable[[Numbers], str]
    draw: Callable[[_Experiment, Path], None]  # writes the claim's figure to the given path
    figure: tuple[str, str]  # (file stem, alt text)


CLAIMS: tuple[_Claim, ...] = (
    _Claim(
        "linear_collapse",
        "Without a non-linearity, depth adds nothing",
        "A stack of `Linear` layers with no non-linearity between them is one linear map: "
        "`W3(W2(W1 x + b1) + b2) + b3 = (W3 W2 W1) x + b`, so depth adds no capacity.",
        "On `moons` and `xor`, both implementations train a linear model (no hidden layer), "
        "an identity-activation network with three hidden layers of 16 and the same network "
        "with tanh (Adam lr 0.03, same initial weights and batches). The trained identity "
        "network is compared with the single `Linear` whose weight is the product of its "
        "weights (`parity.claims.collapse_linear`, `collapse_linear_torch`). "
        "`best_linear_accuracy` bounds the train accuracy of *any* linear classifier on the "
        "same points (every line through two points). On `xor` gradient-trained linear "
        "models sit near chance (the logistic loss has its minimum near zero weights), so "
        "the bound, not their accuracy, is the ceiling to compare with.",
        _linear_collapse,
        _check_linear_collapse,
        _table_linear_collapse,
        _figure_linear_collapse,
        ("claim1_linear_collapse", "decision boundaries of identity and tanh networks"),
    ),
    _Claim(
        "vanishing_gradients",
        "Sigmoid and tanh gradients vanish with depth",
        "Backpropagation multiplies one factor `W^T f'(z)` per layer; sigmoid's derivative is "
        "at most 1/4, so the gradient reaching the first layers of a deep sigmoid network "
        "shrinks geometrically. Tanh (derivative up to 1) vanishes under a plain "
        "initialisation but not under one scaled for it; ReLU passes the gradient unchanged "
        "where it is active.",
        "Per-layer weight-gradient norms `||dL/dW||` at initialisation, one backward pass on "
        "256 `digits` rows, for networks of 2 to 10 hidden layers of 32 units, each "
        "activation, under two initialisations: Xavier uniform with torch's recommended gain "
        "(`calculate_gain`: sigmoid 1, tanh 5/3, ReLU sqrt 2, which for ReLU is He's scale) "
        "and torch's default `nn.Linear` init `U(+-1/sqrt(fan_in))` (a Glorot-and-Bengio style "
        "plot). The number is the first hidden layer's norm over the output layer's.",
        _vanishing_gradients,
        _check_vanishing_gradients,
        _table_vanishing,
        _figure_vanishing,
        ("claim2_vanishing_gradients", "gradient norms per layer and by depth"),
    ),
    _Claim(
        "tanh_vs_sigmoid",
        "Tanh converges faster than sigmoid",
        "Tanh is zero-centred with derivative 1 at 0; sigmoid's outputs are all positive "
        "and its derivative is at most 1/4, so with the same data, widths, initial weights "
        "and learning rate a tanh network trains faster.",
        "A sigmoid and a tanh network with identical initial state dicts (torch's default "
        "init does not depend on the activation; the experiment checks the arrays are equal) "
        "and the same batch order, trained with SGD by both implementations. The full "
        "train-set loss after each epoch gives the optimizer steps each needs to reach a "
        "target loss.",
        _tanh_vs_sigmoid,
        _check_tanh_vs_sigmoid,
        _table_tanh_vs_sigmoid,
        _figure_tanh_vs_sigmoid,
        ("claim3_tanh_vs_sigmoid", "loss curves of sigmoid and tanh networks"),
    ),
    _Claim(
        "dying_relu",
        "ReLU units can die; Leaky ReLU keeps a gradient",
        "A ReLU unit whose input is negative on every example has derivative 0 everywhere: "
        "no gradient reaches its weights, so nothing can revive it (unless the layer below "
        "changes its input). Leaky ReLU's derivative is `alpha = 0.01` there, never 0.",
        "A `digits` classifier with hidden layers (32, 32), trained with Adam by both "
        "implementations under a large learning rate (0.1, a hundred times Adam's default), "
        "under a negative bias shift (every hidden bias lowered by 1.5 at initialisation, "
        "lr 0.01) and, as a control, lr 0.01 without a shift. After each epoch, each side's "
        "own backward gives `f'(z)` for every unit on every training example "
        "(`parity.claims.dead_fraction`, `dead_fraction_torch`); a unit is dead when it is 0 "
        "on all of them.",
        _dying_relu,
        _check_dying_relu,
        _table_dying_relu,
        _figure_dying_relu,
        ("claim4_dying_relu", "fraction of dead units over training"),
    ),
    _Claim(
        "softmax",
        "Softmax gives a probability distribution",
        "`softmax(z)_i = e^{z_i} / sum_j e^{z_j}` is positive and each row sums to 1; adding "
        "a constant to every logit cancels in the ratio, which is why subtracting the row "
        "max (what both implementations do) makes it stable at any logit size.",
        "`scratch.Softmax` and `nn.Softmax` on random float64 logits `3 N(0, 1)` (10 classes), "
        "the same rows plus constants 1 to 1000, and rows around 1000, where the naive "
        "formula overflows.",
        _softmax_distribution,
        _check_softmax,
        _table_softmax,
        _figure_softmax,
        ("claim5_softmax", "softmax probabilities and shift invariance"),
    ),
    _Claim(
        "output_heads",
        "The output layer follows the task",
        "One linear unit (+ MSE) for regression, one sigmoid unit for binary classification, "
        "one unit per class with softmax for multi-class classification.",
        "Both implementations train a tanh network with each head: `diabetes` (one linear "
        "unit + `MSELoss`), `breast_cancer` (one sigmoid unit + `BCELoss`; `BCEWithLogitsLoss` "
        "on a logit is the stable fused form), `digits` (ten logits + `CrossEntropyLoss`, "
        "which applies log-softmax itself; softmax at inference). Test metric against the "
        "trivial baseline (predict the train mean; the majority class), and the range of "
        "what the head outputs.",
        _output_heads,
        _check_output_heads,
        _table_output_heads,
        _figure_output_heads,
        ("claim6_output_heads", "training curves and head outputs per task"),
    ),
)


def _agreement(n: Numbers) -> _Check:
    worst = sides_agree(n)
    runs = [v for k, v in n.items() if k.endswith("runs_in_parity")]
    in_parity = ""
    if runs:
        in_parity = (
            "; every training run in parity" if all(runs) else "; a training run FAILED parity"
        )
    return _Check(
        f"scratch and torch agree on every number (relative {AGREE_RTOL:.0e}; differences "
        "below 1e-12 absolute, which are rounding, count as agreement)",
        f"worst {worst:.1e}{in_parity}",
        worst <= AGREE_RTOL and all(runs),
    )


def _markdown(claim: _Claim, n: Numbers, checks: list[_Check], passed: bool) -> str:
    verdict = "\n".join(
        f"- {'✅' if c.held else '❌'} {c.statement}: measured {c.measured}" for c in checks
    )
    stem, alt = claim.figure
    return (
        f"**Claim.** {claim.claim}\n\n"
        f"**How it is measured.** {claim.method}\n\n"
        f"{claim.table(n)}\n\n"
        f"**Verdict: {'the claim holds' if passed else 'the claim does NOT hold'}.**\n\n"
        f"{verdict}\n\n"
        f"![{alt}](figures/{stem}.png)\n"
    )


def run_claims(
    figures_dir: Path,
    *,
    quick: bool = False,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> list[ClaimSection]:
    """Run every claim's experiment on both implementations; draw its figures; report it.

    Figures are written to ``figures_dir`` (created if missing) as ``claim*.png``, and each
    section's Markdown links them as ``figures/NAME.png``, so the report that embeds the
    sections lives in ``figures_dir``'s parent. ``quick`` runs shorter experiments that
    still decide every claim; ``progress(done, total)`` is called after each claim.
    Deterministic for a given ``seed``.
    """
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    sections = []
    with limit_threads(1):
        for i, claim in enumerate(CLAIMS, start=1):
            exp = claim.run(seed, quick)
            checks = [*claim.checks(exp.numbers), _agreement(exp.numbers)]
            passed = all(c.held for c in checks)
            claim.draw(exp, figures_dir / f"{claim.figure[0]}.png")
            markdown = _markdown(claim, exp.numbers, checks, passed)
            sections.append(ClaimSection(claim.key, claim.title, markdown, passed, exp.numbers))
            if progress is not None:
                progress(i, len(CLAIMS))
    return sections
