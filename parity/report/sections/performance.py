"""The Performance section: ``nn-parity bench``'s tables, speed goals and figure, from
the bench's own code (``parity.experiments.bench_page.performance_section``), measured while
the report is generated.

Its numbers are timings: like the Timings section's they change from run to run, so it is
the last section before Timings and ``strip_timings`` removes both, and its figure
(``MEASURED_FIGURES``) is the one figure that differs between regenerations. To take seconds,
not minutes, it runs the bench's quick configuration (short timed blocks, 3 interleaved
rounds) on every size of ``nn-parity bench``, with every core as the bench does; with
``--quick``, on the two smallest sizes only.
"""

from __future__ import annotations

import os
from pathlib import Path

from parity.experiments.bench_page import FIGURE
from parity.report.context import ReportContext, Section

TITLE = "Performance"
MEASURED_FIGURES = (FIGURE,)  # figures drawn from timings: they differ between regenerations
QUICK_CONFIGS = ("tiny", "small")  # the bench's sizes a --quick report measures


def measure_performance(figures: Path, *, quick: bool, device: str) -> str:
    """The bench's page as Markdown, its figure drawn into ``figures`` (linked as
    ``figures/bench.png``): quick configuration, every core, torch on ``device`` (``cpu``;
    ``cuda``: also on the GPU); the ``QUICK_CONFIGS`` sizes with ``quick``, all otherwise."""
    from parity.experiments.bench import CONFIGS
    from parity.experiments.bench_page import performance_section as bench_section

    names = QUICK_CONFIGS if quick else tuple(CONFIGS)
    bench_device = "cuda" if device.startswith("cuda") else "cpu"
    page = bench_section(
        figures, quick=True, device=bench_device, threads=os.cpu_count() or 1, names=names
    )
    return page.markdown


def performance_section(ctx: ReportContext) -> Section:
    """What ``nn-parity bench --quick`` measures, measured now, under a note on how."""
    sizes = "the tiny and small sizes only (`--quick`)" if ctx.quick else "every size"
    intro = (
        "`nn-parity bench`'s page, from the bench's own code, measured while this report was "
        f"generated: the bench's quick configuration on {sizes}, with every core, as "
        "`nn-parity bench --quick` measures; run `nn-parity bench` for the full measurement. "
        "**Like the Timings below, these numbers and the figure `figures/bench.png` change "
        "from run to run**: regenerating the report on the same machine changes this section, "
        "that figure and the Timings, and nothing else (`parity.report.strip_timings` removes "
        "both sections)."
    )
    ctx.finish_pending()  # every figure drawn before the machine is timed
    markdown = ctx.timed(
        "performance", lambda: measure_performance(ctx.figures, quick=ctx.quick, device=ctx.device)
    )
    return Section(TITLE, "performance", f"{intro}\n\n{markdown}")
