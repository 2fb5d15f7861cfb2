"""The training-curves section: per activation, one figure of both sides' per-step losses
over their per-step difference, drawn from the grid's training runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from parity._util.plots import CURVE_FLOOR, margins, plot_loss_difference
from parity._util.style import SCRATCH, TORCH, save_figure, use_agg
from parity.data import TASKS
from parity.report.context import ReportContext, Section
from parity.spec import DEFAULT_HEAD, HEADS

if TYPE_CHECKING:
    from parity.harness.grid import CellResult

_DEPTH_RANK = {"shallow": 0, "deep": 1, "nohidden": 2}  # which depth to draw when several ran


def _pick_curve_cells(
    results: Sequence[CellResult],
) -> dict[str, dict[tuple[str, str], CellResult]]:
    """activation -> {(task, dtype): the cell result to draw}: the task's default head and the
    shallowest depth with hidden layers when present."""
    picked: dict[str, dict[tuple[str, str], tuple[tuple[bool, int], CellResult]]] = {}
    for r in results:
        cell = r.cell
        task = HEADS[cell.head][0]
        key = (task, cell.dtype)
        rank = (cell.head != DEFAULT_HEAD[task], _DEPTH_RANK[cell.depth])
        current = picked.setdefault(cell.activation, {}).get(key)
        if current is None or rank < current[0]:
            picked[cell.activation][key] = (rank, r)
    return {a: {k: v[1] for k, v in d.items()} for a, d in picked.items()}


def _activation_title(activation: str) -> str:
    from parity.harness.grid import MIXED

    if activation == "none":
        return "no hidden layer (linear / logistic / softmax regression)"
    if activation == "mixed":
        return f"mixed hidden activations ({', '.join(MIXED)})"
    return f"{activation} hidden layers"


def curve_file(activation: str) -> str:
    """The file name of ``activation``'s training-curve figure."""
    return f"curves_{activation}.png"


def plot_curves(results: Sequence[CellResult], figures: Path) -> list[tuple[str, str]]:
    """One figure per activation (:func:`draw_curves`), drawn here; returns (activation,
    file name)."""
    picked = _pick_curve_cells(results)
    return [(a, draw_curves(a, chosen, figures)) for a, chosen in picked.items()]


def draw_curves(
    activation: str, chosen: Mapping[tuple[str, str], CellResult], figures: Path
) -> str:
    """``activation``'s figure: per task a loss panel (both sides) over a log-scale panel of
    their per-step absolute difference, for each dtype, from the ``chosen`` cell per
    (task, dtype). Returns its file name in ``figures``. Module level: with ``--jobs N`` it is
    drawn on a worker."""
    plt = use_agg()
    tasks = [t for t in TASKS if any(k[0] == t for k in chosen)]
    dtypes = [d for d in ("float64", "float32") if any(k[1] == d for k in chosen)]
    ncols, nrows = len(tasks), 2 * len(dtypes)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(max(4.8 * ncols, 7.5) + 0.6, 2.6 * nrows + 1.0),
        squeeze=False,
        gridspec_kw={"height_ratios": [1.6, 1.0] * len(dtypes)},
    )
    for j, task in enumerate(tasks):
        for i, dtype in enumerate(dtypes):
            top, bottom = axes[2 * i, j], axes[2 * i + 1, j]
            r = chosen.get((task, dtype))
            if r is None:
                top.set_visible(False)
                bottom.set_visible(False)
                continue
            _curve_panels(top, bottom, r)
            handles = [*top.get_lines(), *bottom.get_lines()]
    fig.suptitle(f"Training curves, {_activation_title(activation)}: scratch vs torch")
    fig.legend(
        handles, [h.get_label() for h in handles], loc="upper center", ncols=3,
        bbox_to_anchor=(0.5, 1 - 0.35 / fig.get_size_inches()[1]), fontsize=9,
    )  # fmt: skip
    margins(fig, top=1.15, hspace=0.55, wspace=0.32)
    name = curve_file(activation)
    save_figure(fig, figures / name)
    return name


def _curve_panels(top: Any, bottom: Any, r: CellResult) -> None:
    """Both sides' losses on ``top``; their per-step difference on ``bottom``."""
    run = r.run
    if run is None:
        raise ValueError(f"cell {r.cell.id} has no training run to draw (see check_cell)")
    s, t = run.candidate.losses, run.reference.losses
    steps = np.arange(1, len(s) + 1)
    spec = run.spec
    top.plot(steps, s, lw=1.6, **SCRATCH)
    top.plot(steps, t, lw=1.6, **TORCH)
    top.set_title(
        f"{spec.task} ({r.cell.head} head) on {run.dataset}, {r.cell.depth} net, {r.cell.dtype}",
        fontsize=10,
    )
    top.set_ylabel(f"training loss ({spec.loss})")
    top.tick_params(labelbottom=False)

    plot_loss_difference(bottom, s, t, r.comparisons["curve"][0].tol)
    bottom.sharex(top)


def _section(activations: Sequence[str]) -> Section:
    lines = [
        "Per activation, one grid cell per task (the task's default head; the shallow network "
        "where there is one): the training loss at every step, scratch solid and torch "
        "dashed, on top of each other; below each, the absolute per-step difference "
        "`|loss_scratch − loss_torch|` (green dots) on a log axis, with the curve tolerance as "
        "a dotted line (the tolerance bounds the difference scaled by the curve's largest "
        "loss). A difference of exactly 0 (bit-identical losses) cannot be drawn on a log "
        f"axis: those steps are clipped to the floor {CURVE_FLOOR:.0e} and drawn there as grey "
        "ticks, and each panel's title counts them.",
        "",
    ]
    for activation in activations:
        lines += [f"![Training curves, {activation}](figures/{curve_file(activation)})", ""]
    return Section("Training curves", "training curves", "\n".join(lines).rstrip())


def curves_section(ctx: ReportContext) -> Section:
    """The training-curve figures of the grid's runs with their caption. The figures are
    started as a batch on ``ctx.workers`` and left ``pending``: with ``--jobs N`` the workers
    draw them while this process goes on to the next sections."""

    def start() -> Section:
        picked = _pick_curve_cells(ctx.grid)
        items = [(a, chosen, ctx.figures) for a, chosen in picked.items()]
        ctx.pending["training curves (figures)"] = ctx.workers.start(draw_curves, items)
        return _section(list(picked))

    return ctx.timed("training curves", start)
