"""The bench as a page: the tables, the speed goals with their verdicts, the figure,
and the report's Performance section, all from one ``BenchResult``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from parity.experiments.bench import (
    CONFIGS,
    DTYPES,
    FUSED_GOALS,
    BenchResult,
    BenchRow,
    run_bench,
)

FIGURE = "bench.png"
GOALS_TITLE = "Speed goals"  # the heading of the goals table
NAMES = {"scratch": "scratch", "fused": "fused NumPy", "torch": "torch CPU",
         "torch_cuda": "torch CUDA", "sklearn": "scikit-learn", "gemm": "GEMMs alone"}  # fmt: skip


def _ms(seconds: float) -> str:
    """Milliseconds, three significant digits (whole ones from 100 ms up, never an exponent)."""
    ms = 1e3 * seconds
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.3g}"


def _ratio(value: float) -> str:
    """Two decimals; two significant digits below 0.1 (0.0027, not 0.00)."""
    return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"


def _columns(result: BenchResult) -> list[str]:
    """The contestants of this run, in the tables' order."""
    torch = ["torch"] + (["torch_cuda"] if "cuda" in result.devices else [])
    return ["scratch", "fused", *torch, "sklearn", "gemm"]


def table(result: BenchResult, dtype: str) -> str:
    """One dtype's rows: milliseconds per step of every contestant, then scratch's ratios to
    each and the GEMM peak's share of the scratch and fused steps."""
    who = _columns(result)
    others = [w for w in who if w not in ("scratch", "gemm")]
    head = (
        ["size", "network", "batch"]
        + [f"{NAMES[w]} (ms)" for w in who]
        + [f"scratch / {NAMES[w]}" for w in others]
        + ["GEMM share: scratch", "GEMM share: fused", "GEMM GFLOP/s"]
    )
    lines = ["| " + " | ".join(head) + " |", "|---|---|---:" + "|---:" * (len(head) - 3) + "|"]
    for r in (r for r in result.rows if r.dtype == dtype):
        cells = [r.config, "-".join(map(str, r.widths)), str(r.batch)]
        cells += [_ms(r.seconds[w]) for w in who]
        cells += [_ratio(r.ratio(w)) for w in others]
        cells += [f"{r.peak_share():.0%}", f"{r.peak_share('fused'):.0%}", f"{r.gflops:.3g}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Goal:
    """One speed goal: a measure of a row, and the bound it must meet where it applies
    (``bound(row)`` is None where the goal says nothing about that row)."""

    name: str
    measure: Callable[[BenchRow], float]
    bound: Callable[[BenchRow], float | None]
    at_most: bool  # True: measure <= bound; False: measure >= bound
    show: Callable[[float], str]

    def met(self, row: BenchRow) -> bool | None:
        b = self.bound(row)
        if b is None:
            return None
        value = self.measure(row)
        return value <= b if self.at_most else value >= b

    def spread(self, row: BenchRow) -> tuple[float, float] | None:
        """The lowest and highest of the measure over the row's rounds (``None`` without
        rounds): how far one round's blocks, run side by side, can move it."""
        values = [self.measure(r) for r in row.each_round()]
        return (min(values), max(values)) if values else None

    def cell(self, row: BenchRow) -> tuple[str, bool | None, bool]:
        """``(text, met, within)``: the measure with its mark and, with rounds, its spread
        (``1.16 ✗ (1.09–1.21)``); ``within`` is true when the bound lies inside the spread
        (met or missed within this run's round-to-round noise)."""
        verdict, b, spread = self.met(row), self.bound(row), self.spread(row)
        text = self.show(self.measure(row))
        if verdict is not None:
            text += " ✓" if verdict else " ✗"
        within = False
        if spread is not None:
            text += f" ({self.show(spread[0])}–{self.show(spread[1])})"
            within = b is not None and spread[0] <= b <= spread[1]
        return text, verdict, within


# The one speed goal of plain scratch (clarity first): the price of writing each layer's
# forward and backward plainly, against the hand-fused step; tiny and small are reported,
# not gated (there a step is overhead, not arithmetic).
GOALS = (
    Goal("scratch / fused NumPy step <= "
         + ", ".join(f"{bound} ({n})" for n, bound in FUSED_GOALS.items()),
         lambda r: r.ratio("fused"), lambda r: FUSED_GOALS.get(r.config), True, _ratio),
)  # fmt: skip


SPREAD_NOTE = (
    "A goal's measure is the table's; in parentheses, its lowest and highest value "
    "over the rounds, each from one round's blocks, run side by side. A bound inside that "
    "range is met or missed within this machine's round-to-round noise; the last column "
    "counts the misses among such cells."
)


# reported, not gated: scratch against torch, how much of the GEMM peak it reaches, the tiny
# step's time, and what the NumPy yardsticks themselves reach against torch (float32)
REFERENCES = (
    Goal("for reference: scratch / torch CPU step (float32)",
         lambda r: r.ratio("torch"), lambda r: None, True, _ratio),
    Goal("for reference: share of the GEMM peak (float32)", BenchRow.peak_share,
         lambda r: None, False, lambda v: f"{v:.0%}"),
    Goal("for reference: scratch step time (float32)", lambda r: r.seconds["scratch"],
         lambda r: None, True,
         lambda v: f"{v * 1e6:.3g} µs" if v < 1e-3 else f"{v * 1e3:.3g} ms"),
    Goal("for reference: fused NumPy / torch CPU step (float32)",
         lambda r: r.ratio("torch", "fused"), lambda r: None, True, _ratio),
    Goal("for reference: GEMMs alone / torch CPU step (float32)",
         lambda r: r.seconds["gemm"] / r.seconds["torch"], lambda r: None, True, _ratio),
)  # fmt: skip


def goals_table(result: BenchResult) -> str:
    """One row per goal and dtype: the measure at every size (a mark where the goal applies:
    ✓ met, ✗ not met; with rounds, its spread over them), how many of its cells are met and
    how many of the misses lie within the spread."""
    names = list(dict.fromkeys(r.config for r in result.rows))
    lines = [
        "| goal | dtype | " + " | ".join(names) + " | met |",
        "|---|---|" + "---:|" * len(names) + "---|",
    ]
    for goal in GOALS:
        for dtype in dict.fromkeys(r.dtype for r in result.rows):
            rows = {r.config: r for r in result.rows if r.dtype == dtype}
            cells = [goal.cell(rows[n]) for n in names]
            judged = [(v, within) for _, v, within in cells if v is not None]
            if not judged:
                continue
            hits = sum(v for v, _ in judged)
            met = "yes" if hits == len(judged) else f"{hits} of {len(judged)}"
            noisy = sum(within for v, within in judged if not v)
            if noisy:
                met += f"; {noisy} miss{'es' if noisy > 1 else ''} within the spread"
            texts = " | ".join(text for text, _, _ in cells)
            lines.append(f"| {goal.name} | {dtype} | {texts} | {met} |")
    rows32 = {r.config: r for r in result.rows if r.dtype == "float32" and "torch" in r.seconds}
    if len(rows32) == len(names):
        for ref in REFERENCES:
            texts = " | ".join(ref.cell(rows32[n])[0] for n in names)
            lines.append(f"| {ref.name} | float32 | {texts} | – |")
    return "\n".join(lines)


def render(result: BenchResult, *, figure: str | None = None) -> str:
    """The whole page as Markdown: how it ran, one table per dtype, the goals, the figure."""
    parts = [
        f"One training step (ReLU MLP, softmax cross-entropy, plain SGD), median of "
        f"{result.repeats} interleaved rounds; {result.environment}. Milliseconds per step "
        "beside the ratios: the ratios repeat from run to run, the absolute times do not. "
        "A ratio is the median over the rounds of the two steps' ratio within one round (a "
        "round that finds the machine slower slows both, and cancels). "
        "A ratio < 1 means scratch is faster. The GEMM peak is the best round of the step's "
        "matrix products alone; a step's GEMM share is that time over the step's. Load "
        f"average {result.load[0]:.2f} at the start, {result.load[1]:.2f} at the end: other "
        "processes on these cores slow the multi-threaded steps (torch's most) and void a run.",
    ]
    for dtype in (d for d in DTYPES if any(r.dtype == d for r in result.rows)):
        parts += [f"**{dtype}**", table(result, dtype)]
    parts += [f"**{GOALS_TITLE}**", goals_table(result)]
    if any(r.rounds for r in result.rows):
        parts.append(SPREAD_NOTE)
    if figure is not None:
        if any(r.rounds for r in result.rows):
            parts.append(
                "In the figure each line is a median over the rounds and the band of its "
                "colour spans its fastest to its slowest round."
            )
        parts.append(f"![time per step against network size, with the GEMM peak]({figure})")
    return "\n\n".join(parts)


def write_page(result: BenchResult, directory: Path) -> None:
    """``BENCH.md`` and ``bench.png`` into ``directory`` (``nn-parity bench --out`` stages
    them and publishes both at once: ``parity._util.publish``)."""
    from parity.experiments.roofline import plot_bench

    plot_bench(result, Path(directory) / FIGURE)
    (Path(directory) / "BENCH.md").write_text(
        render(result, figure=FIGURE) + "\n", encoding="utf-8"
    )


@dataclass(frozen=True)
class PerformancePage:
    """The report's Performance section: its Markdown (linking ``figures/bench.png``) and the
    figure's path."""

    markdown: str
    figure: Path


def performance_section(
    figures: Path,
    *,
    quick: bool = False,
    device: str = "cpu",
    threads: int | None = None,
    names: Sequence[str] = tuple(CONFIGS),
) -> PerformancePage:
    """Run the bench and draw its figure into ``figures``: the report's Performance section
    (the same tables, goals and figure as ``nn-parity bench --out``)."""
    from parity.experiments.roofline import plot_bench

    result = run_bench(
        names, repeats=3 if quick else 5, device=device, quick=quick, threads=threads
    )
    path = Path(figures) / FIGURE
    path.parent.mkdir(parents=True, exist_ok=True)
    plot_bench(result, path)
    return PerformancePage(render(result, figure=f"figures/{FIGURE}"), path)
