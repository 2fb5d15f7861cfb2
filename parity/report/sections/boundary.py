"""Decision regions of both trained networks of a 2-D dataset's run, and where they differ."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from parity._util.plots import CURVE_FLOOR, margins
from parity._util.style import SCRATCH, TORCH, format_error, save_figure, use_agg
from parity.data import Dataset, load_dataset

if TYPE_CHECKING:
    from parity.harness.runner import ParityResult, SideResult

MESH = 200  # decision-boundary grid points per axis
# class colours for decision boundaries: Set2 without blue and orange, which mean scratch/torch
CLASS_COLOURS = ("#66c2a5", "#e78ac3", "#a6d854", "#ffd92f")


def boundary_probabilities(
    run: ParityResult, data: Dataset
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(lower corner ``(2,)``, upper corner ``(2,)``, each side's class probabilities
    ``(MESH², C)``) over a ``MESH × MESH`` grid that covers the data with a margin of 0.5.

    The sides are the run's candidate and reference, each rebuilt with its final weights;
    a binary side's ``P(1)`` becomes the two columns ``(1 − P(1), P(1))``.
    """
    from parity.harness.runner import trained_models

    spec = run.spec
    models = trained_models(run)
    X = np.vstack([data.X_train, data.X_test])
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], MESH), np.linspace(lo[1], hi[1], MESH))
    mesh = np.column_stack([g0.ravel(), g1.ravel()]).astype(spec.dtype)  # (MESH², 2)
    probs = []
    for side, model in zip((run.candidate, run.reference), models, strict=True):
        p = side.implementation.predict_proba(model, mesh, spec.task)
        probs.append(np.hstack([1 - p, p]) if spec.task == "binary" else p)
    return lo, hi, probs


def _regions(
    ax: Any, cls: np.ndarray, data: Dataset, side: SideResult, style: dict[str, Any], *,
    box: dict[str, Any], colours: tuple[str, ...],
) -> None:  # fmt: skip
    """One side's predicted class ``cls`` ``(MESH²,)`` over the plane (shaded, in ``colours``,
    one per class) with the training points, titled with the side's test accuracy."""
    from matplotlib.colors import ListedColormap

    n_classes = len(colours)
    regions = ListedColormap([c + "66" for c in colours])  # translucent
    points = ListedColormap(list(colours))
    ax.imshow(cls.reshape(MESH, MESH), cmap=regions, vmin=-0.5, vmax=n_classes - 0.5, **box)
    ax.scatter(
        data.X_train[:, 0], data.X_train[:, 1], c=data.y_train, cmap=points, vmin=-0.5,
        vmax=n_classes - 0.5, s=12, edgecolors="k", linewidths=0.4,
    )  # fmt: skip
    ax.set_title(f"{style['label']}: test accuracy {side.test_metric:.3f}", color=style["color"])


def plot_boundary(run: ParityResult, figures: Path) -> tuple[str, float, int]:
    """Decision regions of both trained sides on a 2-D dataset, and where they differ.

    Left the candidate's (scratch's), middle the reference's (torch's), right
    ``max |P_scratch − P_torch|`` per mesh point on a log colour scale. Returns (file name,
    max |P_scratch − P_torch| over the mesh, mesh points whose predicted class differs).
    """
    plt = use_agg()
    spec = run.spec
    data = load_dataset(run.dataset, seed=spec.seed, dtype=spec.dtype)
    lo, hi, (p_s, p_t) = boundary_probabilities(run, data)
    cls_s, cls_t = p_s.argmax(axis=1), p_t.argmax(axis=1)
    dp = np.abs(p_s.astype(np.float64) - p_t.astype(np.float64)).max(axis=1)  # (MESH²,)
    box = dict(origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), aspect="auto")
    colours = CLASS_COLOURS[: p_s.shape[1]]

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    _regions(axes[0], cls_s, data, run.candidate, SCRATCH, box=box, colours=colours)
    _regions(axes[1], cls_t, data, run.reference, TORCH, box=box, colours=colours)
    im = axes[2].imshow(
        np.log10(np.maximum(dp, CURVE_FLOOR)).reshape(MESH, MESH), cmap="viridis", **box
    )
    fig.colorbar(im, ax=axes[2], label="log10 max |P_scratch − P_torch|")
    n_diff = int((cls_s != cls_t).sum())
    axes[2].set_title(
        f"max |ΔP| {format_error(float(dp.max()))}; class differs at {n_diff}/{len(dp)} points",
        fontsize=10,
    )
    for ax in axes:
        ax.set_xlabel(f"{data.feature_names[0]} (standardised)")
        ax.set_ylabel(f"{data.feature_names[1]} (standardised)")
    fig.suptitle(
        f"{run.dataset}: decision regions after training {spec.label()} "
        f"({len(run.candidate.losses)} steps) on each side; dots are the training points"
    )
    margins(fig, top=0.85, wspace=0.28, right=0.7)
    name = f"boundary_{run.dataset}.png"
    save_figure(fig, figures / name)
    return name, float(dp.max()), n_diff
