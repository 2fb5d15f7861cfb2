"""One lock-step parity run: same data, same initial weights, same batches, both networks.

``run(spec)`` follows DESIGN.md's data flow: load the dataset, draw one initial state dict
with scratch's initialisers and load it into both networks, draw the per-epoch batch order
once, train each side on its own, then compare per-step losses, gradients at the first and
last step, final weights and test-set outputs.
"""

from __future__ import annotations

from collections.abc import Callable
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
    init_rng, _ = _streams(spec.seed)
    s_model = scratch.build_model(*args, dtype=spec.dtype, rng=np.random.default_rng(0))
    state = scratch.init_state_dict(s_model, spec.init, rng=init_rng)
    s_model.load_state_dict(state)
    t_model = torch_impl.build_model(*args, dtype=spec.dtype, device=device)
    torch_impl.load_numpy_state_dict(t_model, state)
    return Networks(spec, data, s_model, t_model, state, device)


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
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


def make_optimizers(spec: RunSpec, nets: Networks) -> tuple[Any, torch.optim.Optimizer]:
    """The spec's optimizer on both sides, with identical settings."""
    s_params, t_params = nets.scratch_model.parameters(), nets.torch_model.parameters()
    if spec.optimizer == "sgd":
        kw: dict[str, Any] = dict(
            lr=spec.lr,
            momentum=spec.momentum,
            dampening=spec.dampening,
            nesterov=spec.nesterov,
            weight_decay=spec.weight_decay,
        )
        return scratch.SGD(s_params, **kw), torch.optim.SGD(t_params, **kw)
    kw_adam: dict[str, Any] = dict(
        lr=spec.lr, betas=spec.betas, eps=spec.eps, weight_decay=spec.weight_decay
    )
    return scratch.Adam(s_params, **kw_adam), torch.optim.Adam(t_params, **kw_adam)


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


def _test_metric(task: str, outputs: np.ndarray, pred: np.ndarray | None, data: Dataset) -> float:
    if task == "regression":
        return float(np.mean((outputs.astype(np.float64) - data.y_test) ** 2))
    return float(np.mean(pred == data.y_test))


def run(spec: RunSpec, *, progress: Callable[[int, int], None] | None = None) -> ParityResult:
    """Train both implementations in lock step from ``spec`` and compare them.

    ``progress(step, total)`` is called as training advances (scratch first, then torch, so
    ``total`` is twice the number of steps).
    """
    import time

    nets = build_networks(spec)
    data, dev = nets.data, nets.device
    y_train = targets(spec, data, data.y_train)
    _, batch_rng = _streams(spec.seed)
    batches = scratch.batch_order(len(data.X_train), spec.batch_size, spec.epochs, batch_rng)
    n_steps = sum(len(e) for e in batches)
    last = n_steps - 1

    def hook(store: dict[str, dict[str, np.ndarray]], named: Callable[[], Any]) -> Callable:
        def on_backward(step: int, _model: Any) -> None:
            if step in (0, last):
                store["first" if step == 0 else "last"] = {
                    n: to_numpy(p.grad).copy() for n, p in named()
                }
                if step == last and last == 0:
                    store["first"] = store["last"]

        return on_backward

    def relay(offset: int) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        return lambda step, _total: progress(offset + step, 2 * n_steps)

    # scratch side
    s_model, s_loss = nets.scratch_model, scratch.make_loss(spec.loss)
    s_opt, t_opt = make_optimizers(spec, nets)
    s_grads: dict[str, dict[str, np.ndarray]] = {}
    t0 = time.perf_counter()
    s_hist = scratch.fit(
        s_model,
        s_loss,
        s_opt,
        data.X_train,
        y_train,
        batches=batches,
        task=spec.task,
        progress=relay(0),
        on_backward=hook(s_grads, s_model.named_parameters),
    )
    s_secs = time.perf_counter() - t0
    s_out = s_model(data.X_test)
    s_pred = None if spec.task == "regression" else scratch.predict(s_model, data.X_test, spec.task)

    # torch side
    t_model, t_loss = nets.torch_model, TORCH_LOSSES[spec.loss]()
    t_grads: dict[str, dict[str, np.ndarray]] = {}
    with torch_impl.parity_mode(dev):
        t0 = time.perf_counter()
        t_hist = torch_impl.fit(
            t_model,
            t_loss,
            t_opt,
            data.X_train,
            y_train,
            batches=batches,
            task=spec.task,
            progress=relay(n_steps),
            on_backward=hook(t_grads, t_model.named_parameters),
        )
        t_secs = time.perf_counter() - t0
        with torch.inference_mode():
            t_model.eval()
            t_out = to_numpy(t_model(torch.as_tensor(data.X_test, device=dev)))
        t_pred = (
            None
            if spec.task == "regression"
            else torch_impl.predict(t_model, data.X_test, spec.task)
        )

    sides = []
    for hist, model_state, grads, out, pred, secs in (
        (s_hist, s_model.state_dict(), s_grads, s_out, s_pred, s_secs),
        (t_hist, torch_impl.numpy_state_dict(t_model), t_grads, t_out, t_pred, t_secs),
    ):
        sides.append(
            SideResult(
                losses=np.asarray(hist.losses, dtype=np.float64),
                history=hist,
                final_state=model_state,
                grads_first=grads["first"],
                grads_last=grads["last"],
                test_outputs=out,
                test_metric=_test_metric(spec.task, out, pred, data),
                seconds=secs,
            )
        )
    s_res, t_res = sides
    return ParityResult(spec, s_res, t_res, compare_sides(spec, s_res, t_res, dev.type))


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
