"""``nn-parity report``: the parity grid, training curves, activations, datasets and claims,
written as ``REPORT.md`` plus ``figures/*.png``.

``generate(ReportOptions(...))`` runs every section, renders the Markdown and the figures
into a staging directory next to the destination and publishes them by rename
(``parity.atomic``), so an interrupted run leaves the previous report intact. Every number
in the report is a function of the options (same seed, same machine, same numbers), except
the timings, which live in the report's last section and nowhere else.

Sections (each a function of its inputs that returns Markdown and writes its figures):

- ``grid``: ``parity.grid.check_cell`` over ``parity.grid.grid_cells`` (or a representative
  subset with fewer steps for ``--quick``): the worst error per dtype and quantity against its
  tolerance and reason, then one row per cell;
- ``curves``: per-step loss of both sides and their absolute difference, per activation/task;
- ``activations``: every activation and its derivative, scratch's backward vs torch autograd;
- ``datasets``: decision boundaries of both sides on the 2-D sets, test metrics everywhere;
- ``claims``: ``parity.claims.run_claims`` when that module exists;
- environment (versions, BLAS, threads, device) and the exact command.

matplotlib and torch are imported inside the functions that need them.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from .atomic import publish, staging_dir
from .data import TASKS, load_dataset
from .progress import Progress
from .spec import DEFAULT_HEAD, HEADS, RunSpec
from .style import DIFF, DPI, SCRATCH, TORCH, use_agg
from .tolerances import tolerance

if TYPE_CHECKING:
    from .grid import Cell, CellResult
    from .runner import ParityResult

# --------------------------------------------------------------------------------------------
# what the report runs

QUICK_MIN_STEPS = 60  # training steps per grid cell with --quick (the full grid uses >= 500)
QUICK_EPOCH_DIVISOR = 5  # --quick trains the dataset runs for a fifth of their epochs
# --quick's representative cells: (activation, depth, head) x every requested dtype; together
# they cover every head, every depth and every activation (leaky_relu inside "mixed")
QUICK_CELLS = (
    ("tanh", "shallow", "binary"),
    ("sigmoid", "deep", "multiclass"),
    ("relu", "deep", "binary_bce"),
    ("mixed", "deep", "softmax_mse"),  # leaky_relu, tanh, sigmoid
    ("none", "nohidden", "regression"),
)
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
CURVE_FLOOR = 1e-20  # where a per-step difference of exactly 0 is drawn on the log axis
MESH = 200  # decision-boundary grid points per axis

KIND_LABELS = {
    "forward": "forward outputs (logits, head output, loss)",
    "gradient": "gradients (every parameter and the input, at init and step 1)",
    "finite_difference": "each side vs central differences",
    "curve": "per-step training loss",
    "weights": "final weights and last-step gradients",
    "outputs": "test-set outputs after training",
}
TABLE_KINDS = ("forward", "gradient", "finite_difference", "curve", "weights", "outputs")
# class colours for decision boundaries: Set2 without blue and orange, which mean scratch/torch
CLASS_COLOURS = ("#66c2a5", "#e78ac3", "#a6d854", "#ffd92f")


@dataclass(frozen=True)
class ReportOptions:
    """What ``nn-parity report`` was asked for; ``command`` is printed in the report."""

    out: Path = Path("reports")
    quick: bool = False
    device: str = "cpu"
    dtypes: tuple[str, ...] = ("float64", "float32")
    seed: int = 0
    command: str = "nn-parity report"


# --------------------------------------------------------------------------------------------
# the grid


def report_cells(
    device: str, dtypes: Sequence[str], *, quick: bool = False, seed: int = 0
) -> list[Cell]:
    """The cells the report checks: ``grid_cells`` for ``device`` and ``dtypes``, or with
    ``quick`` the ``QUICK_CELLS`` among them; seeded with ``seed``."""
    from .grid import grid_cells

    cells = grid_cells(devices=(device,), dtypes=tuple(dtypes), seed=seed)
    if quick:
        cells = [c for c in cells if (c.activation, c.depth, c.head) in QUICK_CELLS]
    return cells


def run_grid(
    cells: Sequence[Cell], *, min_steps: int | None = None, stream: TextIO | None = sys.stderr
) -> list[CellResult]:
    """``check_cell`` for every cell (``min_steps`` None: the grid's own number of steps)."""
    from .grid import MIN_STEPS, check_cell

    results = []
    with Progress("grid", len(cells), stream) as bar:
        for cell in cells:
            results.append(check_cell(cell, min_steps=min_steps or MIN_STEPS))
            bar.advance()
    return results


def _fmt(x: float | None) -> str:
    if x is None:
        return "–"
    if x == 0:
        return "0"
    if not np.isfinite(x):
        return "inf"
    return f"{x:.1e}"


def _worst_by_kind(results: Sequence[CellResult]) -> list[tuple[str, str, CellResult, Any]]:
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


def grid_section(results: Sequence[CellResult], device: str, *, quick: bool) -> tuple[str, str]:
    """(the summary of the worst errors and tolerances, the full per-cell table) as Markdown."""
    worst = _worst_by_kind(results)
    lines = [
        "## Worst error per dtype and quantity",
        "",
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
            f"| {dtype} | {KIND_LABELS[kind]} | {_fmt(c.scaled)} | `{r.cell.id}`: `{c.name}` | "
            f"{_fmt(c.max_abs)} | {_fmt(c.max_rel)} | {c.tol:.0e} | {factor} | "
            f"{'ok' if c.ok else '**FAIL**'} |"
        )
    lines += ["", "Why each tolerance has its size:", ""]
    reasons: dict[str, list[str]] = {}
    for dtype, kind, _, _ in worst:
        reasons.setdefault(tolerance(kind, dtype, device).reason, []).append(f"{dtype} {kind}")
    for reason, where in reasons.items():
        lines.append(f"- **{', '.join(where)}**: {reason}")

    steps = QUICK_MIN_STEPS if quick else None
    table = [
        "## Every grid cell",
        "",
        "One row per cell: the activation of the hidden layers, the depth (`nohidden`: no "
        "hidden layer, i.e. linear/logistic/softmax regression; `shallow`: one layer of 64; "
        "`deep`: 8-1-8 with a width-1 bottleneck; `mixed` is leaky_relu, tanh, sigmoid), the "
        "head (output layer and loss), dtype and device. Each entry is the worst scaled error "
        "of that kind in the cell; `–` where a check does not apply (finite differences run "
        "in float64 only). Regression trains on `sine`, binary on `moons`, multiclass on "
        "`blobs` (128 samples, batches of 16, plain SGD lr 0.05), for "
        + (f"{steps} steps (`--quick`)." if steps else "at least 500 steps.")
        + "",
        "",
        "| activation | depth | head | dtype | device | forward | gradient | finite diff | "
        "curve | weights | outputs | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        cells = [r.worst(k) for k in TABLE_KINDS]
        errors = " | ".join(_fmt(c.scaled if c else None) for c in cells)
        c0 = r.cell
        table.append(
            f"| {c0.activation} | {c0.depth} | {c0.head} | {c0.dtype} | {c0.device} | {errors} | "
            f"{'ok' if r.ok else '**FAIL**'} |"
        )
    failed = [r for r in results if not r.ok]
    if failed:
        table += ["", "Failures:", ""]
        for r in failed:
            table += [f"- `{r.cell.id}`: {c.message}" for c in r.failures()[:3]]
    return "\n".join(lines), "\n".join(table)


# --------------------------------------------------------------------------------------------
# figures


def _save(fig: Any, path: Path) -> None:
    fig.savefig(path, dpi=DPI, metadata={"Software": None})  # no version stamp: stable bytes
    use_agg().close(fig)


def _margins(
    fig: Any,
    *,
    top: float,
    hspace: float = 0.3,
    wspace: float = 0.3,
    left: float = 0.85,
    right: float = 0.3,
) -> None:
    """Fixed margins in inches (``top`` leaves room for the suptitle): ``tight_layout``
    would measure every label first, which doubles a figure's drawing time."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        bottom=0.6 / height,
        top=1 - top / height,
        hspace=hspace,
        wspace=wspace,
    )


def _log_ticks(axis: Any) -> None:
    """A few decade ticks labelled ``1e-12``, no minor ticks: a log axis spanning twenty
    decades otherwise lays out hundreds of mathtext labels, the slowest part of a figure."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    axis.set_major_locator(LogLocator(base=10, numticks=6))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0e}"))
    axis.set_minor_locator(NullLocator())


def _pick_curve_cells(results: Sequence[CellResult]) -> dict[str, dict[tuple[str, str], Any]]:
    """activation -> {(task, dtype): the cell result to draw}: the task's default head and the
    shallowest depth with hidden layers when present."""
    depth_rank = {"shallow": 0, "deep": 1, "nohidden": 2}
    picked: dict[str, dict[tuple[str, str], Any]] = {}
    for r in results:
        cell = r.cell
        task = HEADS[cell.head][0]
        key = (task, cell.dtype)
        rank = (cell.head != DEFAULT_HEAD[task], depth_rank[cell.depth])
        current = picked.setdefault(cell.activation, {}).get(key)
        if current is None or rank < current[0]:
            picked[cell.activation][key] = (rank, r)
    return {a: {k: v[1] for k, v in d.items()} for a, d in picked.items()}


def _activation_title(activation: str) -> str:
    from .grid import MIXED

    if activation == "none":
        return "no hidden layer (linear / logistic / softmax regression)"
    if activation == "mixed":
        return f"mixed hidden activations ({', '.join(MIXED)})"
    return f"{activation} hidden layers"


def plot_curves(results: Sequence[CellResult], figures: Path) -> list[tuple[str, str]]:
    """One figure per activation: per task a loss panel (both sides) over a log-scale panel of
    their per-step absolute difference, for each dtype. Returns (activation, file name)."""
    plt = use_agg()
    written = []
    for activation, chosen in _pick_curve_cells(results).items():
        tasks = [t for t in TASKS if any(k[0] == t for k in chosen)]
        dtypes = [d for d in ("float64", "float32") if any(k[1] == d for k in chosen)]
        ncols, nrows = len(tasks), 2 * len(dtypes)
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(max(4.8 * ncols, 7.5) + 0.6, 2.6 * nrows + 1.0),
            squeeze=False,
            gridspec_kw={"height_ratios": [1.6, 1.0] * len(dtypes)},
        )
        for j, task in enumerate(tasks):
            for i, dtype in enumerate(dtypes):
                top, bottom = axes[2 * i, j], axes[2 * i + 1, j]
                r = chosen.get((task, dtype))
                if r is None:
                    top.set_visible(False)
                    bottom.set_visible(False)
                    continue
                _curve_panels(top, bottom, r)
                handles = [*top.get_lines(), *bottom.get_lines()]
        fig.suptitle(f"Training curves, {_activation_title(activation)}: scratch vs torch")
        fig.legend(
            handles, [h.get_label() for h in handles], loc="upper center", ncols=3,
            bbox_to_anchor=(0.5, 1 - 0.35 / fig.get_size_inches()[1]), fontsize=9,
        )  # fmt: skip
        _margins(fig, top=1.15, hspace=0.55, wspace=0.32)
        name = f"curves_{activation}.png"
        _save(fig, figures / name)
        written.append((activation, name))
    return written


def _curve_panels(top: Any, bottom: Any, r: CellResult) -> None:
    run = r.run
    assert run is not None
    s, t = run.scratch.losses, run.torch.losses
    steps = np.arange(1, len(s) + 1)
    spec = run.spec
    top.plot(steps, s, lw=1.6, **SCRATCH)
    top.plot(steps, t, lw=1.6, **TORCH)
    top.set_title(
        f"{spec.task} ({r.cell.head} head) on {spec.dataset}, {r.cell.depth} net, {r.cell.dtype}",
        fontsize=10,
    )
    top.set_ylabel(f"training loss ({spec.loss})")
    top.tick_params(labelbottom=False)

    plot_loss_difference(bottom, s, t, r.comparisons["curve"][0].tol)
    bottom.sharex(top)


def plot_loss_difference(ax: Any, s: np.ndarray, t: np.ndarray, tol: float) -> None:
    """``|s − t|`` per step on a log axis: green dots where the losses differ, grey ticks at
    ``CURVE_FLOOR`` where they are bit-identical (counted in the title), and the curve
    tolerance ``tol`` times the largest loss as a dotted line (the bound on the difference).

    ``s``, ``t``: per-step losses ``(steps,)`` of scratch and torch. Used by the report's
    training curves and by ``nn-parity train``'s ``training_curve.png``.
    """
    steps = np.arange(1, len(s) + 1)
    diff = np.abs(s - t)
    threshold = tol * max(float(np.abs(t).max()), float(np.abs(s).max()))
    same = diff == 0
    ax.semilogy(
        steps[~same], diff[~same], ls="none", marker=".", ms=3, color=DIFF["color"],
        label=DIFF["label"],
    )  # fmt: skip
    ax.plot(
        steps[same], np.full(int(same.sum()), CURVE_FLOOR), ls="none", marker="|", ms=5,
        color="0.55", label=f"exactly 0 (drawn at {CURVE_FLOOR:.0e})",
    )  # fmt: skip
    ax.axhline(threshold, color="0.3", ls=":", lw=1.2, label="curve tolerance × largest loss")
    ax.set_ylim(CURVE_FLOOR / 5, max(threshold, float(diff.max())) * 1e3)
    _log_ticks(ax.yaxis)
    ax.set_xlabel("step")
    ax.set_ylabel("|Δ loss|")
    ax.set_title(
        f"max |Δ| {_fmt(float(diff.max()))}; bit-identical at {int(same.sum())} of "
        f"{len(diff)} steps",
        fontsize=9,
    )


ACTIVATION_FORMULAS: dict[str, tuple[str, str, str]] = {
    # name: (Markdown formula, mathtext f, mathtext f')
    "sigmoid": (
        "f(x)=1/(1+e^{-x}), f'(x)=f(x)(1-f(x))",
        r"$f(x)=1/(1+e^{-x})$",
        r"$f'(x)=f(x)\,(1-f(x))$",
    ),
    "tanh": ("f(x)=tanh(x), f'(x)=1-f(x)^2", r"$f(x)=\tanh(x)$", r"$f'(x)=1-f(x)^2$"),
    "relu": (
        "f(x)=max(0,x), f'(x)=1 if x>0 else 0",
        r"$f(x)=\max(0,x)$",
        r"$f'(x)=1$ if $x>0$ else $0$",
    ),
    "leaky_relu": (
        "f(x)=x if x>0 else 0.01x, f'(x)=1 if x>0 else 0.01",
        r"$f(x)=x$ if $x>0$ else $0.01x$",
        r"$f'(x)=1$ if $x>0$ else $0.01$",
    ),
    "identity": ("f(x)=x, f'(x)=1", r"$f(x)=x$", r"$f'(x)=1$"),
    "softmax": (
        "y_i=e^{z_i}/Σ_j e^{z_j}; here y_0 against z_0 with z_1=0, z_2=1, and ∂y_0/∂z_0=y_0(1-y_0)",
        r"$y_0=e^{z_0}/\sum_j e^{z_j}$",
        r"$\partial y_0/\partial z_0=y_0\,(1-y_0)$",
    ),
}


def activation_curves(device: str) -> dict[str, dict[str, np.ndarray]]:
    """Each activation and its derivative on x in [-5, 5], both sides, float64.

    Scratch: ``forward`` then ``backward(ones)``, which is f'(x) elementwise. Torch:
    autograd of the same. Softmax sweeps the first logit of (z_0, 0, 1) and takes the
    derivative of y_0 (backward of the one-hot upstream e_0). Returns name ->
    ``{"x", "f_scratch", "f_torch", "d_scratch", "d_torch"}``.
    """
    import torch
    from torch import nn

    import scratch

    x = np.linspace(-5.0, 5.0, 401)  # contains 0 exactly: both sides' kink convention
    modules: dict[str, tuple[Any, Any]] = {
        "sigmoid": (scratch.Sigmoid(), nn.Sigmoid()),
        "tanh": (scratch.Tanh(), nn.Tanh()),
        "relu": (scratch.ReLU(), nn.ReLU()),
        "leaky_relu": (scratch.LeakyReLU(0.01), nn.LeakyReLU(0.01)),
        "identity": (scratch.Identity(), nn.Identity()),
        "softmax": (scratch.Softmax(dim=-1), nn.Softmax(dim=-1)),
    }
    out = {}
    for name, (s_mod, t_mod) in modules.items():
        if name == "softmax":
            z = np.column_stack([x, np.zeros_like(x), np.ones_like(x)])  # (401, 3)
            upstream = np.zeros_like(z)
            upstream[:, 0] = 1.0
        else:
            z, upstream = x, np.ones_like(x)
        f_s = s_mod(z)
        d_s = s_mod.backward(upstream)
        zt = torch.tensor(z, device=device, requires_grad=True)
        f_t = t_mod(zt)
        f_t.backward(torch.tensor(upstream, device=device))
        assert zt.grad is not None
        f_t_np, d_t_np = f_t.detach().cpu().numpy(), zt.grad.cpu().numpy()
        if name == "softmax":
            f_s, d_s, f_t_np, d_t_np = f_s[:, 0], d_s[:, 0], f_t_np[:, 0], d_t_np[:, 0]
        out[name] = {
            "x": x,
            "f_scratch": f_s,
            "f_torch": f_t_np,
            "d_scratch": d_s,
            "d_torch": d_t_np,
        }
    return out


def activations_section(device: str, figures: Path) -> str:
    """The activation figure and a table of the largest differences, as Markdown."""
    curves = activation_curves(device)
    plt = use_agg()
    names = list(curves)
    ncols = 3
    fig, axes = plt.subplots(4, ncols, figsize=(15, 12.5), squeeze=False)
    for k, name in enumerate(names):
        c = curves[name]
        top, bottom = axes[2 * (k // ncols), k % ncols], axes[2 * (k // ncols) + 1, k % ncols]
        _, f_tex, d_tex = ACTIVATION_FORMULAS[name]
        xlabel = "$z_0$ (with $z_1=0$, $z_2=1$)" if name == "softmax" else "x"
        for ax, key, label in ((top, "f", "f(x)"), (bottom, "d", "f'(x)")):
            ax.plot(c["x"], c[f"{key}_scratch"], lw=2.2, **SCRATCH)
            ax.plot(c["x"], c[f"{key}_torch"], lw=1.6, **TORCH)
            err = float(np.abs(c[f"{key}_scratch"] - c[f"{key}_torch"]).max())
            ax.text(
                0.02,
                0.95,
                f"max |scratch − torch| = {_fmt(err)}",
                transform=ax.transAxes,
                fontsize=8,
                va="top",
            )
            ax.set_ylabel(
                ("$y_0$" if key == "f" else r"$\partial y_0/\partial z_0$")
                if name == "softmax"
                else label
            )
            ax.set_xlabel(xlabel)
            ax.grid(alpha=0.3)
        top.set_title(f"{name}: {f_tex}", fontsize=11)
        bottom.set_title(f"{name} derivative: {d_tex}", fontsize=11)
    fig.suptitle(
        "Activations (rows 1 and 3), each with its derivative directly below it (rows 2 and 4):\n"
        "scratch's hand-written backward vs torch autograd, float64"
    )
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="upper right", ncols=2)
    _margins(fig, top=0.95, hspace=0.55, wspace=0.25)
    _save(fig, figures / "activations.png")

    lines = [
        "## Activations and their derivatives",
        "",
        "Each activation on 401 points of [−5, 5] (0 included, where ReLU and Leaky ReLU "
        "take torch's convention f'(0) = 0 and 0.01), in float64. Scratch's derivative is its "
        "hand-written `backward` applied to an upstream gradient of ones (that is f'(x), "
        "elementwise); torch's is autograd through the `torch.nn` module. Softmax is not "
        "elementwise: the panel sweeps the first of three logits and shows the first output "
        "and its derivative along that logit, the diagonal of the Jacobian "
        "(`backward` of the one-hot upstream e_0).",
        "",
        "![Activations and derivatives, scratch vs torch](figures/activations.png)",
        "",
        "| activation | formula | max abs diff of f | max abs diff of f' |",
        "|---|---|---|---|",
    ]
    for name, c in curves.items():
        df = float(np.abs(c["f_scratch"] - c["f_torch"]).max())
        dd = float(np.abs(c["d_scratch"] - c["d_torch"]).max())
        lines.append(f"| {name} | `{ACTIVATION_FORMULAS[name][0]}` | {_fmt(df)} | {_fmt(dd)} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# datasets


@dataclass
class DatasetRun:
    """One dataset's parity run and what the report shows of it."""

    spec: RunSpec
    result: ParityResult


def dataset_specs(dtype: str, device: str, seed: int, *, quick: bool) -> list[RunSpec]:
    """The report's run per built-in dataset (``DATASET_SPECS``), shortened with ``quick``."""
    specs = []
    for name, kw in DATASET_SPECS.items():
        kw = dict(kw)
        if quick:
            kw["epochs"] = max(2, kw["epochs"] // QUICK_EPOCH_DIVISOR)
        specs.append(RunSpec(dataset=name, dtype=dtype, device=device, seed=seed, **kw))
    return specs


def run_datasets(specs: Sequence[RunSpec], stream: TextIO | None = sys.stderr) -> list[DatasetRun]:
    """``parity.run`` for every spec."""
    from .runner import run

    runs = []
    with Progress("datasets", len(specs), stream) as bar:
        for spec in specs:
            runs.append(DatasetRun(spec, run(spec)))
            bar.advance()
    return runs


def plot_boundary(run: ParityResult, figures: Path) -> tuple[str, float, int]:
    """Decision regions of both trained sides on a 2-D dataset, and where they differ.

    Returns (file name, max |P_scratch − P_torch| over the mesh, mesh points whose predicted
    class differs).
    """
    import scratch
    import torch_impl

    from .runner import trained_models

    plt = use_agg()
    from matplotlib.colors import ListedColormap

    spec = run.spec
    data = load_dataset(spec.dataset, seed=spec.seed, dtype=spec.dtype)
    s_model, t_model = trained_models(run)
    X = np.vstack([data.X_train, data.X_test])
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], MESH), np.linspace(lo[1], hi[1], MESH))
    mesh = np.column_stack([g0.ravel(), g1.ravel()]).astype(spec.dtype)  # (MESH², 2)
    p_s = scratch.predict_proba(s_model, mesh, spec.task)
    p_t = torch_impl.predict_proba(t_model, mesh, spec.task)
    if spec.task == "binary":
        p_s, p_t = np.hstack([1 - p_s, p_s]), np.hstack([1 - p_t, p_t])
    cls_s, cls_t = p_s.argmax(axis=1), p_t.argmax(axis=1)
    dp = np.abs(p_s.astype(np.float64) - p_t.astype(np.float64)).max(axis=1)
    n_classes = p_s.shape[1]
    regions = ListedColormap([c + "66" for c in CLASS_COLOURS[:n_classes]])  # translucent
    points = ListedColormap(list(CLASS_COLOURS[:n_classes]))
    metric = "test accuracy {:.3f}"
    image = dict(origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), aspect="auto")

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    for ax, cls, style, res in (
        (axes[0], cls_s, SCRATCH, run.scratch),
        (axes[1], cls_t, TORCH, run.torch),
    ):
        ax.imshow(
            cls.reshape(g0.shape),
            cmap=regions,
            vmin=-0.5,
            vmax=n_classes - 0.5,
            **image,
        )
        ax.scatter(
            data.X_train[:, 0],
            data.X_train[:, 1],
            c=data.y_train,
            cmap=points,
            vmin=-0.5,
            vmax=n_classes - 0.5,
            s=12,
            edgecolors="k",
            linewidths=0.4,
        )
        ax.set_title(f"{style['label']}: {metric.format(res.test_metric)}", color=style["color"])
    im = axes[2].imshow(
        np.log10(np.maximum(dp, CURVE_FLOOR)).reshape(g0.shape), cmap="viridis", **image
    )
    fig.colorbar(im, ax=axes[2], label="log10 max |P_scratch − P_torch|")
    n_diff = int((cls_s != cls_t).sum())
    axes[2].set_title(
        f"max |ΔP| {_fmt(float(dp.max()))}; class differs at {n_diff}/{len(dp)} points",
        fontsize=10,
    )
    for ax in axes:
        ax.set_xlabel(f"{data.feature_names[0]} (standardised)")
        ax.set_ylabel(f"{data.feature_names[1]} (standardised)")
    fig.suptitle(
        f"{spec.dataset}: decision regions after training {spec.label()} "
        f"({len(run.scratch.losses)} steps) on each side; dots are the training points"
    )
    _margins(fig, top=0.85, wspace=0.28, right=0.7)
    name = f"boundary_{spec.dataset}.png"
    _save(fig, figures / name)
    return name, float(dp.max()), n_diff


def _network(spec: RunSpec) -> str:
    hidden = "×".join(str(h) for h in spec.hidden) or "no hidden layer"
    opt = f"{spec.optimizer} lr {spec.lr:g}"
    return f"{hidden} {spec.activation}, {opt}, batch {spec.batch_size}, {spec.epochs} epochs"


def datasets_section(runs: Sequence[DatasetRun], figures: Path, *, quick: bool) -> str:
    """Decision boundaries of the 2-D sets and the metric table of every set, as Markdown."""
    lines = [
        "## Datasets: decision boundaries and test metrics",
        "",
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
            f"| {spec.dataset} | {spec.task} | {_network(spec)} | {len(res.scratch.losses)} | "
            f"{metric} | {res.scratch.test_metric:.4f} | {res.torch.test_metric:.4f} | "
            f"{_fmt(res.worst['loss_curve'].scaled)} | {_fmt(res.worst['final_weights'].scaled)} | "
            f"{'ok' if res.ok else '**FAIL**'} |"
        )
    failed = [r for r in runs if not r.result.ok]
    if failed:
        lines += ["", "Failures:", ""]
        lines += [f"- {r.spec.dataset}: {r.result.first_failure.message}" for r in failed]  # type: ignore[union-attr]
    lines += [
        "",
        "### Decision boundaries",
        "",
        "Left and middle: the class each trained network predicts over the plane (shaded), "
        "with the training points; right: the largest difference between the two sides' class "
        "probabilities at each point of a 200 × 200 grid, on a log colour scale (exact zeros "
        f"drawn at {CURVE_FLOOR:.0e}).",
        "",
    ]
    by_name = {r.spec.dataset: r for r in runs}
    for name in BOUNDARY_DATASETS:
        if name in by_name:
            fname, _, _ = plot_boundary(by_name[name].result, figures)
            lines += [f"![{name}: decision regions, scratch vs torch](figures/{fname})", ""]
    return "\n".join(lines).rstrip()


# --------------------------------------------------------------------------------------------
# curves section, claims, environment


def curves_section(results: Sequence[CellResult], figures: Path) -> str:
    """The training-curve figures with their caption, as Markdown."""
    written = plot_curves(results, figures)
    lines = [
        "## Training curves",
        "",
        "Per activation, one grid cell per task (the task's default head; the shallow network "
        "where there is one): the training loss at every step, scratch solid and torch "
        "dashed, on top of each other; below each, the absolute per-step difference "
        "`|loss_scratch − loss_torch|` (green dots) on a log axis, with the curve tolerance as "
        "a dotted line (the tolerance bounds the difference scaled by the curve's largest "
        "loss). A difference of exactly 0 (bit-identical losses) cannot be drawn on a log "
        f"axis: those steps are clipped to the floor {CURVE_FLOOR:.0e} and drawn there as grey "
        "ticks, and each panel's title counts them.",
        "",
    ]
    for activation, name in written:
        lines += [f"![Training curves, {activation}](figures/{name})", ""]
    return "\n".join(lines).rstrip()


def claims_section(
    figures: Path, *, quick: bool, seed: int, stream: TextIO | None = sys.stderr
) -> tuple[str, list[bool]]:
    """``parity.claims.run_claims`` rendered under "The seed's claims" (a note if absent)."""
    header = ["## The seed's claims", ""]
    try:
        from .claims import run_claims
    except ImportError as err:
        note = f"_Skipped: the claim experiments (`parity/claims.py`) are not available: {err}._"
        return "\n".join([*header, note]), []
    with Progress("claims", 1, stream) as bar:
        sections = run_claims(figures, quick=quick, seed=seed, progress=bar)
    header += [
        "Experiments testing what the seed claims about activations and training "
        "(`parity/claims.py`)." + (" With `--quick` they are shortened." if quick else ""),
        "",
        "| claim | verdict |",
        "|---|---|",
    ]
    header += [f"| {s.title} | {'holds' if s.passed else '**does not hold**'} |" for s in sections]
    body = [f"### {s.title}\n\n{s.markdown.strip()}" for s in sections]
    return "\n\n".join(["\n".join(header), *body]), [bool(s.passed) for s in sections]


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def torch_cpu_blas() -> str:
    """The BLAS torch was built with (``BLAS_INFO`` in ``torch.__config__.show()``), which it
    calls for matrix products on the CPU; elementwise ops and reductions (activations, losses,
    optimizer updates) run torch's own kernels."""
    import re

    import torch

    config = torch.__config__.show()
    info = re.search(r"BLAS_INFO=([^,\s]+)", config)
    name = info.group(1) if info else "unknown"
    mkl = re.search(r"Math Kernel Library Version (\S+)", config)
    if name == "mkl" and mkl:
        name = f"MKL {mkl.group(1).split('-')[0]}"
    return (
        f"{name} (torch's BLAS_INFO build setting) for matrix products; activations, losses and "
        "optimizer updates run torch's own kernels"
    )


def environment(device: str) -> list[tuple[str, str]]:
    """(name, value) rows describing the machine and libraries the report ran on."""
    import torch

    rows = [
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("platform", f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"),
        ("numpy", np.__version__),
        ("torch", torch.__version__),
        ("scikit-learn", _version("scikit-learn")),
        ("matplotlib", _version("matplotlib")),
    ]
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]  # type: ignore[func-returns-value]
        rows.append(("numpy BLAS (build)", f"{blas.get('name')} {blas.get('version')}"))
    except Exception:  # older numpy: no mode="dicts"
        pass
    try:
        from threadpoolctl import threadpool_info

        # numpy's own BLAS (the pool under numpy.libs, or a system one numpy links to)
        pools = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        mine = [i for i in pools if "numpy" in Path(i.get("filepath", "")).as_posix()] or pools
        if mine:
            info = mine[0]
            detail = ", ".join(
                str(info[k]) for k in ("threading_layer", "architecture") if info.get(k)
            )
            rows.append(
                (
                    "numpy BLAS (loaded)",
                    f"{info.get('internal_api')} {info.get('version')} ({detail}), "
                    f"{info.get('num_threads')} thread(s)",
                )
            )
    except ImportError:
        rows.append(("numpy BLAS threads", "unknown (threadpoolctl not installed)"))
    rows.append(("torch intra-op threads", str(torch.get_num_threads())))
    rows.append(("torch CPU BLAS", torch_cpu_blas()))
    if device.startswith("cuda"):
        name = torch.cuda.get_device_name(torch.device(device))
        rows.append(("device", f"{device}: {name} (CUDA {torch.version.cuda}, TF32 off)"))
    else:
        rows.append(("device", "cpu (torch side); scratch always runs NumPy on the CPU"))
    return rows


# --------------------------------------------------------------------------------------------
# the whole report


@dataclass
class ReportResult:
    """What ``generate`` produced: the report's path and the verdicts it holds."""

    path: Path
    cells: int
    cells_failed: int
    datasets_failed: int
    claims_failed: int
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.cells_failed == 0 and self.datasets_failed == 0


def generate(options: ReportOptions, *, stream: TextIO | None = sys.stderr) -> ReportResult:
    """Run every section and publish ``REPORT.md`` and ``figures/`` into ``options.out``.

    ``options.device`` must already be resolved (``cpu`` or ``cuda[:N]``, not ``auto``).
    Progress goes to ``stream`` (None: silent).
    """
    import torch_impl

    device = options.device
    seconds: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        value = fn()
        seconds[name] = time.perf_counter() - t0
        return value

    out = Path(options.out)
    with staging_dir(out) as staged, torch_impl.parity_mode(device):
        figures = staged / "figures"
        figures.mkdir()
        cells = report_cells(device, options.dtypes, quick=options.quick, seed=options.seed)
        steps = QUICK_MIN_STEPS if options.quick else None
        results = timed("grid", lambda: run_grid(cells, min_steps=steps, stream=stream))
        summary, table = grid_section(results, device, quick=options.quick)
        curves = timed("training curves", lambda: curves_section(results, figures))
        activations = timed("activations", lambda: activations_section(device, figures))
        specs = dataset_specs(options.dtypes[0], device, options.seed, quick=options.quick)
        runs = timed("datasets", lambda: run_datasets(specs, stream))
        datasets = timed(
            "datasets (figures)", lambda: datasets_section(runs, figures, quick=options.quick)
        )
        claims, claim_verdicts = timed(
            "claims",
            lambda: claims_section(figures, quick=options.quick, seed=options.seed, stream=stream),
        )
        env = environment(device)
        seconds["total"] = sum(seconds.values())
        result = ReportResult(
            path=out / "REPORT.md",
            cells=len(results),
            cells_failed=sum(not r.ok for r in results),
            datasets_failed=sum(not r.result.ok for r in runs),
            claims_failed=sum(not v for v in claim_verdicts),
            seconds=seconds,
        )
        text = render(
            options,
            result,
            summary,
            table,
            curves,
            activations,
            datasets,
            claims,
            env,
            n_grid=len(report_cells(device, options.dtypes, seed=options.seed)),
            n_datasets=len(runs),
            n_claims=len(claim_verdicts),
        )
        (staged / "REPORT.md").write_text(text, encoding="utf-8")
        publish(staged, out)
    return result


def render(
    options: ReportOptions,
    result: ReportResult,
    summary: str,
    table: str,
    curves: str,
    activations: str,
    datasets: str,
    claims: str,
    env: Sequence[tuple[str, str]],
    *,
    n_grid: int,
    n_datasets: int,
    n_claims: int,
) -> str:
    """The Markdown of the whole report from its rendered sections."""
    if result.cells_failed:
        verdict = f"**{result.cells_failed} of {result.cells} grid cells FAIL their tolerances**"
    else:
        verdict = f"**All {result.cells} grid cells agree within tolerance**"
    verdict += (
        f" (forward outputs, gradients, finite differences, per-step losses, final weights, "
        f"test outputs); {n_datasets - result.datasets_failed} of {n_datasets} dataset runs "
        f"agree"
    )
    if n_claims:
        verdict += f"; {n_claims - result.claims_failed} of {n_claims} of the seed's claims hold"
    lines = [
        "# nn-parity report",
        "",
        "<!-- Generated by nn-parity report; edits are overwritten. Only the Timings section "
        "changes between regenerations. -->",
        "",
        "One feed-forward network written twice, `scratch/` (NumPy, hand-written backprop) and "
        "`torch_impl/` (idiomatic PyTorch), started from the same initial weights and fed the "
        "same minibatches. This report measures how closely they agree and shows what they "
        "learn. It was produced by:",
        "",
        "```bash",
        options.command,
        "```",
        "",
        verdict + ".",
        "",
    ]
    if options.quick:
        lines += [
            f"> **Quick run** (`--quick`): {result.cells} of the grid's {n_grid} cells, each "
            f"trained for {QUICK_MIN_STEPS} steps instead of at least 500, and shorter dataset "
            "runs. Run `nn-parity report` for the full grid.",
            "",
        ]
    lines += [
        "Contents: [worst errors](#worst-error-per-dtype-and-quantity) · "
        "[training curves](#training-curves) · "
        "[activations](#activations-and-their-derivatives) · "
        "[datasets](#datasets-decision-boundaries-and-test-metrics) · "
        "[the seed's claims](#the-seeds-claims) · [every grid cell](#every-grid-cell) · "
        "[environment](#environment) · [timings](#timings)",
        "",
        summary,
        "",
        curves,
        "",
        activations,
        "",
        datasets,
        "",
        claims,
        "",
        table,
        "",
        "## Environment",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in env],
        f"| command | `{options.command}` |",
        f"| seed | {options.seed} |",
        "",
        "## Timings",
        "",
        "Wall-clock seconds per section. **These are the only numbers that change when the "
        "report is regenerated with the same command on the same machine.**",
        "",
        "| section | seconds |",
        "|---|---|",
        *[f"| {k} | {v:.1f} |" for k, v in result.seconds.items()],
        "",
    ]
    return "\n".join(lines)


def strip_timings(markdown: str) -> str:
    """The report without its Timings section: what must be identical between regenerations."""
    return markdown.split("\n## Timings\n", 1)[0]
