"""The bench's figure: time per training step against network size, log-log, one panel per
dtype, with the GEMM peak (the step's matrix products alone) as the floor every step sits on.
Each line is the median over the interleaved rounds; a band of its colour spans the fastest
to the slowest round (the GEMM peak's, whose line is its fastest round, too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parity._util.style import SCRATCH, TORCH, save_figure, use_agg
from parity.experiments.bench import DTYPES, BenchResult, BenchRow

STYLES: dict[str, dict[str, Any]] = {
    "scratch": {**SCRATCH, "marker": "o"},
    "fused": {"color": "#2ca02c", "linestyle": "-.", "marker": "s", "label": "fused NumPy"},
    "torch": {**TORCH, "marker": "^", "label": "torch CPU"},
    "torch_cuda": {"color": "#d62728", "linestyle": "--", "marker": "v", "label": "torch CUDA"},
    "sklearn": {"color": "#9467bd", "linestyle": ":", "marker": "D", "label": "scikit-learn"},
    "gemm": {"color": "black", "linestyle": "--", "marker": "", "label": "GEMM peak (GEMMs alone)"},
}


def spread(rows: list[BenchRow], who: str) -> tuple[list[float], list[float]] | None:
    """The fastest and slowest round of ``who`` at each of ``rows``, in ms (None when a row
    kept no rounds of ``who``)."""
    if not all(r.rounds.get(who) for r in rows):
        return None
    return [1e3 * min(r.rounds[who]) for r in rows], [1e3 * max(r.rounds[who]) for r in rows]


def plot_bench(result: BenchResult, path: Path) -> None:
    """Draw ``result`` to ``path`` (PNG): per dtype, ms per step of every contestant against
    the network's parameter count, both axes logarithmic, each with a band from its fastest
    to its slowest round (``spread``) where the rows kept their rounds."""
    plt = use_agg()
    dtypes = [d for d in DTYPES if any(r.dtype == d for r in result.rows)]
    fig, axes = plt.subplots(1, len(dtypes), figsize=(5.5 * len(dtypes), 4.2), squeeze=False)
    for ax, dtype in zip(axes[0], dtypes, strict=True):
        rows = sorted((r for r in result.rows if r.dtype == dtype), key=lambda r: r.parameters)
        x = [r.parameters for r in rows]
        for who, style in STYLES.items():
            if rows and who in rows[0].seconds:
                ax.plot(x, [1e3 * r.seconds[who] for r in rows], **style)
                band = spread(rows, who)
                if band is not None:
                    ax.fill_between(x, *band, color=style["color"], alpha=0.18, lw=0)
        for r in rows:
            ax.annotate(r.config, (r.parameters, 1e3 * r.seconds["gemm"]), fontsize=8,
                        textcoords="offset points", xytext=(0, -12), ha="center")  # fmt: skip
        title = f"one training step, {dtype}"
        if any(r.rounds for r in rows):
            title += f"\n(line: median of {result.repeats} rounds; band: fastest to slowest)"
        ax.set(xscale="log", yscale="log", xlabel="parameters", ylabel="ms per step",
               title=title)  # fmt: skip
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
