"""One lock-step parity run: same data, same initial weights, same batches, two implementations.

``run(spec, data)`` follows docs/DESIGN.md's data flow: resolve the data, draw one initial
state dict with scratch's initialisers and the per-epoch batch order once (``prepare``),
train the candidate (scratch by default) and the reference (torch, always) each on its own
(``train_side``), then compare per-step losses, gradients at the first and last step, final
weights and test-set outputs (``compare_results``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

import scratch

from .compare import Comparison, compare, compare_dicts
from .data import Dataset, load_dataset, one_hot
from .sides import SCRATCH, TORCH, Implementation, StateDict
from .spec import Network, RunSpec
from .tolerances import Tolerance, tolerance

if TYPE_CHECKING:
    from torch import nn

Batches = Sequence[Sequence[np.ndarray]]  # per epoch, the index arrays of its minibatches
Progress = Callable[[int, int], None]  # progress(step, total)


def seed_streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent generators from one seed: initial weights, batch order."""
    init_ss, batch_ss = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(init_ss), np.random.default_rng(batch_ss)


def resolve_data(spec: RunSpec, data: Dataset | str) -> Dataset:
    """``data`` as a :class:`Dataset` for ``spec``: a built-in dataset's name is loaded with
    the spec's seed and dtype; a Dataset must pose the spec's task in the spec's dtype."""
    if not isinstance(spec, RunSpec):
        raise TypeError(f"spec must be a RunSpec, got {type(spec).__name__} {spec!r}")
    if isinstance(data, str):
        data = load_dataset(data, seed=spec.seed, dtype=spec.dtype)
    elif not isinstance(data, Dataset):
        raise TypeError(
            f"data must be a parity.data.Dataset or a built-in dataset's name, "
            f"got {type(data).__name__} {data!r}"
        )
    if data.task != spec.task:
        raise ValueError(
            f"data {data.name!r} is a {data.task} dataset but the spec's task is {spec.task}; "
            f"pass RunSpec(task={data.task!r}, ...) or data of the spec's task"
        )
    if data.X_train.dtype != np.dtype(spec.dtype):
        raise ValueError(
            f"data {data.name!r} holds {data.X_train.dtype} features but the spec's dtype is "
            f"{spec.dtype}; load the data with dtype={spec.dtype!r}"
        )
    return data


def targets(spec: RunSpec, data: Dataset, y: np.ndarray) -> np.ndarray:
    """The loss target for labels ``y`` under the spec's head: float (N, 1) for regression and
    binary, int64 class indices (N,) for cross-entropy, one-hot floats (N, C) for softmax+MSE."""
    if spec.loss == "cross_entropy":
        return y.astype(np.int64)
    if spec.head_name == "softmax_mse":
        return one_hot(y, data.n_classes, dtype=spec.dtype)
    return y.reshape(-1, 1).astype(spec.dtype)


def initial_state(spec: RunSpec, network: Network) -> StateDict:
    """The one initial state dict both sides load: drawn by ``scratch.init_state_dict`` with
    the spec's init from the seed's first stream; torch's own RNG is never used."""
    init_rng, _ = seed_streams(spec.seed)
    model = SCRATCH.build(network, spec.dtype, "cpu")
    return scratch.init_state_dict(model, spec.init, rng=init_rng)


def shared_batches(spec: RunSpec, n_train: int) -> Batches:
    """The per-epoch batch order both sides train on, drawn once from the spec's seed."""
    _, batch_rng = seed_streams(spec.seed)
    return scratch.batch_order(n_train, spec.batch_size, spec.epochs, batch_rng)


@dataclass(frozen=True, eq=False)
class Setup:
    """What both sides of a run share: the spec, the data, the network, one initial state
    dict, one batch order, and the device the reference runs on."""

    spec: RunSpec
    data: Dataset
    network: Network
    initial_state: StateDict
    batches: Batches
    device: str

    @property
    def steps(self) -> int:
        """Optimizer steps in the run."""
        return sum(len(epoch) for epoch in self.batches)


def prepare(spec: RunSpec, data: Dataset | str) -> Setup:
    """Resolve the data and the device, draw the initial state dict and the batch order."""
    data = resolve_data(spec, data)
    device = TORCH.device(spec.device)
    network = spec.network(data.n_features, data.n_outputs)
    return Setup(
        spec, data, network, initial_state(spec, network),
        shared_batches(spec, len(data.X_train)), device,
    )  # fmt: skip


def build(impl: Implementation, setup: Setup) -> Any:
    """``impl``'s network for ``setup``, holding the shared initial state dict."""
    model = impl.build(setup.network, setup.spec.dtype, impl.device(setup.spec.device))
    impl.load_state(model, setup.initial_state)
    return model


@dataclass
class SideResult:
    """What one implementation produced in a run."""

    implementation: Implementation
    losses: np.ndarray  # (steps,)
    history: Any  # the implementation's fit history (train/val loss and accuracy per epoch)
    final_state: StateDict
    grads_first: StateDict
    grads_last: StateDict
    test_outputs: np.ndarray  # (N_test, out) raw model outputs after training
    test_metric: float  # accuracy (classification) or MSE (regression) on the test split
    seconds: float = 0.0

    @property
    def name(self) -> str:
        """The implementation's name."""
        return self.implementation.name


def test_metric(task: str, outputs: np.ndarray, pred: np.ndarray | None, data: Dataset) -> float:
    """Test MSE (regression, standardised units) or test accuracy (classification)."""
    if task == "regression":
        return float(np.mean((outputs.astype(np.float64) - data.y_test) ** 2))
    return float(np.mean(pred == data.y_test))


def train_side(
    impl: Implementation,
    setup: Setup,
    *,
    validation: bool = False,
    progress: Progress | None = None,
    on_epoch: Callable[[int, Any], None] | None = None,
) -> SideResult:
    """Build ``impl``'s network for ``setup`` and train it with its own ``fit``.

    Records the gradients of the first and last step, the test-set outputs and metric of the
    trained network, and the training time. ``validation`` evaluates the test split after
    every epoch (into the history's ``val_*``); ``progress`` and ``on_epoch`` are passed to
    ``fit``.
    """
    spec, data, task = setup.spec, setup.data, setup.spec.task
    model = build(impl, setup)
    optimizer = impl.make_optimizer(model, spec)
    last = setup.steps - 1
    grads: dict[str, StateDict] = {}

    def on_backward(step: int, m: Any) -> None:
        if step == 0:
            grads["first"] = impl.grads(m)
        if step == last:
            grads["last"] = impl.grads(m)

    val = {"X_val": data.X_test, "y_val": targets(spec, data, data.y_test)} if validation else {}
    with impl.session(impl.device(spec.device)):
        t0 = time.perf_counter()
        history = impl.fit(
            model, impl.make_loss(spec.loss), optimizer, data.X_train,
            targets(spec, data, data.y_train), batches=setup.batches, task=task,
            progress=progress, on_backward=on_backward, on_epoch=on_epoch, **val,
        )  # fmt: skip
        seconds = time.perf_counter() - t0
        outputs = impl.outputs(model, data.X_test)
        pred = None if task == "regression" else impl.predict(model, data.X_test, task)
        state = impl.state(model)
    return SideResult(
        implementation=impl,
        losses=np.asarray(history.losses, dtype=np.float64),
        history=history,
        final_state=state,
        grads_first=grads["first"],
        grads_last=grads["last"],
        test_outputs=outputs,
        test_metric=test_metric(task, outputs, pred, data),
        seconds=seconds,
    )


@dataclass
class ParityResult:
    """A parity run's outcome: both sides' results and every comparison.

    ``dataset`` names the data the run trained on; ``device`` is where the reference ran.
    """

    spec: RunSpec
    dataset: str
    network: Network
    device: str
    candidate: SideResult
    reference: SideResult
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.comparisons)

    @property
    def sides(self) -> dict[str, SideResult]:
        """Both sides' results by implementation name, candidate first."""
        return {side.name: side for side in (self.candidate, self.reference)}

    @property
    def worst(self) -> dict[str, Comparison]:
        """The worst comparison per quantity group (``loss_curve``, ``final_weights``...)."""
        worst: dict[str, Comparison] = {}
        for c in self.comparisons:
            group = c.name.split("[")[0]
            if group not in worst or c.scaled > worst[group].scaled:
                worst[group] = c
        return worst

    @property
    def first_failure(self) -> Comparison | None:
        """The first comparison over its tolerance (curves name the step), or ``None``."""
        return next((c for c in self.comparisons if not c.ok), None)

    def summary(self) -> str:
        """A readable multi-line summary: verdict, worst error per quantity, metrics."""
        s, cand, ref = self.spec, self.candidate, self.reference
        metric = "test MSE" if s.task == "regression" else "test accuracy"
        lines = [
            f"{s.label()} on {self.dataset}: {'PARITY OK' if self.ok else 'PARITY FAILED'} "
            f"({len(cand.losses)} steps, {s.optimizer} lr={s.lr}, device {s.device})",
        ]
        lines += [f"  {c.message}" for c in self.worst.values()]
        lines.append(
            f"  {metric}: {cand.name} {cand.test_metric:.4f}, {ref.name} {ref.test_metric:.4f}"
        )
        if not self.ok and self.first_failure is not None:
            lines.append(f"  first failure: {self.first_failure.message}")
        return "\n".join(lines)


def compare_sides(
    spec: RunSpec, cand: SideResult, ref: SideResult, device: str
) -> list[Comparison]:
    """Every comparison of a finished run: per-step loss curve, first- and last-step
    gradients, final weights and test outputs, each against its tolerance on ``device``."""
    dt, names = spec.dtype, (cand.name, ref.name)

    def tol(kind: str) -> Tolerance:
        return tolerance(kind, dt, device)

    comps = [compare("loss_curve", cand.losses, ref.losses, tol("curve"), per_step=True,
                     names=names)]  # fmt: skip
    comps += compare_dicts(
        "grad_first_step", cand.grads_first, ref.grads_first, tol("gradient"), names=names
    )
    # the last step's gradients come from trained weights: the trained-run bound applies
    comps += compare_dicts(
        "grad_last_step", cand.grads_last, ref.grads_last, tol("weights"), names=names
    )
    comps += compare_dicts(
        "final_weights", cand.final_state, ref.final_state, tol("weights"), names=names
    )
    comps.append(
        compare("test_outputs", cand.test_outputs, ref.test_outputs, tol("outputs"), names=names)
    )
    return comps


def compare_results(setup: Setup, cand: SideResult, ref: SideResult) -> ParityResult:
    """The :class:`ParityResult` of two sides trained on ``setup``."""
    comparisons = compare_sides(setup.spec, cand, ref, setup.device)
    return ParityResult(setup.spec, setup.data.name, setup.network, setup.device, cand, ref,
                        comparisons)  # fmt: skip


def run(
    spec: RunSpec,
    data: Dataset | str,
    *,
    candidate: Implementation = SCRATCH,
    progress: Progress | None = None,
) -> ParityResult:
    """Train ``candidate`` (scratch by default) and torch in lock step and compare them.

    ``data`` is a built-in dataset's name (loaded with the spec's seed and dtype) or a
    :class:`parity.data.Dataset` of the spec's task and dtype. ``progress(step, total)`` is
    called as training advances (the candidate first, then torch, so ``total`` is twice the
    number of steps).
    """
    if not isinstance(candidate, Implementation):
        raise TypeError(
            f"candidate must be a parity.sides.Implementation, got {type(candidate).__name__}"
        )
    setup = prepare(spec, data)
    n_steps = setup.steps

    def relay(offset: int) -> Progress | None:
        if progress is None:
            return None
        return lambda step, _total: progress(offset + step, 2 * n_steps)

    cand = train_side(candidate, setup, progress=relay(0))
    ref = train_side(TORCH, setup, progress=relay(n_steps))
    return compare_results(setup, cand, ref)


def trained_models(result: ParityResult) -> tuple[Any, Any]:
    """Both networks of a finished run, (candidate, reference), each rebuilt with its own
    side's final weights (the reference on the run's device)."""
    models = []
    for side in (result.candidate, result.reference):
        impl = side.implementation
        model = impl.build(result.network, result.spec.dtype, impl.device(result.spec.device))
        impl.load_state(model, side.final_state)
        models.append(model)
    return models[0], models[1]


# ------------------------------------------------------------------ both networks at once


@dataclass(frozen=True, eq=False)
class Networks:
    """Both networks of a spec, built and loaded with the same initial state dict (for the
    experiments and the grid, which drive scratch and torch by hand)."""

    spec: RunSpec
    data: Dataset
    scratch_model: scratch.Sequential
    torch_model: nn.Sequential
    initial_state: StateDict
    device: str


def build_networks(spec: RunSpec, data: Dataset | str) -> Networks:
    """Scratch's and torch's network for ``spec`` on ``data``, one initial state dict."""
    setup = prepare(spec, data)
    return Networks(spec, setup.data, build(SCRATCH, setup), build(TORCH, setup),
                    setup.initial_state, setup.device)  # fmt: skip


def make_optimizers(spec: RunSpec, nets: Networks) -> tuple[Any, Any]:
    """The spec's optimizer on both sides of ``nets``, with identical settings."""
    return (
        SCRATCH.make_optimizer(nets.scratch_model, spec),
        TORCH.make_optimizer(nets.torch_model, spec),
    )
