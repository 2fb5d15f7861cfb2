"""One lock-step parity run: same data, same initial weights, same batches, two implementations.

``run(spec, data)`` follows docs/DESIGN.md's data flow: resolve the data, draw one initial
state dict with scratch's initialisers and the per-epoch batch order once (``prepare``),
train the candidate (scratch by default) and the reference (torch, always) each on its own
(``train_side``), then compare per-step losses, gradients at the first and last step, final
weights and test-set outputs (``compare_results``). What the comparisons mean, ``agree``,
``disagree``, ``diverged`` or ``chaotic``, is ``parity.harness.outcome``'s (``ParityResult`` lives
there); a side whose loss diverges is recorded, not raised, by ``run``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

import scratch
from parity.data import Dataset, load_dataset, one_hot
from parity.errors import Diverged
from parity.harness.outcome import (
    ParityResult,
    chaos_step,
    compare_prefix,
    compare_sides,
    one_ulp_up,
    only_trained_fail,
)
from parity.harness.sides import (
    SCRATCH,
    TORCH,
    Implementation,
    SideResult,
    StateDict,
)
from parity.spec import Network, RunSpec

if TYPE_CHECKING:
    from torch import nn

Batches = Sequence[Sequence[np.ndarray]]  # per epoch, the index arrays of its minibatches
Progress = Callable[[int, int], None]  # progress(step, total)
Bars = Callable[[str, int], AbstractContextManager[Progress]]  # bars(side, steps): a bar


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
    record_divergence: bool = False,
) -> SideResult:
    """Build ``impl``'s network for ``setup`` and train it with its own ``fit``.

    Records the gradients of the first and last step, the test-set outputs and metric of the
    trained network, and the training time. ``validation`` evaluates the test split after
    every epoch (into the history's ``val_*``); ``progress`` and ``on_epoch`` are passed to
    ``fit``. A ``fit`` that diverges raises its ``TrainingDiverged`` (a
    ``FloatingPointError``); with ``record_divergence`` the side's result records it instead
    (``SideResult.diverged``), with the steps it took.
    """
    spec, data, task = setup.spec, setup.data, setup.spec.task
    model = build(impl, setup)
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
        try:
            history = impl.fit(
                model, impl.make_loss(spec.loss), impl.make_optimizer(model, spec),
                data.X_train, targets(spec, data, data.y_train), batches=setup.batches,
                task=task, progress=progress, on_backward=on_backward, on_epoch=on_epoch, **val,
            )  # fmt: skip
        except FloatingPointError as diverged:
            if not record_divergence:
                raise
            return _diverged_side(impl, model, grads, diverged, time.perf_counter() - t0)
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


def _diverged_side(
    impl: Implementation,
    model: Any,
    grads: dict[str, StateDict],
    diverged: FloatingPointError,
    seconds: float,
) -> SideResult:
    """The result of a side whose ``fit`` raised ``diverged``: the losses it recorded (the
    exception's ``history``), the weights it stopped at, no test outputs."""
    history = getattr(diverged, "history", None)
    losses = getattr(history, "losses", [])
    return SideResult(
        implementation=impl,
        losses=np.asarray(losses, dtype=np.float64),
        history=history,
        final_state=impl.state(model),
        grads_first=grads.get("first", {}),
        grads_last={},
        test_outputs=np.empty((0, 0)),
        test_metric=math.nan,
        seconds=seconds,
        diverged=diverged,
    )


def compare_results(setup: Setup, cand: SideResult, ref: SideResult) -> ParityResult:
    """The :class:`ParityResult` of two sides trained on ``setup``.

    A run where a side diverged is compared on what both reached (``compare_prefix``). When
    only trained quantities fail, the candidate is trained once more from the initial
    weights moved up by one ulp, to tell a chaotic run from a disagreement
    (``parity.harness.outcome``).
    """
    spec, device = setup.spec, setup.device
    result = ParityResult(spec, setup.data.name, setup.network, device, cand, ref)
    if cand.diverged is not None or ref.diverged is not None:
        result.comparisons = compare_prefix(spec, cand, ref, device)
        return result
    result.comparisons = compare_sides(spec, cand, ref, device)
    if only_trained_fail(result.comparisons):
        twin_setup = dataclasses.replace(setup, initial_state=one_ulp_up(setup.initial_state))
        twin = train_side(cand.implementation, twin_setup, record_divergence=True)
        result.chaos_step, result.sensitivity = chaos_step(spec, cand, ref, twin, device)
    return result


def run(
    spec: RunSpec,
    data: Dataset | str,
    *,
    candidate: Implementation = SCRATCH,
    progress: Progress | None = None,
    bars: Bars | None = None,
    on_divergence: str = "record",
    validation: bool = False,
) -> ParityResult:
    """Train ``candidate`` (scratch by default) and torch in lock step and compare them.

    ``data`` is a built-in dataset's name (loaded with the spec's seed and dtype) or a
    :class:`parity.data.Dataset` of the spec's task and dtype. Progress: ``progress(step,
    total)`` is called as training advances (the candidate first, then torch, so ``total``
    is twice the number of steps), or ``bars(name, steps)`` gives a progress bar per side (a
    context manager, as ``nn-parity train`` draws them). A side that diverges: with
    ``on_divergence="record"`` the result's ``outcome`` is ``"diverged"`` and ``summary()``
    says where (see :class:`ParityResult`); with ``"raise"`` it raises
    ``parity.errors.Diverged`` naming the side, the step and the loss. ``validation``
    evaluates the test split after every epoch (the history's ``val_*``).
    """
    if not isinstance(candidate, Implementation):
        raise TypeError(
            "candidate must be a parity.harness.sides.Implementation, "
            f"got {type(candidate).__name__}"
        )
    if on_divergence not in ("record", "raise"):
        raise ValueError(f"on_divergence must be 'record' or 'raise', got {on_divergence!r}")
    setup = prepare(spec, data)
    n_steps = setup.steps
    sides = []
    for offset, impl in ((0, candidate), (n_steps, TORCH)):
        relay = None
        if progress is not None:
            relay = _relay(progress, offset, 2 * n_steps)
        sides.append(_train_with_bar(impl, setup, relay, bars, on_divergence, validation))
    return compare_results(setup, sides[0], sides[1])


def train(
    impl: Implementation,
    spec: RunSpec,
    data: Dataset | str,
    *,
    bars: Bars | None = None,
    validation: bool = False,
) -> tuple[Setup, SideResult]:
    """Train one implementation alone, from the initial weights and batch order ``run``
    would give both (a diverging run raises ``parity.errors.Diverged``)."""
    setup = prepare(spec, data)
    return setup, _train_with_bar(impl, setup, None, bars, "raise", validation)


def _relay(progress: Progress, offset: int, total: int) -> Progress:
    return lambda step, _total: progress(offset + step, total)


def _train_with_bar(
    impl: Implementation,
    setup: Setup,
    progress: Progress | None,
    bars: Bars | None,
    on_divergence: str,
    validation: bool,
) -> SideResult:
    record = on_divergence == "record"
    try:
        if bars is None:
            return train_side(
                impl, setup, progress=progress, record_divergence=record, validation=validation
            )
        with bars(impl.name, setup.steps) as bar:
            return train_side(
                impl, setup, progress=bar, record_divergence=record, validation=validation
            )
    except FloatingPointError as err:  # the twins' TrainingDiverged
        raise Diverged(impl.name, err) from err


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
