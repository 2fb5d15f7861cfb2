"""What ``nn-parity train`` shows and keeps besides the weights: the per-epoch table, the
history (history.json) and the training curve (training_curve.png).

``results`` is each trained implementation's ``parity.harness.runner.SideResult`` by name, the
candidate (scratch) first; with two, the second is the reference (torch). matplotlib is
imported only when the curve is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from parity.harness.runner import ParityResult, SideResult
    from parity.spec import RunSpec

EPOCH_COLUMNS = (  # (group heading, history attribute, format) of the per-epoch table
    ("train loss", "train_loss", "{:.6f}"),
    ("test loss", "val_loss", "{:.6f}"),
    ("test acc", "val_acc", "{:.4f}"),
)


def epoch_table(results: dict[str, SideResult], spec: RunSpec) -> str:
    """Per-epoch metrics of every trained side, side by side: for each of train loss, test
    loss and (classification only) test accuracy, one column per side.

    ::

                        train loss               test loss
          epoch      scratch       torch      scratch       torch
            1/3     0.700436    0.700436     0.684374    0.684374
    """
    sides = list(results)
    columns = [c for c in EPOCH_COLUMNS if spec.task != "regression" or c[1] != "val_acc"]
    width = 11
    group = len(sides) * (width + 1) - 1  # one group's columns, one space apart
    first_width = max(7, 2 * len(str(spec.epochs)) + 1)

    def row(first: str, groups: Sequence[str]) -> str:
        return f"{first:>{first_width}}" + "".join(f"  {g:>{group}}" for g in groups)

    if len(sides) == 1:
        lines = [row("epoch", [name for name, _, _ in columns])]
    else:
        lines = [
            row("", [f"{name:^{group}}" for name, _, _ in columns]).rstrip(),
            row("epoch", [" ".join(f"{s:>{width}}" for s in sides)] * len(columns)),
        ]
    for i in range(spec.epochs):
        values = [
            " ".join(f"{fmt.format(getattr(results[s].history, a)[i]):>{width}}" for s in sides)
            for _, a, fmt in columns
        ]
        lines.append(row(f"{i + 1}/{spec.epochs}", values))
    return "\n".join(lines)


def history_json(
    results: dict[str, SideResult], epochs: int, verdict: ParityResult | None
) -> dict[str, Any]:
    """history.json: each backend's per-step losses and per-epoch metrics, and with both
    backends the parity verdict and every comparison's measured errors."""
    keys = ("train_loss", "train_acc", "val_loss", "val_acc")
    history: dict[str, Any] = {
        b: {
            "losses": r.losses.tolist(),
            "epochs": [
                {"epoch": i + 1, **{k: getattr(r.history, k)[i] for k in keys}}
                for i in range(epochs)
            ],
        }
        for b, r in results.items()
    }
    if verdict is not None:
        fields = ("name", "scaled", "max_abs", "max_rel", "tol", "ok")
        history["parity"] = {
            "ok": verdict.ok,
            "comparisons": [{f: getattr(c, f) for f in fields} for c in verdict.comparisons],
        }
    return history


def plot_history(
    results: dict[str, SideResult], spec: RunSpec, title: str, path: Path, device: str = "cpu"
) -> None:
    """Per-step loss of each backend, per-epoch metrics, and with both backends their per-step
    difference drawn as in the report (``parity._util.plots.plot_loss_difference``: exact zeros as
    ticks at the floor, the curve tolerance on ``device`` as a dotted line)."""
    from parity._util.style import save_figure, use_agg

    plt = use_agg()
    both = len(results) == 2
    fig, axes = plt.subplots(1, 3 if both else 2, figsize=(15 if both else 10.5, 4.2))
    try:  # closed even when drawing is interrupted (SIGTERM): nothing left open
        _draw(axes, results, spec, device)
        fig.suptitle(title)
        fig.tight_layout()
        save_figure(fig, path)
    finally:
        plt.close(fig)


def _draw(axes: Any, results: dict[str, SideResult], spec: RunSpec, device: str) -> None:
    """The panels of :func:`plot_history` (the third only with both sides)."""
    _plot_losses(axes[0], results, spec)
    _plot_epochs(axes[1], results, spec)
    for ax in axes[:2]:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    if len(results) == 2:
        from parity._util.plots import plot_loss_difference
        from parity.tolerances import tolerance

        candidate, reference = results.values()
        tol = tolerance("curve", spec.dtype, device).value
        plot_loss_difference(axes[2], candidate.losses, reference.losses, tol)
        axes[2].legend(fontsize=8, loc="center right")
        axes[2].grid(alpha=0.3)


def _plot_losses(ax: Any, results: dict[str, SideResult], spec: RunSpec) -> None:
    """The minibatch loss at every step, one line per side."""
    from parity._util.style import SIDES

    for name, res in results.items():
        ax.plot(np.arange(1, len(res.losses) + 1), res.losses, lw=1.2, **SIDES[name])
    ax.set(xlabel="step", ylabel=f"minibatch loss ({spec.loss})", title="training loss")


def _plot_epochs(ax: Any, results: dict[str, SideResult], spec: RunSpec) -> None:
    """Per epoch, train and test accuracy (classification) or loss (regression), per side."""
    from matplotlib.ticker import MaxNLocator

    from parity._util.style import SIDES

    classify = spec.task != "regression"
    epochs = np.arange(1, spec.epochs + 1)
    for name, res in results.items():
        style, h = SIDES[name], res.history
        train, test = (h.train_acc, h.val_acc) if classify else (h.train_loss, h.val_loss)
        line = {"color": style["color"], "ls": style["linestyle"], "ms": 3}
        ax.plot(epochs, train, marker="o", label=f"{style['label']}, train", **line)
        ax.plot(epochs, test, marker="s", mfc="white", label=f"{style['label']}, test", **line)
    ax.set(
        xlabel="epoch",
        ylabel="accuracy" if classify else f"loss ({spec.loss})",
        title="accuracy per epoch" if classify else "loss per epoch (whole split)",
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
