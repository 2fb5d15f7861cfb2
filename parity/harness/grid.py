"""The parity grid: every activation x depth x head x dtype (x device), and one cell's checks.

Each ``Cell`` names a network and a task; ``check_cell`` measures, from one shared initial
state dict, forward outputs (logits, head outputs, loss) and every gradient (parameters and
input) at initialisation, the three-way agreement with central differences in float64,
and a lock-step training run of at least 500 steps (per-step loss, final weights,
test-set outputs). The test suite asserts every cell; the report tabulates the measured
errors. Both call the same functions, so what is reported is what is tested.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch

import scratch
import torch_impl
from parity.compare import Comparison, compare, compare_dicts, to_numpy
from parity.data import Dataset, load_dataset
from parity.harness.runner import ParityResult, build_networks, run, targets
from parity.spec import ACTIVATIONS, HEADS, RunSpec
from parity.tolerances import tolerance

MIXED = ("leaky_relu", "tanh", "sigmoid")  # a different activation per hidden layer
CELL_ACTIVATIONS = (*ACTIVATIONS, "mixed")  # every hidden activation, and one mix of them
# depth name -> hidden widths: none (linear/logistic/softmax regression), one wide layer,
# three layers with a width-1 bottleneck
DEPTHS: dict[str, tuple[int, ...]] = {"nohidden": (), "shallow": (64,), "deep": (8, 1, 8)}
GRID_HEADS = tuple(HEADS)  # regression, binary, binary_bce, multiclass, softmax_mse
# task -> the synthetic dataset a cell of that task trains on
DATASET_FOR_TASK = {"regression": "sine", "binary": "moons", "multiclass": "blobs"}

N_SAMPLES = 128  # per synthetic dataset: 96 train rows, 32 test rows
BATCH_SIZE = 16  # 6 steps per epoch
MIN_STEPS = 500
LR = 0.05


@dataclass(frozen=True)
class Cell:
    """One configuration of the grid; ``id`` reads ``activation-depth-head-dtype-device``."""

    activation: str
    depth: str
    head: str
    dtype: str
    device: str = "cpu"
    seed: int = 0  # initial weights, data and batch order; not part of the id

    @property
    def id(self) -> str:
        return f"{self.activation}-{self.depth}-{self.head}-{self.dtype}-{self.device}"

    @property
    def hidden(self) -> tuple[int, ...]:
        return DEPTHS[self.depth]

    @property
    def task(self) -> str:
        return HEADS[self.head][0]

    def data(self) -> Dataset:
        """The cell's data: ``N_SAMPLES`` rows of the synthetic dataset of its task."""
        return load_dataset(
            DATASET_FOR_TASK[self.task], seed=self.seed, n_samples=N_SAMPLES, dtype=self.dtype
        )

    def spec(self, min_steps: int = MIN_STEPS) -> RunSpec:
        """The ``RunSpec`` of this cell, with enough epochs for ``min_steps`` steps."""
        hidden = self.hidden
        act: str | tuple[str, ...] = MIXED if self.activation == "mixed" else self.activation
        if not hidden:
            act = "identity"  # no hidden layer, no activation: the name is only a label
        n_train = N_SAMPLES - int(np.ceil(0.25 * N_SAMPLES))
        steps_per_epoch = -(-n_train // BATCH_SIZE)
        return RunSpec(
            task=self.task, hidden=hidden, activation=act, head=self.head,
            optimizer="sgd", lr=LR, batch_size=BATCH_SIZE,
            epochs=-(-min_steps // steps_per_epoch), seed=self.seed, dtype=self.dtype,
            device=self.device,
        )  # fmt: skip


def grid_cells(
    devices: Iterable[str] = ("cpu",),
    dtypes: Iterable[str] = ("float64", "float32"),
    seed: int = 0,
) -> list[Cell]:
    """Every cell: depth 0 once per head and dtype (it has no activation), depths 1 and 3
    for every activation (``mixed`` needs several hidden layers, so only deep)."""
    cells = []
    for device in devices:
        for dtype in dtypes:
            for head in GRID_HEADS:
                cells.append(Cell("none", "nohidden", head, dtype, device, seed))
                for depth in ("shallow", "deep"):
                    for act in CELL_ACTIVATIONS:
                        if act == "mixed" and depth != "deep":
                            continue
                        cells.append(Cell(act, depth, head, dtype, device, seed))
    return cells


@dataclass
class CellResult:
    """Every comparison made for one cell, grouped by tolerance kind."""

    cell: Cell
    comparisons: dict[str, list[Comparison]] = field(default_factory=dict)
    run: ParityResult | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for cs in self.comparisons.values() for c in cs)

    def worst(self, kind: str) -> Comparison | None:
        cs = self.comparisons.get(kind, [])
        return max(cs, key=lambda c: c.scaled) if cs else None

    def failures(self) -> list[Comparison]:
        return [c for cs in self.comparisons.values() for c in cs if not c.ok]


def check_initial(cell: Cell, n_rows: int = 8) -> dict[str, list[Comparison]]:
    """Forward and backward at the shared initial weights on ``n_rows`` training rows.

    Returns comparisons under ``forward`` (logits, head output, loss), ``gradient`` (every
    parameter and the input, scratch vs torch autograd) and, in float64,
    ``finite_difference`` (scratch and torch each against central differences).
    """
    spec = cell.spec()
    nets = build_networks(spec, cell.data())
    data, dev = nets.data, nets.device
    X = data.X_train[:n_rows]
    y = targets(spec, data, data.y_train[:n_rows])
    s_model, t_model = nets.scratch_model, nets.torch_model
    s_loss, t_loss = scratch.make_loss(spec.loss), torch_impl.make_loss(spec.loss)
    n_logit = max(i for i, m in enumerate(s_model) if isinstance(m, scratch.Linear)) + 1
    tol = {k: tolerance(k, spec.dtype, dev) for k in ("forward", "gradient")}

    with torch_impl.parity_mode(dev):
        # scratch: forward, loss, hand-written backward
        s_logits = scratch.Sequential(*s_model.layers[:n_logit])(X)
        s_out = s_model(X)
        s_value = s_loss(s_out, y)
        s_model.zero_grad()
        s_grads = {"input": s_model.backward(s_loss.backward())}
        s_grads |= {n: p.grad.copy() for n, p in s_model.named_parameters()}
        # torch: the same through autograd
        Xt = torch.tensor(X, device=dev, requires_grad=True)
        yt = torch.as_tensor(y, device=dev)
        t_out = t_model(Xt)
        t_value = t_loss(t_out, yt)
        t_model.zero_grad()
        t_value.backward()
        t_grads = {"input": to_numpy(Xt.grad)}
        t_grads |= {n: to_numpy(p.grad) for n, p in t_model.named_parameters()}
        with torch.no_grad():
            t_logits = t_model[:n_logit](Xt)

    out: dict[str, list[Comparison]] = {
        "forward": [
            compare("logits", s_logits, t_logits, tol["forward"]),
            compare("head_output", s_out, t_out, tol["forward"]),
            compare("loss", np.float64(s_value), np.float64(t_value.item()), tol["forward"]),
        ],
        "gradient": compare_dicts("grad", s_grads, t_grads, tol["gradient"]),
    }
    if spec.dtype == "float64":
        _, numeric = scratch.gradients(s_model, X, loss=s_loss, target=y)
        fd_tol = tolerance("finite_difference", "float64")
        # central differences have an absolute error floor (~1e-16 |L| / eps), so they are
        # judged relative to the model's largest gradient, not each (possibly vanishing) tensor
        scale = max(float(np.abs(g).max()) for g in numeric.values())
        out["finite_difference"] = [
            *compare_dicts("scratch_vs_fd", s_grads, numeric, fd_tol, scale=scale),
            *compare_dicts("torch_vs_fd", t_grads, numeric, fd_tol, scale=scale),
        ]
    return out


# a run's comparison group -> the tolerance kind it is tabulated under (default: "weights")
_RUN_KINDS = {"loss_curve": "curve", "test_outputs": "outputs", "grad_first_step": "gradient"}


def check_cell(cell: Cell, min_steps: int = MIN_STEPS) -> CellResult:
    """All of a cell's checks: ``check_initial`` plus a lock-step run of ``min_steps``+ steps
    whose comparisons land under ``curve`` (per-step loss), ``weights`` (final weights and
    last-step gradients) and ``outputs`` (test-set outputs)."""
    result = CellResult(cell, check_initial(cell))
    result.run = run(cell.spec(min_steps), cell.data())
    for c in result.run.comparisons:
        kind = _RUN_KINDS.get(c.name.split("[")[0], "weights")
        result.comparisons.setdefault(kind, []).append(c)
    return result
