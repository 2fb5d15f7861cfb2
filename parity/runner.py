"""One lock-step parity run: same data, same initial weights, same batches, both networks.

``run(spec)`` follows docs/DESIGN.md's data flow: load the dataset, draw one initial state dict
with scratch's initialisers and load it into both networks, draw the per-epoch batch order
once, train each side on its own, then compare per-step losses, gradients at the first and
last step, final weights and test-set outputs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

import scratch
import torch_impl

from .compare import Comparison, compare, compare_dicts, to_numpy
from .data import Dataset, load_dataset, one_hot
from .spec import RunSpec
from .tolerances import tolerance

TORCH_LOSSES: dict[str, Callable[[], nn.Module]] = {
    "mse": nn.MSELoss,
    "bce": nn.BCELoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
    "cross_entropy": nn.CrossEntropyLoss,
}


@dataclass
class Networks:
    """Both networks of a spec, built and loaded with the same initial state dict."""

    spec: RunSpec
    data: Dataset
    scratch_model: scratch.Sequential
    torch_model: nn.Sequential
    initial_state: dict[str, np.ndarray]
    device: torch.device


def build_networks(spec: RunSpec, data: Dataset | None = None) -> Networks:
    """Build both networks for ``spec`` and load one shared initial state dict into both.

    The state dict is drawn by ``scratch.init_state_dict`` from a generator seeded with the
    spec's seed (its first spawned child stream); torch's own RNG is never used.
    """
    if data is None:
        data = load_dataset(
            spec.dataset, seed=spec.seed, n_samples=spec.n_samples, dtype=spec.dtype
        )
    device = torch_impl.resolve_device(spec.device)
    args = (data.n_features, spec.hidden, data.n_outputs, spec.activations, spec.output_activation)
    init_rng, _ = seed_streams(spec.seed)
    s_model = scratch.build_model(*args, dtype=spec.dtype, rng=np.random.default_rng(0))
    state = scratch.init_state_dict(s_model, spec.init, rng=init_rng)
    s_model.load_state_dict(state)
    t_model = torch_impl.build_model(*args, dtype=spec.dtype, device=device)
    torch_impl.load_numpy_state_dict(t_model, state)
    return Networks(spec, data, s_model, t_model, state, device)


def seed_streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent generators from one seed: initial weights, batch order."""
    init_ss, batch_ss = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(init_ss), np.random.default_rng(batch_ss)


def targets(spec: RunSpec, data: Dataset, y: np.ndarray) -> np.ndarray:
    """The loss target for labels ``y`` under the spec's head: float (N, 1) for regression and
    binary, int64 class indices (N,) for cross-entropy, one-hot floats (N, C) for softmax+MSE."""
    if spec.loss == "cross_entropy":
        return y.astype(np.int64)
    if spec.head_name == "softmax_mse":
        return one_hot(y, data.n_classes, dtype=spec.dtype)
    return y.reshape(-1, 1).astype(spec.dtype)


def make_optimizer(spec: RunSpec, params: Any, side: str) -> Any:
    """The spec's optimizer for one side (``"scratch"`` or ``"torch"``), torch's settings."""
    if spec.optimizer == "sgd":
        kw: dict[str, Any] = dict(
            lr=spec.lr, momentum=spec.momentum, dampening=spec.dampening,
            nesterov=spec.nesterov, weight_decay=spec.weight_decay,
        )  # fmt: skip
        return scratch.SGD(params, **kw) if side == "scratch" else torch.optim.SGD(params, **kw)
    kw = dict(lr=spec.lr, betas=spec.betas, eps=spec.eps, weight_decay=spec.weight_decay)
    return scratch.Adam(params, **kw) if side == "scratch" else torch.optim.Adam(params, **kw)


def make_optimizers(spec: RunSpec, nets: Networks) -> tuple[Any, torch.optim.Optimizer]:
    """The spec's optimizer on both sides, with identical settings."""
    return (
        make_optimizer(spec, nets.scratch_model.parameters(), "scratch"),
        make_optimizer(spec, nets.torch_model.parameters(), "torch"),
    )


@dataclass
class SideResult:
    """What one implementation produced in a run."""

    losses: np.ndarray  # (steps,)
    history: Any
    final_state: dict[str, np.ndarray]
    grads_first: dict[str, np.ndarray]
    grads_last: dict[str, np.ndarray]
    test_outputs: np.ndarray  # (N_test, out) raw model outputs after training
    test_metric: float  # accuracy (classification) or MSE (regression) on the test split
    seconds: float = 0.0


@dataclass
class ParityResult:
    """A parity run's outcome: both sides' results and every comparison."""

    spec: RunSpec
    scratch: SideResult
    torch: SideResult
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.comparisons)

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
        s = self.spec
        metric = "test MSE" if s.task == "regression" else "test accuracy"
        lines = [
            f"{s.label()} on {s.dataset}: {'PARITY OK' if self.ok else 'PARITY FAILED'} "
            f"({len(self.scratch.losses)} steps, {s.optimizer} lr={s.lr}, device {s.device})",
        ]
        lines += [f"  {c.message}" for c in self.worst.values()]
        lines.append(
            f"  {metric}: scratch {self.scratch.test_metric:.4f}, "
            f"torch {self.torch.test_metric:.4f}"
        )
        if not self.ok and self.first_failure is not None:
            lines.append(f"  first failure: {self.first_failure.message}")
        return "\n".join(lines)


def trained_models(result: ParityResult) -> tuple[scratch.Sequential, nn.Sequential]:
    """Both networks of a finished run, each rebuilt with its own side's final weights (the
    torch one on the spec's device)."""
    spec = result.spec
    n_in = next(iter(result.scratch.final_state.values())).shape[1]
    n_out = result.scratch.test_outputs.shape[1]
    args = (n_in, spec.hidden, n_out, spec.activations, spec.output_activation)
    s_model = scratch.build_model(*args, dtype=spec.dtype, rng=np.random.default_rng(0))
    s_model.load_state_dict(result.scratch.final_state)
    t_model = torch_impl.build_model(*args, dtype=spec.dtype, device=spec.device)
    torch_impl.load_numpy_state_dict(t_model, result.torch.final_state)
    return s_model, t_model


def test_metric(task: str, outputs: np.ndarray, pred: np.ndarray | None, data: Dataset) -> float:
    """Test MSE (regression, standardised units) or test accuracy (classification)."""
    if task == "regression":
        return float(np.mean((outputs.astype(np.float64) - data.y_test) ** 2))
    return float(np.mean(pred == data.y_test))


def shared_batches(spec: RunSpec, n_train: int) -> list[list[np.ndarray]]:
    """The per-epoch batch order both sides train on, drawn once from the spec's seed."""
    _, batch_rng = seed_streams(spec.seed)
    return scratch.batch_order(n_train, spec.batch_size, spec.epochs, batch_rng)


def train_side(
    side: str,
    spec: RunSpec,
    nets: Networks,
    batches: list[list[np.ndarray]],
    *,
    validation: bool = False,
    progress: Callable[[int, int], None] | None = None,
    on_epoch: Callable[[int, Any], None] | None = None,
) -> SideResult:
    """Train one implementation (``"scratch"`` or ``"torch"``) of ``nets`` on ``batches``.

    Records the gradients of the first and last step, the test-set outputs and metric of the
    trained network, and the training time. ``validation`` evaluates the test split after
    every epoch (into the history's ``val_*``); ``progress`` and ``on_epoch`` are passed to
    the side's ``fit``.
    """
    if side not in ("scratch", "torch"):
        raise ValueError(f"unknown side {side!r}; valid: scratch, torch")
    data, task = nets.data, spec.task
    model: Any
    loss: Any
    fit: Callable[..., Any]
    predict: Callable[..., np.ndarray]
    if side == "scratch":
        model, loss, fit, predict = (
            nets.scratch_model, scratch.make_loss(spec.loss), scratch.fit, scratch.predict
        )  # fmt: skip
        context: Any = nullcontext()
    else:
        model, loss, fit, predict = (
            nets.torch_model, TORCH_LOSSES[spec.loss](), torch_impl.fit, torch_impl.predict
        )  # fmt: skip
        context = torch_impl.parity_mode(nets.device)
    optimizer = make_optimizer(spec, model.parameters(), side)
    last = sum(len(e) for e in batches) - 1
    grads: dict[str, dict[str, np.ndarray]] = {}

    def on_backward(step: int, m: Any) -> None:
        if step in (0, last):
            named = {n: to_numpy(p.grad).copy() for n, p in m.named_parameters()}
            if step == 0:
                grads["first"] = named
            if step == last:
                grads["last"] = named

    val: dict[str, Any] = {}
    if validation:
        val = {"X_val": data.X_test, "y_val": targets(spec, data, data.y_test)}
    with context:
        t0 = time.perf_counter()
        history = fit(
            model, loss, optimizer, data.X_train, targets(spec, data, data.y_train),
            batches=batches, task=task, progress=progress, on_backward=on_backward,
            on_epoch=on_epoch, **val,
        )  # fmt: skip
        seconds = time.perf_counter() - t0
        if side == "scratch":
            outputs = model(data.X_test)
            state = model.state_dict()
        else:
            with torch.inference_mode():
                model.eval()
                outputs = to_numpy(model(torch.as_tensor(data.X_test, device=nets.device)))
                model.train()
            state = torch_impl.numpy_state_dict(model)
        pred = None if task == "regression" else predict(model, data.X_test, task)
    return SideResult(
        losses=np.asarray(history.losses, dtype=np.float64),
        history=history,
        final_state=state,
        grads_first=grads["first"],
        grads_last=grads["last"],
        test_outputs=outputs,
        test_metric=test_metric(task, outputs, pred, data),
        seconds=seconds,
    )


def run(spec: RunSpec, *, progress: Callable[[int, int], None] | None = None) -> ParityResult:
    """Train both implementations in lock step from ``spec`` and compare them.

    ``progress(step, total)`` is called as training advances (scratch first, then torch, so
    ``total`` is twice the number of steps).
    """
    nets = build_networks(spec)
    batches = shared_batches(spec, len(nets.data.X_train))
    n_steps = sum(len(e) for e in batches)

    def relay(offset: int) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        return lambda step, _total: progress(offset + step, 2 * n_steps)

    s_res = train_side("scratch", spec, nets, batches, progress=relay(0))
    t_res = train_side("torch", spec, nets, batches, progress=relay(n_steps))
    return ParityResult(spec, s_res, t_res, compare_sides(spec, s_res, t_res, nets.device.type))


def compare_sides(
    spec: RunSpec, s_res: SideResult, t_res: SideResult, device: str
) -> list[Comparison]:
    """Every comparison of a finished run: per-step loss curve, first- and last-step
    gradients, final weights and test outputs, each against its tolerance on ``device``."""
    dt = spec.dtype
    comps = [
        compare(
            "loss_curve", s_res.losses, t_res.losses, tolerance("curve", dt, device), per_step=True
        )
    ]
    comps += compare_dicts(
        "grad_first_step", s_res.grads_first, t_res.grads_first, tolerance("gradient", dt, device)
    )
    # the last step's gradients come from trained weights: the trained-run bound applies
    comps += compare_dicts(
        "grad_last_step", s_res.grads_last, t_res.grads_last, tolerance("weights", dt, device)
    )
    comps += compare_dicts(
        "final_weights", s_res.final_state, t_res.final_state, tolerance("weights", dt, device)
    )
    comps.append(
        compare(
            "test_outputs", s_res.test_outputs, t_res.test_outputs, tolerance("outputs", dt, device)
        )
    )
    return comps
