"""The figures of ``CheckReport.write``; matplotlib is imported only here, when one is written.

* ``scaled_error.png``: every row's scaled error (end to end and teacher-forced) on a log
  axis, with its tolerance, one line per row labelled in full; the first divergence marked.
* ``divergence_scatter.png`` and ``divergence_heatmap.png``: the first divergent tensor,
  yours against torch's (a straight line of slope c is a factor c) and yours - torch.
* ``loss_curves.png`` (with ``steps > 0``): both loss curves and their per-step difference.

Colours as in the project's report: yours solid blue, torch dashed orange.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from parity.check.rows import ROOT, Findings

YOURS = {"color": "#1f77b4", "linestyle": "-", "label": "yours"}
TORCH = {"color": "#ff7f0e", "linestyle": "--", "label": "torch"}
DPI = 110


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    _plt().close(fig)
    return f"figures/{path.name}"


def scaled_errors(report: Findings, path: Path) -> str:
    """The scaled error per row on a log axis, with the tolerance as a tick per row: one
    line per row, top to bottom in execution order, each labelled in full (as in the table)."""
    plt = _plt()
    rows = report.rows
    fig, ax = plt.subplots(figsize=(8.0, max(3.5, 1.6 + 0.26 * len(rows))))
    y = np.arange(1, len(rows) + 1)
    finite = [m.scaled for r in rows for m in (r.e2e, r.tf) if m and math.isfinite(m.scaled)]
    top = max([r.tol for r in rows] + finite + [1e-12]) * 30
    floor = 1e-18
    for attr, marker, label in (("e2e", "o", "end to end"), ("tf", "s", "teacher-forced")):
        xs = [getattr(r, attr).scaled if getattr(r, attr) else np.nan for r in rows]
        xs = [top if v == math.inf else max(v, floor) for v in xs]
        ax.scatter(xs, y, marker=marker, label=label, alpha=0.8)
    ax.scatter([r.tol for r in rows], y, marker="|", s=160, color="k", label="tolerance")
    for i, r in enumerate(rows):
        if r.status == ROOT:
            ax.axhline(i + 1, color="red", lw=1, ls=":", label="first divergence")
    ax.set_xscale("log")
    ax.set_yticks(y, [r.label for r in rows], fontsize=7)
    ax.set_ylim(len(rows) + 0.7, 0.3)  # the first row at the top, as in the table
    ax.set_xlabel("scaled error  max|yours - torch| / max|.|")
    ax.set_title("yours vs torch, per row (off-scale values drawn at the right)")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    return _save(fig, path)


def _readable_ticks(ax: Any) -> None:
    """At most 5 ticks per axis, in scientific notation outside 1e-3..1e3 (the exponent once,
    at the axis end), x labels tilted: small ranges such as -0.005..0.005 otherwise print
    labels that run into each other."""
    from matplotlib.ticker import MaxNLocator

    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(nbins=5))
    ax.ticklabel_format(style="sci", axis="both", scilimits=(-2, 3), useMathText=True)
    ax.tick_params(axis="x", labelrotation=30)


def divergence(report: Findings, scatter: Path, heatmap: Path) -> list[str]:
    """Scatter and difference heatmap of the first divergent tensor."""
    plt = _plt()
    d = report.first_divergence
    ev = None if d is None else report.rows[d.row].evidence
    if ev is None or ev.yours is None:
        return []
    a, b = np.asarray(ev.yours, np.float64), np.asarray(ev.torch, np.float64)
    title = f"{d.stage} {report.rows[d.row].label}" if d else ""
    fig, ax = plt.subplots(figsize=(5, 4.5))
    if a.shape != b.shape:
        ax.text(0.5, 0.5, f"shapes differ:\nyours {a.shape}, torch {b.shape}", ha="center")
        ax.set_axis_off()
        return [_save(fig, scatter)]
    ax.scatter(b.ravel(), a.ravel(), s=6, alpha=0.6)
    lim = [float(min(a.min(), b.min())), float(max(a.max(), b.max()))]
    ax.plot(lim, lim, color="k", lw=1, label="yours = torch")
    tt = float(b.ravel() @ b.ravel())
    if tt > 0:
        ax.set_title(f"{title}\nslope {float(b.ravel() @ a.ravel()) / tt:.4g}", fontsize=9)
    ax.set_xlabel("torch")
    ax.set_ylabel("yours")
    _readable_ticks(ax)
    ax.legend(fontsize=7)
    out = [_save(fig, scatter)]
    diff = (a - b).reshape(1, -1) if a.ndim < 2 else (a - b).reshape(a.shape[0], -1)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    lim2 = float(np.abs(diff).max()) or 1.0
    im = ax.imshow(
        diff, cmap="RdBu_r", vmin=-lim2, vmax=lim2, aspect="auto", interpolation="nearest"
    )
    fig.colorbar(im, ax=ax, label="yours - torch")
    ax.set_title(f"{title}: difference", fontsize=9)
    out.append(_save(fig, heatmap))
    return out


def loss_curves(report: Findings, path: Path) -> str:
    """Both loss curves and their per-step absolute difference (log axis)."""
    plt = _plt()
    yours, torch = report.curves["yours"], report.curves["torch"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5), sharex=True)
    top.plot(np.arange(len(yours)), yours, **YOURS)
    top.plot(np.arange(len(torch)), torch, **TORCH)
    top.set_ylabel("loss")
    top.legend(fontsize=8)
    n = min(len(yours), len(torch))
    diff = np.abs(np.asarray(yours[:n]) - np.asarray(torch[:n]))
    bottom.semilogy(np.arange(n), np.maximum(diff, 1e-18), color="#2ca02c", label="|yours - torch|")
    bottom.set_xlabel("step")
    bottom.set_ylabel("|difference|")
    bottom.legend(fontsize=8)
    return _save(fig, path)


def write_figures(report: Findings, fig_dir: Path) -> list[str]:
    """Every figure that applies to ``report``; paths relative to the output directory."""
    fig_dir.mkdir(parents=True, exist_ok=True)
    if not report.rows:
        return []
    out = [scaled_errors(report, fig_dir / "scaled_error.png")]
    out += divergence(
        report, fig_dir / "divergence_scatter.png", fig_dir / "divergence_heatmap.png"
    )
    if report.curves:
        out.append(loss_curves(report, fig_dir / "loss_curves.png"))
    return out
