"""``generate``: run the grid, render every section in order, publish the report atomically."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .._util.atomic import publish, staging_dir
from .context import ReportContext, ReportOptions, ReportResult, Section
from .environment import environment_section
from .render import render, timings_section
from .sections.activations import activations_section
from .sections.claims import claims_section
from .sections.curves import curves_section
from .sections.datasets import datasets_section
from .sections.grid import every_cell_section, measure_grid, report_cells, worst_errors_section

# the report's sections in the order they appear (and run); Timings, which needs every
# other section's time, is appended by ``run_sections``
SECTIONS: tuple[Callable[[ReportContext], Section], ...] = (
    worst_errors_section,
    curves_section,
    activations_section,
    datasets_section,
    claims_section,
    every_cell_section,
    environment_section,
)


def run_sections(ctx: ReportContext) -> list[Section]:
    """Run the grid into ``ctx``, then every section of ``SECTIONS`` in order, then Timings."""
    measure_grid(ctx)
    sections = [section(ctx) for section in SECTIONS]
    ctx.seconds["total"] = sum(ctx.seconds.values())
    return [*sections, timings_section(ctx.seconds)]


def result_of(ctx: ReportContext, path: Path) -> ReportResult:
    """The verdicts the sections left in ``ctx``, for the report at ``path``."""
    options = ctx.options
    return ReportResult(
        path=path,
        cells=len(ctx.grid),
        cells_failed=sum(not r.ok for r in ctx.grid),
        datasets_failed=sum(not r.result.ok for r in ctx.datasets),
        claims_failed=sum(not v for v in ctx.claims),
        seconds=ctx.seconds,
        grid_cells=len(report_cells(ctx.device, options.dtypes, seed=options.seed)),
        datasets=len(ctx.datasets),
        claims=len(ctx.claims),
    )


def generate(options: ReportOptions, *, stream: TextIO | None = sys.stderr) -> ReportResult:
    """Run every section and publish ``REPORT.md`` and ``figures/`` into ``options.out``.

    The sections draw into a staging directory next to ``options.out``, which replaces it by
    rename once the Markdown is written (``parity._util.atomic``): an interrupted run leaves
    the previous report intact. ``options.device`` must already be resolved (``cpu`` or
    ``cuda[:N]``, not ``auto``). Progress goes to ``stream`` (None: silent).
    """
    import torch_impl

    out = Path(options.out)
    with staging_dir(out) as staged, torch_impl.parity_mode(options.device):
        ctx = ReportContext(options, staged / "figures", stream)
        ctx.figures.mkdir()
        sections = run_sections(ctx)
        result = result_of(ctx, out / "REPORT.md")
        (staged / "REPORT.md").write_text(render(options, result, sections), encoding="utf-8")
        publish(staged, out)
    return result
