"""The parity grid: which cells the report checks, running them, and its two sections.

``worst_errors``: the worst scaled error per dtype and kind of quantity against its tolerance
and the reason for the tolerance; ``every_cell``: one row per cell.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from parity._util.style import format_error
from parity.report.context import ReportContext, Section
from parity.report.jobs import Batch, Workers
from parity.tolerances import tolerance

if TYPE_CHECKING:
    from parity.compare import Comparison
    from parity.harness.grid import Cell, CellResult

QUICK_MIN_STEPS = 60  # training steps per grid cell with --quick (the full grid uses >= 500)
# --quick's representative cells: (activation, depth, head) x every requested dtype; together
# they cover every head, every depth and every activation (leaky_relu inside "mixed")
QUICK_CELLS = (
    ("tanh", "shallow", "binary"),
    ("sigmoid", "deep", "multiclass"),
    ("relu", "deep", "binary_bce"),
    ("mixed", "deep", "softmax_mse"),  # leaky_relu, tanh, sigmoid
    ("none", "nohidden", "regression"),
)
KIND_LABELS = {
    "forward": "forward outputs (logits, head output, loss)",
    "gradient": "gradients (every parameter and the input, at init and step 1)",
    "finite_difference": "each side vs central differences",
    "curve": "per-step training loss",
    "weights": "final weights and last-step gradients",
    "outputs": "test-set outputs after training",
}
TABLE_KINDS = ("forward", "gradient", "finite_difference", "curve", "weights", "outputs")
# the kinds that compare scratch with torch (finite differences compare each side with an
# approximation of its own gradient): what the report's digits of agreement are taken over
SIDE_KINDS = tuple(k for k in TABLE_KINDS if k != "finite_difference")
DIGITS_DEFINITION = (
    "A number of significant digits agreed is ⌊−log10 e⌋, where e is the largest scaled "
    "error (`max|scratch − torch|` over a tensor divided by the larger of `max|scratch|` and "
    "`max|torch|`) over every tensor the grid compares between the two sides in that dtype: "
    "forward outputs, gradients, loss curves, final weights and test outputs."
)


def report_cells(
    device: str, dtypes: Sequence[str], *, quick: bool = False, seed: int = 0
) -> list[Cell]:
    """The cells the report checks: ``grid_cells`` for ``device`` and ``dtypes``, or with
    ``quick`` the ``QUICK_CELLS`` among them; seeded with ``seed``."""
    from parity.harness.grid import grid_cells

    cells = grid_cells(devices=(device,), dtypes=tuple(dtypes), seed=seed)
    if quick:
        cells = [c for c in cells if (c.activation, c.depth, c.head) in QUICK_CELLS]
    return cells


def run_grid(
    cells: Sequence[Cell], *, min_steps: int | None = None, stream: TextIO | None = sys.stderr
) -> list[CellResult]:
    """``check_cell`` for every cell (``min_steps`` None: the grid's own number of steps)."""
    from parity.harness.grid import MIN_STEPS, check_cell

    batch = Workers().start(check_cell, [(cell, min_steps or MIN_STEPS) for cell in cells])
    return batch.results("grid", stream)


def grid_batch(ctx: ReportContext) -> Batch[CellResult]:
    """``check_cell`` over the report's cells (``QUICK_MIN_STEPS`` steps each with
    ``--quick``), started on ``ctx.workers``."""
    from parity.harness.grid import MIN_STEPS, check_cell

    options = ctx.options
    cells = report_cells(ctx.device, options.dtypes, quick=options.quick, seed=options.seed)
    steps = QUICK_MIN_STEPS if options.quick else MIN_STEPS
    return ctx.workers.start(check_cell, [(cell, steps) for cell in cells])


def measure_grid(ctx: ReportContext) -> None:
    """The grid's results, in the order of its cells, into ``ctx.grid``."""
    ctx.grid = ctx.collect("grid", grid_batch)


def worst_scaled_error(results: Sequence[CellResult], dtype: str) -> float | None:
    """The largest scaled error of any scratch-vs-torch comparison (``SIDE_KINDS``) in the
    cells of ``results`` of ``dtype``; None when no cell has that dtype."""
    errors = [
        c.scaled
        for r in results
        if r.cell.dtype == dtype
        for kind in SIDE_KINDS
        for c in r.comparisons.get(kind, [])
    ]
    return max(errors) if errors else None


def digits_agreed(error: float) -> int | None:
    """Significant digits on which two tensors agree when their scaled error is ``error``:
    ``floor(-log10(error))``, at least 0 (``2.4e-14`` -> 13, ``3e-5`` -> 4); None for 0,
    agreement to the last bit. A negative or non-finite ``error`` is a ValueError."""
    if not (math.isfinite(error) and error >= 0):
        raise ValueError(f"error must be a finite number >= 0, got {error!r}")
    if error == 0:
        return None
    return max(0, math.floor(-math.log10(error)))


def digits_line(results: Sequence[CellResult], dtypes: Sequence[str]) -> str:
    """The report's first line, ``float64: scratch and torch agree to 13 significant digits;
    float32: 4``, over the ``dtypes`` the grid ran (``worst_scaled_error``, ``digits_agreed``);
    empty without results."""
    agreed = []
    for dtype in dtypes:
        worst = worst_scaled_error(results, dtype)
        if worst is not None:
            agreed.append((dtype, digits_agreed(worst)))
    if not agreed:
        return ""
    (first, digits), rest = agreed[0], agreed[1:]
    text = f"{first}: scratch and torch agree " + (
        "bit for bit" if digits is None else f"to {digits} significant digits"
    )
    for dtype, digits in rest:
        text += f"; {dtype}: " + ("bit for bit" if digits is None else str(digits))
    return text


def _worst_by_kind(
    results: Sequence[CellResult],
) -> list[tuple[str, str, CellResult, Comparison]]:
    """(dtype, kind, cell result, comparison) of the largest scaled error per dtype and kind."""
    rows = []
    dtypes = sorted({r.cell.dtype for r in results}, reverse=True)  # float64 first
    for dtype in dtypes:
        for kind in TABLE_KINDS:
            worst = [(r, r.worst(kind)) for r in results if r.cell.dtype == dtype]
            found = [(r, c) for r, c in worst if c is not None]
            if found:  # max keeps the first of equal errors, in the grid's order
                rows.append((dtype, kind, *max(found, key=lambda rc: rc[1].scaled)))
    return rows


def worst_errors_section(ctx: ReportContext) -> Section:
    """The worst error of each kind of quantity over the grid, with its tolerance's reason."""
    worst = _worst_by_kind(ctx.grid)
    lines = [
        "Every error is *scaled*: `max|scratch − torch|` over a tensor divided by the larger "
        "of `max|scratch|` and `max|torch|` (a loss curve counts as one tensor), so a "
        "tolerance reads as digits of agreement whatever the tensor's size; max abs and max "
        "relative errors are measured too. The table gives, over the whole grid, the "
        "largest scaled error of each kind of quantity, where it occurred, and the "
        "tolerance it is judged against (`parity/tolerances.py`).",
        "",
        "| dtype | quantity | worst scaled error | cell: tensor | max abs | max rel | "
        "tolerance | tolerance / worst | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for dtype, kind, r, c in worst:
        factor = "∞" if c.scaled == 0 else f"{c.tol / c.scaled:.0e}×"
        lines.append(
            f"| {dtype} | {KIND_LABELS[kind]} | {format_error(c.scaled)} | "
            f"`{r.cell.id}`: `{c.name}` | "
            f"{format_error(c.max_abs)} | {format_error(c.max_rel)} | {c.tol:.0e} | {factor} | "
            f"{'ok' if c.ok else '**FAIL**'} |"
        )
    lines += ["", "Why each tolerance has its size:", ""]
    reasons: dict[str, list[str]] = {}
    for dtype, kind, _, _ in worst:
        reasons.setdefault(tolerance(kind, dtype, ctx.device).reason, []).append(f"{dtype} {kind}")
    for reason, where in reasons.items():
        lines.append(f"- **{', '.join(where)}**: {reason}")
    return Section("Worst error per dtype and quantity", "worst errors", "\n".join(lines))


def every_cell_section(ctx: ReportContext) -> Section:
    """One row per grid cell: its worst scaled error of each kind and its verdict."""
    steps = QUICK_MIN_STEPS if ctx.quick else None
    table = [
        "One row per cell: the activation of the hidden layers, the depth (`nohidden`: no "
        "hidden layer, i.e. linear/logistic/softmax regression; `shallow`: one layer of 64; "
        "`deep`: 8-1-8 with a width-1 bottleneck; `mixed` is leaky_relu, tanh, sigmoid), the "
        "head (output layer and loss), dtype and device. Each entry is the worst scaled error "
        "of that kind in the cell; `–` where a check does not apply (finite differences run "
        "in float64 only). Regression trains on `sine`, binary on `moons`, multiclass on "
        "`blobs` (128 samples, batches of 16, plain SGD lr 0.05), for "
        + (f"{steps} steps (`--quick`)." if steps else "at least 500 steps."),
        "",
        "| activation | depth | head | dtype | device | forward | gradient | finite diff | "
        "curve | weights | outputs | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ctx.grid:
        cells = [r.worst(k) for k in TABLE_KINDS]
        errors = " | ".join(format_error(c.scaled if c else None) for c in cells)
        c0 = r.cell
        table.append(
            f"| {c0.activation} | {c0.depth} | {c0.head} | {c0.dtype} | {c0.device} | {errors} | "
            f"{'ok' if r.ok else '**FAIL**'} |"
        )
    failed = [r for r in ctx.grid if not r.ok]
    if failed:
        table += ["", "Failures:", ""]
        for r in failed:
            table += [f"- `{r.cell.id}`: {c.message}" for c in r.failures()[:3]]
    return Section("Every grid cell", "every grid cell", "\n".join(table))
