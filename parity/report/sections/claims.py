"""The seed's claims section: the claim experiments' verdicts in one table, then each claim's
own Markdown (its figure, table and prose) under its title."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Protocol

from parity.report.context import ReportContext, Section
from parity.report.jobs import Batch


class Claim(Protocol):
    """What the report reads of one claim's outcome (``ClaimSection`` of the experiments)."""

    title: str
    markdown: str
    passed: bool


def run_claims(
    figures: Path,
    *,
    quick: bool,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> Sequence[Claim]:
    """The claim experiments (``run_claims`` of the experiments layer), imported when the
    report runs them: they import torch and matplotlib."""
    from parity.experiments.claims import run_claims as run_experiments

    return run_experiments(figures, quick=quick, seed=seed, progress=progress)


def claims_batch(ctx: ReportContext) -> Batch[Sequence[Claim]]:
    """The claim experiments as one call, drawing into ``ctx.figures``, started on
    ``ctx.workers``."""
    run = partial(run_claims, quick=ctx.quick, seed=ctx.options.seed)
    return ctx.workers.start(run, [(ctx.figures,)], progress=True)


def _section(found: Sequence[Claim], *, quick: bool) -> Section:
    table = [
        "Experiments testing what the seed claims about activations and training "
        "(`parity/experiments/claims/`, one module per claim)."
        + (" With `--quick` they are shortened." if quick else ""),
        "",
        "| claim | verdict |",
        "|---|---|",
    ]
    table += [f"| {s.title} | {'holds' if s.passed else '**does not hold**'} |" for s in found]
    bodies = [f"### {s.title}\n\n{s.markdown.strip()}" for s in found]
    body = "\n\n".join(["\n".join(table), *bodies])
    return Section("The seed's claims", "the seed's claims", body)


def claims_section(ctx: ReportContext) -> Section:
    """The claim experiments' results (their verdicts into ``ctx.claims``), listed."""
    (found,) = ctx.collect("claims", claims_batch)
    ctx.claims = [bool(s.passed) for s in found]
    return _section(found, quick=ctx.quick)
