"""The seed's claims section: the claim experiments' verdicts in one table, then each claim's
own Markdown (its figure, table and prose) under its title."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from ..._util.progress import Progress
from ..context import ReportContext, Section


class Claim(Protocol):
    """What the report reads of one claim's outcome (``ClaimSection`` of the experiments)."""

    title: str
    markdown: str
    passed: bool


def run_claims(
    figures: Path, *, quick: bool, seed: int, progress: Callable[[int, int], None]
) -> Sequence[Claim]:
    """The claim experiments (``run_claims`` of the experiments layer), imported when the
    report runs them: they import torch and matplotlib."""
    from ...experiments.claims import run_claims as run_experiments

    return run_experiments(figures, quick=quick, seed=seed, progress=progress)


def _section(ctx: ReportContext) -> Section:
    with Progress("claims", 1, ctx.stream) as bar:
        found = run_claims(ctx.figures, quick=ctx.quick, seed=ctx.options.seed, progress=bar)
    ctx.claims = [bool(s.passed) for s in found]
    table = [
        "Experiments testing what the seed claims about activations and training "
        "(`parity/claims.py`)." + (" With `--quick` they are shortened." if ctx.quick else ""),
        "",
        "| claim | verdict |",
        "|---|---|",
    ]
    table += [f"| {s.title} | {'holds' if s.passed else '**does not hold**'} |" for s in found]
    bodies = [f"### {s.title}\n\n{s.markdown.strip()}" for s in found]
    body = "\n\n".join(["\n".join(table), *bodies])
    return Section("The seed's claims", "the seed's claims", body)


def claims_section(ctx: ReportContext) -> Section:
    """Run the claim experiments (their verdicts into ``ctx.claims``) and list them."""
    return ctx.timed("claims", lambda: _section(ctx))
