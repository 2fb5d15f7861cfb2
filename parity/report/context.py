"""The records the report's parts share.

- ``ReportOptions``: what ``nn-parity report`` was asked for;
- ``ReportContext``: what every section reads (options, the figures directory, the workers,
  the measurements started and the grid's results) and what the measuring sections leave
  behind for the report's verdict;
- ``Section``: one rendered section, ``(title, markdown, figures)``, its anchor derived from
  its title;
- ``ReportResult``: what ``generate`` returns.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from parity.report.jobs import JOBS_MEANING, Batch, Workers, check_count

if TYPE_CHECKING:
    from parity.harness.grid import CellResult
    from parity.harness.outcome import ParityResult
    from parity.spec import RunSpec

T = TypeVar("T")

_FIGURE_LINK = re.compile(r"\]\(figures/([^)\s]+)\)")


@dataclass(frozen=True)
class ReportOptions:
    """What ``nn-parity report`` was asked for; ``command`` is printed in the report.

    ``jobs`` worker processes share the measurements (1: none, all in this process) and
    every process runs torch and BLAS with ``threads`` threads; neither changes the report.
    """

    out: Path = Path("out/report")
    quick: bool = False
    device: str = "cpu"
    dtypes: tuple[str, ...] = ("float64", "float32")
    seed: int = 0
    command: str = "nn-parity report"
    jobs: int = 1
    threads: int = 1

    def __post_init__(self) -> None:
        check_count("jobs", self.jobs, JOBS_MEANING)
        check_count("threads", self.threads, "torch and BLAS threads in every process")


def anchor(title: str) -> str:
    """The anchor GitHub gives the heading ``title``: lower case, punctuation other than
    ``-`` and ``_`` dropped, spaces turned into hyphens (``"The seed's claims"`` ->
    ``"the-seeds-claims"``)."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


@dataclass(frozen=True)
class Section:
    """One section of the report: ``## title`` over ``body`` (Markdown).

    ``label`` names the section in the report's contents line, which links to ``anchor``.
    """

    title: str
    label: str
    body: str

    @property
    def anchor(self) -> str:
        """The heading's anchor, derived from the title (see :func:`anchor`)."""
        return anchor(self.title)

    @property
    def markdown(self) -> str:
        """The section as it appears in the report: heading, blank line, body."""
        return f"## {self.title}\n\n{self.body}"

    @property
    def figures(self) -> tuple[str, ...]:
        """The file names of the figures the body shows (``![...](figures/NAME)``), in order."""
        return tuple(_FIGURE_LINK.findall(self.body))


@dataclass
class ReportContext:
    """What the sections share while the report is generated.

    ``figures`` is the directory the sections draw into (the report links it as
    ``figures/``). ``workers`` run the measurements; ``started`` holds those begun before
    the sections run, by the name their section collects them under (:meth:`collect`);
    ``pending`` those a section started for later, figures drawn on the workers while this
    process goes on (:meth:`finish_pending`, before the machine is timed).
    ``generate`` fills ``grid`` before the sections run; the datasets section leaves its runs
    in ``datasets`` and the claims section its verdicts in ``claims``, for the verdict at the
    top of the report. ``timed`` records seconds per step, in order, for the Timings section.
    """

    options: ReportOptions
    figures: Path
    stream: TextIO | None = sys.stderr
    workers: Workers = field(default_factory=Workers)
    started: dict[str, Batch[Any]] = field(default_factory=dict)
    pending: dict[str, Batch[Any]] = field(default_factory=dict)
    grid: list[CellResult] = field(default_factory=list)
    datasets: list[DatasetRun] = field(default_factory=list)
    claims: list[bool] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def device(self) -> str:
        """The resolved device the torch side runs on (``cpu`` or ``cuda[:N]``)."""
        return self.options.device

    @property
    def quick(self) -> bool:
        """Whether this is a ``--quick`` report."""
        return self.options.quick

    def timed(self, name: str, fn: Callable[[], T]) -> T:
        """``fn()``, its wall-clock seconds recorded under ``name``."""
        t0 = time.perf_counter()
        value = fn()
        self.seconds[name] = time.perf_counter() - t0
        return value

    def collect(self, name: str, start: Callable[[ReportContext], Batch[T]]) -> list[T]:
        """The results of the measurement ``name``, in order: the batch started earlier
        under that name, or ``start(self)`` now; the wait recorded under ``name``."""
        started = self.started.pop(name, None)
        batch: Batch[T] = start(self) if started is None else started
        return self.timed(name, lambda: batch.results(name, self.stream))

    def finish_pending(self) -> None:
        """Wait for every ``pending`` batch (a failure raised here), each wait recorded
        under its name; with one job, the calls run now."""
        while self.pending:
            name = next(iter(self.pending))
            batch = self.pending.pop(name)
            self.timed(name, partial(batch.results, name, self.stream))


@dataclass
class DatasetRun:
    """One dataset's parity run and what the report shows of it."""

    spec: RunSpec
    result: ParityResult


@dataclass
class ReportResult:
    """What ``generate`` produced: the report's path and the verdicts it holds.

    ``cells`` grid cells ran (of ``grid_cells`` in the full grid), ``datasets`` dataset runs
    and ``claims`` claim experiments; the ``*_failed`` counts say how many did not agree or
    hold.
    """

    path: Path
    cells: int
    cells_failed: int
    datasets_failed: int
    claims_failed: int
    seconds: dict[str, float] = field(default_factory=dict)
    grid_cells: int = 0
    datasets: int = 0
    claims: int = 0

    @property
    def ok(self) -> bool:
        return self.cells_failed == 0 and self.datasets_failed == 0
