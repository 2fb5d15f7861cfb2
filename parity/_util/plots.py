"""Plot helpers the report's figures share, and the loss-difference panel that the report
and ``nn-parity train``'s ``training_curve.png`` both draw. matplotlib is imported inside the
functions (``use_agg``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from parity._util.style import DIFF, format_error, use_agg

__all__ = ["CURVE_FLOOR", "log_ticks", "margins", "plot_loss_difference", "use_agg"]

CURVE_FLOOR = 1e-20  # where a per-step difference of exactly 0 is drawn on the log axis


def margins(
    fig: Any,
    *,
    top: float,
    hspace: float = 0.3,
    wspace: float = 0.3,
    left: float = 0.85,
    right: float = 0.3,
) -> None:
    """Fixed margins in inches (``top`` leaves room for the suptitle): ``tight_layout``
    would measure every label first, which doubles a figure's drawing time."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        bottom=0.6 / height,
        top=1 - top / height,
        hspace=hspace,
        wspace=wspace,
    )


def log_ticks(axis: Any) -> None:
    """A few decade ticks labelled ``1e-12``, no minor ticks: a log axis spanning twenty
    decades otherwise lays out hundreds of mathtext labels, the slowest part of a figure."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    axis.set_major_locator(LogLocator(base=10, numticks=6))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0e}"))
    axis.set_minor_locator(NullLocator())


def plot_loss_difference(ax: Any, s: np.ndarray, t: np.ndarray, tol: float) -> None:
    """``|s − t|`` per step on a log axis: green dots where the losses differ, grey ticks at
    ``CURVE_FLOOR`` where they are bit-identical (counted in the title), and the curve
    tolerance ``tol`` times the largest loss as a dotted line (the bound on the difference).

    ``s``, ``t``: per-step losses ``(steps,)`` of scratch and torch. Used by the report's
    training curves and by ``nn-parity train``'s ``training_curve.png``.
    """
    steps = np.arange(1, len(s) + 1)
    diff = np.abs(s - t)
    threshold = tol * max(float(np.abs(t).max()), float(np.abs(s).max()))
    same = diff == 0
    ax.semilogy(
        steps[~same], diff[~same], ls="none", marker=".", ms=3, color=DIFF["color"],
        label=DIFF["label"],
    )  # fmt: skip
    ax.plot(
        steps[same], np.full(int(same.sum()), CURVE_FLOOR), ls="none", marker="|", ms=5,
        color="0.55", label=f"exactly 0 (drawn at {CURVE_FLOOR:.0e})",
    )  # fmt: skip
    ax.axhline(threshold, color="0.3", ls=":", lw=1.2, label="curve tolerance × largest loss")
    ax.set_ylim(CURVE_FLOOR / 5, max(threshold, float(diff.max())) * 1e3)
    log_ticks(ax.yaxis)
    ax.set_xlabel("step")
    ax.set_ylabel("|Δ loss|")
    ax.set_title(
        f"max |Δ| {format_error(float(diff.max()))}; bit-identical at {int(same.sum())} of "
        f"{len(diff)} steps",
        fontsize=9,
    )
