"""The datasets section: one parity run per built-in dataset, its test metrics on both sides,
and the decision regions of both trained networks on the 2-D sets."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from parity._util.plots import CURVE_FLOOR
from parity._util.style import format_error
from parity.data import DATASETS
from parity.report.context import DatasetRun, ReportContext, Section
from parity.report.jobs import Batch, Workers
from parity.report.sections.boundary import plot_boundary
from parity.spec import RunSpec

if TYPE_CHECKING:
    pass

QUICK_EPOCH_DIVISOR = 5  # --quick trains the dataset runs for a fifth of their epochs
# one parity run per built-in dataset: a network that learns it and stays in lock step
DATASET_SPECS: dict[str, dict[str, Any]] = {
    "xor": dict(hidden=(8,), activation="tanh", lr=0.1, epochs=40),
    "moons": dict(hidden=(16, 16), activation="tanh", lr=0.1, epochs=60),
    "circles": dict(hidden=(16, 16), activation="tanh", lr=0.1, epochs=60),
    "spirals": dict(hidden=(32, 32), activation="tanh", optimizer="adam", lr=0.01, epochs=100),
    "blobs": dict(hidden=(16,), activation="relu", lr=0.1, epochs=30),
    "sine": dict(hidden=(32, 32), activation="tanh", lr=0.05, epochs=100),
    "iris": dict(hidden=(16,), activation="tanh", lr=0.1, batch_size=16, epochs=60),
    "digits": dict(hidden=(64,), activation="relu", optimizer="adam", lr=0.003, epochs=20),
    "breast_cancer": dict(hidden=(16,), activation="relu", lr=0.05, epochs=30),
    "diabetes": dict(hidden=(16,), activation="relu", lr=0.01, epochs=60),
}
BOUNDARY_DATASETS = ("xor", "moons", "circles", "spirals", "blobs")


def dataset_specs(dtype: str, device: str, seed: int, *, quick: bool) -> dict[str, RunSpec]:
    """The report's run per built-in dataset (``DATASET_SPECS``), shortened with ``quick``."""
    specs = {}
    for name, kw in DATASET_SPECS.items():
        kw = dict(kw)
        if quick:
            kw["epochs"] = max(2, kw["epochs"] // QUICK_EPOCH_DIVISOR)
        task = DATASETS[name].task
        specs[name] = RunSpec(task=task, dtype=dtype, device=device, seed=seed, **kw)
    return specs


def run_dataset(spec: RunSpec, name: str) -> DatasetRun:
    """``parity.run(spec, name)``: one dataset's run."""
    from parity.harness.runner import run

    return DatasetRun(spec, run(spec, name))


def run_datasets(
    specs: Mapping[str, RunSpec], stream: TextIO | None = sys.stderr
) -> list[DatasetRun]:
    """``parity.run`` for every dataset and its spec, in the order of ``specs``."""
    return (
        Workers().start(run_dataset, [(s, n) for n, s in specs.items()]).results("datasets", stream)
    )


def datasets_batch(ctx: ReportContext) -> Batch[DatasetRun]:
    """The report's run per dataset (``dataset_specs`` in the first dtype), started on
    ``ctx.workers``."""
    options = ctx.options
    specs = dataset_specs(options.dtypes[0], ctx.device, options.seed, quick=options.quick)
    return ctx.workers.start(run_dataset, [(spec, name) for name, spec in specs.items()])


def _network(spec: RunSpec) -> str:
    hidden = "×".join(str(h) for h in spec.hidden) or "no hidden layer"
    opt = f"{spec.optimizer} lr {spec.lr:g}"
    return f"{hidden} {spec.activation}, {opt}, batch {spec.batch_size}, {spec.epochs} epochs"


def _metrics(runs: Sequence[DatasetRun], *, quick: bool) -> list[str]:
    """The introduction and the table of every run's test metrics and errors."""
    lines = [
        "The same spec trained on each side (`parity.run`) on every built-in dataset; features "
        "are standardised with the training split's mean and std, 25% of each set is held out "
        "for testing. For regression the metric is the test MSE in units of the standardised "
        "target (lower is better), for classification the test accuracy. The error columns "
        "are the scaled errors of the whole loss curve and of the worst final weight tensor "
        "(tolerances as in the grid); parity judges every comparison of the run."
        + (f" With `--quick` every run is {QUICK_EPOCH_DIVISOR}× shorter." if quick else ""),
        "",
        "| dataset | task | network | steps | metric | scratch | torch | loss-curve error | "
        "final-weights error | parity |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        res, spec = r.result, r.spec
        metric = "test MSE" if spec.task == "regression" else "test accuracy"
        lines.append(
            f"| {res.dataset} | {spec.task} | {_network(spec)} | {len(res.candidate.losses)} | "
            f"{metric} | {res.candidate.test_metric:.4f} | {res.reference.test_metric:.4f} | "
            f"{format_error(res.worst['loss_curve'].scaled)} | "
            f"{format_error(res.worst['final_weights'].scaled)} | "
            f"{'ok' if res.ok else '**FAIL**'} |"
        )
    failed = [r for r in runs if not r.result.ok]
    if failed:
        lines += ["", "Failures:", ""]
        lines += [
            f"- {r.result.dataset}: {c.message}" for r in failed if (c := r.result.first_failure)
        ]
    return lines


def _boundaries(runs: Sequence[DatasetRun], figures: Path) -> list[str]:
    """The decision-boundary figures of the 2-D sets among ``runs``, with their caption."""
    lines = [
        "### Decision boundaries",
        "",
        "Left and middle: the class each trained network predicts over the plane (shaded), "
        "with the training points; right: the largest difference between the two sides' class "
        "probabilities at each point of a 200 × 200 grid, on a log colour scale (exact zeros "
        f"drawn at {CURVE_FLOOR:.0e}).",
        "",
    ]
    by_name = {r.result.dataset: r for r in runs}
    for name in BOUNDARY_DATASETS:
        if name in by_name:
            fname, _, _ = plot_boundary(by_name[name].result, figures)
            lines += [f"![{name}: decision regions, scratch vs torch](figures/{fname})", ""]
    return lines


def datasets_section(ctx: ReportContext) -> Section:
    """Every dataset's run (into ``ctx.datasets``); its metric table and boundary figures."""
    ctx.datasets = ctx.collect("datasets", datasets_batch)

    def render() -> str:
        metrics = _metrics(ctx.datasets, quick=ctx.quick)
        return "\n".join([*metrics, "", *_boundaries(ctx.datasets, ctx.figures)]).rstrip()

    body = ctx.timed("datasets (figures)", render)
    return Section("Datasets: decision boundaries and test metrics", "datasets", body)
