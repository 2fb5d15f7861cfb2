"""Claim 1, ``linear_collapse``: without a non-linearity, depth adds nothing.

``W3(W2(W1 x + b1) + b2) + b3 = (W3 W2 W1) x + b``: a trained identity-activation network is
compared with the one ``Linear`` it equals, and its accuracy with the best any line can do.
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
from parity.data import DATASETS, load_dataset
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
from parity.harness.runner import run, trained_models
from parity.harness.sides import SCRATCH, TORCH
from parity.spec import RunSpec

COLLAPSE_DATASETS = ("moons", "xor")
COLLAPSE_HIDDEN = (16, 16, 16)
COLLAPSE_TOL = 1e-12  # float64: a product of four matrices differs from the chain by rounding
CEILING_MARGIN = 0.05  # tanh's train accuracy must clear the best linear one by this much
# the three networks trained on each dataset: (name, hidden sizes, activation)
MODELS = (
    ("linear", (), "identity"),
    ("identity", COLLAPSE_HIDDEN, "identity"),
    ("tanh", COLLAPSE_HIDDEN, "tanh"),
)


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
    for param, value in zip(out.parameters(), (W, b), strict=True):  # weight, bias
        param.data[...] = value
    return out


def collapse_linear_torch(model: nn.Sequential) -> nn.Linear:
    """The one ``nn.Linear`` a stack of ``nn.Linear`` + ``nn.Identity`` equals (torch twin)."""
    if any(not isinstance(m, (nn.Linear, nn.Identity)) for m in model):
        raise ValueError("only a stack of Linear and Identity layers collapses to one Linear")
    first = next(m for m in model if isinstance(m, nn.Linear))
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


def _linear_collapse(seed: int, quick: bool) -> Experiment:
    numbers: Numbers = {}
    curves: dict[Any, Any] = {}
    for ds in COLLAPSE_DATASETS:
        data = load_dataset(ds, seed=seed, n_samples=200 if quick else 400)
        results = {}
        for name, hidden, act in MODELS:
            spec = RunSpec(
                task=DATASETS[ds].task,
                hidden=hidden,
                activation=act,
                optimizer="adam",
                lr=0.03,
                batch_size=50,
                epochs=30,
                seed=seed,
            )
            results[name] = r = run(spec, data)
            for side, res in r.sides.items():
                numbers[f"{ds}.{name}.train_acc.{side}"] = float(res.history.train_acc[-1])
                numbers[f"{ds}.{name}.train_loss.{side}"] = float(res.history.train_loss[-1])
                numbers[f"{ds}.{name}.test_acc.{side}"] = float(res.test_metric)
        X = np.concatenate([data.X_train, data.X_test])
        s_deep, t_deep = trained_models(results["identity"])
        s_one, t_one = collapse_linear(s_deep), collapse_linear_torch(t_deep)
        with torch.no_grad():
            t_diff = (t_deep(torch.as_tensor(X)) - t_one(torch.as_tensor(X))).abs().max()
        both(numbers, f"{ds}.collapse_max_diff", [np.abs(s_deep(X) - s_one(X)).max(), t_diff])
        numbers[f"{ds}.best_linear_train_acc"] = best_linear_accuracy(data.X_train, data.y_train)
        numbers[f"{ds}.runs_in_parity"] = float(all(r.ok for r in results.values()))
        curves[ds] = {"data": data, "results": results}
    return Experiment(numbers, curves)


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


def _checks(n: Numbers) -> list[Check]:
    checks = []
    for ds in COLLAPSE_DATASETS:
        diff = max(n[f"{ds}.collapse_max_diff.{s}"] for s in SIDE_NAMES)
        ceiling = n[f"{ds}.best_linear_train_acc"]
        ident = max(n[f"{ds}.identity.train_acc.{s}"] for s in SIDE_NAMES)
        tanh = min(n[f"{ds}.tanh.train_acc.{s}"] for s in SIDE_NAMES)
        checks += [
            Check(
                f"{ds}: identity network == product Linear (< {COLLAPSE_TOL:.0e})",
                f"{diff:.1e}",
                diff < COLLAPSE_TOL,
            ),
            Check(
                f"{ds}: identity network train acc <= best linear ({ceiling:.3f})",
                f"{ident:.3f}",
                ident <= ceiling + 1e-12,
            ),
            Check(
                f"{ds}: tanh network train acc >= best linear + {CEILING_MARGIN}",
                f"{tanh:.3f}",
                tanh >= ceiling + CEILING_MARGIN,
            ),
        ]
    return checks


def _table(n: Numbers) -> str:
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
    return pair_rows(n, rows)


def _figure(exp: Experiment, path: Path) -> None:
    plt = style.use_agg()
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
            models = trained_models(exp.curves[ds]["results"][name])
            for impl, model in zip((SCRATCH, TORCH), models, strict=True):
                look = style.SIDES[impl.name]
                logits = impl.outputs(model, grid)  # (N, 1): the boundary is the 0 level
                ax.contour(
                    gx,
                    gy,
                    logits.reshape(gx.shape),
                    levels=[0.0],
                    colors=look["color"],
                    linestyles=look["linestyle"],
                    linewidths=2,
                )
            acc = exp.numbers[f"{ds}.{name}.train_acc.scratch"]
            ceiling = exp.numbers[f"{ds}.best_linear_train_acc"]
            ax.set_title(
                f"{ds}, {name} x3: train acc {acc:.3f} (linear ceiling {ceiling:.3f})", fontsize=9
            )
            ax.set_xticks([])
            ax.set_yticks([])
    handles = [plt.Line2D([], [], **style.SCRATCH), plt.Line2D([], [], **style.TORCH)]
    fig.legend(handles=handles, loc="lower center", ncol=2, title="decision boundary")
    fig.suptitle("Without a non-linearity the boundary stays a line, however deep")
    save(fig, path, left=0.03, right=0.98, bottom=0.1, top=0.91, wspace=0.08, hspace=0.12)


CLAIM = Claim(
    key="linear_collapse",
    title="Without a non-linearity, depth adds nothing",
    claim="A stack of `Linear` layers with no non-linearity between them is one linear map: "
    "`W3(W2(W1 x + b1) + b2) + b3 = (W3 W2 W1) x + b`, so depth adds no capacity.",
    method="On `moons` and `xor`, both implementations train a linear model (no hidden layer), "
    "an identity-activation network with three hidden layers of 16 and the same network "
    "with tanh (Adam lr 0.03, same initial weights and batches). The trained identity "
    "network is compared with the single `Linear` whose weight is the product of its "
    "weights (`parity.experiments.claims.collapse.collapse_linear`, `collapse_linear_torch`). "
    "`best_linear_accuracy` bounds the train accuracy of *any* linear classifier on the "
    "same points (every line through two points). On `xor` gradient-trained linear "
    "models sit near chance (the logistic loss has its minimum near zero weights), so "
    "the bound, not their accuracy, is the ceiling to compare with.",
    run=_linear_collapse,
    checks=_checks,
    table=_table,
    draw=_figure,
    figure=("claim1_linear_collapse", "decision boundaries of identity and tanh networks"),
)
