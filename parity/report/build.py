"""``generate``: start the measurements, render every section in order, publish the report
atomically."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from parity._util.publish import output_dir
from parity._util.threads import limit_threads
from parity.report.context import ReportContext, ReportOptions, ReportResult, Section
from parity.report.environment import environment_section
from parity.report.jobs import Batch, worker_pool
from parity.report.render import render, timings_section
from parity.report.sections.activations import activations_section
from parity.report.sections.claims import claims_batch, claims_section
from parity.report.sections.curves import curves_section
from parity.report.sections.datasets import datasets_batch, datasets_section
from parity.report.sections.grid import (
    digits_line,
    every_cell_section,
    grid_batch,
    measure_grid,
    report_cells,
    worst_errors_section,
)
from parity.report.sections.performance import performance_section

# the report's sections in the order they appear (and run); Timings, which needs every
# other section's time, is appended by ``run_sections``. Performance and Timings, the measured
# times, come last (``strip_timings`` keeps what is before them).
SECTIONS: tuple[Callable[[ReportContext], Section], ...] = (
    worst_errors_section,
    curves_section,
    activations_section,
    datasets_section,
    claims_section,
    every_cell_section,
    environment_section,
    performance_section,
)
# the measurements the sections collect by name, in the order the workers take them up: the
# grid first (the first sections need it), the claims (one long call) before the dataset runs
MEASUREMENTS: tuple[tuple[str, Callable[[ReportContext], Batch[Any]]], ...] = (
    ("grid", grid_batch),
    ("claims", claims_batch),
    ("datasets", datasets_batch),
)


def run_sections(ctx: ReportContext) -> list[Section]:
    """Start every measurement on ``ctx.workers``, collect the grid into ``ctx``, then run
    every section of ``SECTIONS`` in order, then Timings."""
    for name, start in MEASUREMENTS:
        ctx.started[name] = start(ctx)
    measure_grid(ctx)
    sections = [section(ctx) for section in SECTIONS]
    ctx.finish_pending()  # (the Performance section has waited for them already)
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

    ``options.out`` is checked (empty, or an earlier report's: ``parity._util.publish``) and
    locked before any work; the sections draw into a staging directory beside it, which
    replaces it by rename once the Markdown is written: an interrupted run leaves the
    previous report intact. ``options.device`` must already be resolved (``cpu`` or
    ``cuda[:N]``, not ``auto``). With ``options.jobs`` > 1 the grid, the dataset runs and
    the claims run in that many worker processes (``parity.report.jobs``); the report is the
    same. Progress goes to ``stream`` (None: silent).
    """
    import torch_impl

    out = Path(options.out)
    with (
        output_dir(out, "--out", "report") as staging,
        limit_threads(options.threads),
        torch_impl.parity_mode(options.device),
        worker_pool(options.jobs, threads=options.threads, device=options.device) as workers,
    ):
        staged = staging.staged
        ctx = ReportContext(options, staged / "figures", stream, workers)
        ctx.figures.mkdir()
        sections = run_sections(ctx)
        result = result_of(ctx, out / "REPORT.md")
        digits = digits_line(ctx.grid, options.dtypes)
        markdown = render(options, result, sections, digits)
        (staged / "REPORT.md").write_text(markdown, encoding="utf-8")
        staging.commit()
    return result
