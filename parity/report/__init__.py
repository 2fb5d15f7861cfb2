"""``nn-parity report``: the parity grid, training curves, activations, datasets and claims,
written as ``REPORT.md`` plus ``figures/*.png``.

The report is a list of sections that render in order (``build.SECTIONS``): each is a
function of one shared :class:`ReportContext` that draws its figures and returns a
:class:`Section` (title, Markdown, figures); the contents line links each section by the
anchor derived from its title.

- ``sections.grid``: ``parity.harness.grid.check_cell`` over
  ``parity.harness.grid.grid_cells`` (or a
  representative subset with fewer steps for ``--quick``): the worst error per dtype and
  quantity against its tolerance and reason, and at the end one row per cell;
- ``sections.curves``: per-step loss of both sides and their absolute difference, per
  activation/task;
- ``sections.activations``: every activation and its derivative, scratch's backward vs torch
  autograd;
- ``sections.datasets``: decision boundaries of both sides on the 2-D sets, test metrics
  everywhere;
- ``sections.claims``: the seed's claim experiments (``run_claims``);
- ``environment``: versions, BLAS, threads, device, and the exact command;
- ``sections.performance``: ``nn-parity bench``'s page in its quick configuration (the
  bench's own code), measured now;
- ``render``: the header, the Timings section and the Markdown of the whole report.

The grid, the dataset runs and the claims are *measurements* (``jobs.Batch``), all started
before the first section runs, on ``ReportOptions.jobs`` worker processes or, with one job,
in this process when their section collects them (``jobs``); either way the report is the
same. ``generate(ReportOptions(...))`` renders the Markdown and the figures into a staging
directory next to the destination and publishes them by rename (``parity._util.publish``),
so an interrupted run leaves the previous report intact; an existing destination must be
empty or an earlier report's. Every number in the report is a
function of the options (same seed, same machine, same numbers), except the measured times,
which live in the report's last two sections, Performance and Timings, and its figure
``bench.png`` (``MEASURED_FIGURES``), and nowhere else: ``strip_timings`` removes them.

matplotlib and torch are imported inside the functions that need them.
"""

from parity._util.plots import CURVE_FLOOR, plot_loss_difference
from parity._util.style import use_agg
from parity.report.build import SECTIONS, generate, run_sections
from parity.report.context import ReportContext, ReportOptions, ReportResult, Section, anchor
from parity.report.environment import environment, environment_section, torch_cpu_blas
from parity.report.jobs import Batch, Workers, worker_pool
from parity.report.render import MEASURED_SECTIONS, render, strip_timings, timings_section
from parity.report.sections.activations import (
    ACTIVATION_FORMULAS,
    activation_curves,
    activations_section,
)
from parity.report.sections.boundary import MESH, plot_boundary
from parity.report.sections.claims import claims_section
from parity.report.sections.curves import curves_section, plot_curves
from parity.report.sections.datasets import (
    BOUNDARY_DATASETS,
    DATASET_SPECS,
    QUICK_EPOCH_DIVISOR,
    DatasetRun,
    dataset_specs,
    datasets_section,
    run_dataset,
    run_datasets,
)
from parity.report.sections.grid import (
    KIND_LABELS,
    QUICK_CELLS,
    QUICK_MIN_STEPS,
    TABLE_KINDS,
    every_cell_section,
    report_cells,
    run_grid,
    worst_errors_section,
)
from parity.report.sections.performance import MEASURED_FIGURES, QUICK_CONFIGS, performance_section

__all__ = [
    "ACTIVATION_FORMULAS",
    "BOUNDARY_DATASETS",
    "CURVE_FLOOR",
    "DATASET_SPECS",
    "KIND_LABELS",
    "MEASURED_FIGURES",
    "MEASURED_SECTIONS",
    "MESH",
    "QUICK_CELLS",
    "QUICK_CONFIGS",
    "QUICK_EPOCH_DIVISOR",
    "QUICK_MIN_STEPS",
    "SECTIONS",
    "TABLE_KINDS",
    "Batch",
    "DatasetRun",
    "ReportContext",
    "ReportOptions",
    "ReportResult",
    "Section",
    "Workers",
    "activation_curves",
    "activations_section",
    "anchor",
    "claims_section",
    "curves_section",
    "dataset_specs",
    "datasets_section",
    "environment",
    "environment_section",
    "every_cell_section",
    "generate",
    "performance_section",
    "plot_boundary",
    "plot_curves",
    "plot_loss_difference",
    "render",
    "report_cells",
    "run_dataset",
    "run_datasets",
    "run_grid",
    "run_sections",
    "strip_timings",
    "timings_section",
    "torch_cpu_blas",
    "use_agg",
    "worker_pool",
    "worst_errors_section",
]
