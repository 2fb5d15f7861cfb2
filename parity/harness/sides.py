"""The implementations as values: what the harness needs of a network implementation.

``parity.run(spec, data, candidate=SCRATCH)`` trains ``candidate`` and ``TORCH`` (always the
reference) from one initial state dict and one batch order and compares them, as tinygrad's
``helper_test_op(torch_fxn, tinygrad_fxn)`` compares two functions. The harness never asks
which implementation it holds; it calls the functions of the record. ``SCRATCH`` and
``TORCH`` are the two this project ships; a variant is ``dataclasses.replace(SCRATCH,
fit=my_fit)``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

import scratch
from parity.spec import Network, RunSpec

if TYPE_CHECKING:
    import torch
    from torch import nn

StateDict = dict[str, np.ndarray]


@dataclass(frozen=True)
class Implementation:
    """One implementation of the network, as the functions the harness calls.

    A *model* is whatever ``build`` returns; every other function takes it back.

    - ``name``: shown in messages and tables (``"scratch"``, ``"torch"``);
    - ``build(network, dtype, device)``: the network with any initial weights;
    - ``load_state(model, state)``: copy a NumPy state dict (torch's keys and layout) in;
    - ``make_loss(name)``: the loss by name (``"mse"``, ``"cross_entropy"``...);
    - ``make_optimizer(model, spec)``: the spec's optimizer over the model's parameters;
    - ``fit``: the implementation's own training loop (``scratch.fit``'s arguments);
    - ``predict(model, X, task)``, ``predict_proba(model, X, task)``: labels or values,
      class probabilities;
    - ``outputs(model, X)``: raw outputs ``(N, out)`` as NumPy, in inference mode;
    - ``state(model)``: the parameters as a NumPy state dict;
    - ``grads(model)``: the parameters' gradients as NumPy arrays, keyed like ``state``;
    - ``load_weights(path)``: a weights file as a NumPy state dict;
    - ``device(requested)``: where it runs for a requested device (``"auto"`` resolved);
    - ``session(device)``: a context manager a run happens in (settings, restored after).
    """

    name: str
    build: Callable[[Network, str, str], Any]
    load_state: Callable[[Any, Mapping[str, np.ndarray]], None]
    make_loss: Callable[[str], Any]
    make_optimizer: Callable[[Any, RunSpec], Any]
    fit: Callable[..., Any]
    predict: Callable[[Any, np.ndarray, str], np.ndarray]
    predict_proba: Callable[[Any, np.ndarray, str], np.ndarray]
    outputs: Callable[[Any, np.ndarray], np.ndarray]
    state: Callable[[Any], StateDict]
    grads: Callable[[Any], StateDict]
    load_weights: Callable[[str | os.PathLike[str]], StateDict]
    device: Callable[[str], str]
    session: Callable[[str], AbstractContextManager[Any]]


# ------------------------------------------------------------------------------ scratch


def _scratch_build(network: Network, dtype: str, device: str) -> scratch.Sequential:
    """scratch runs on the CPU whatever ``device`` says; the weights are replaced anyway."""
    return scratch.build_model(
        network.in_features, network.hidden, network.out_features, network.activations,
        network.output_activation, dtype=dtype, rng=np.random.default_rng(0),
    )  # fmt: skip


def _scratch_load(model: scratch.Sequential, state: Mapping[str, np.ndarray]) -> None:
    model.load_state_dict(state)


def _scratch_optimizer(model: scratch.Sequential, spec: RunSpec) -> Any:
    return scratch.make_optimizer(spec.optimizer, model.parameters(), **spec.optimizer_settings())


def _scratch_outputs(model: scratch.Sequential, X: np.ndarray) -> np.ndarray:
    return model(X)


def _scratch_state(model: scratch.Sequential) -> StateDict:
    return model.state_dict()


def _scratch_grads(model: scratch.Sequential) -> StateDict:
    return {name: np.array(p.grad) for name, p in model.named_parameters()}


def _on_cpu(requested: str) -> str:
    return "cpu"


def _no_session(device: str) -> AbstractContextManager[Any]:
    return nullcontext()


SCRATCH = Implementation(
    name="scratch",
    build=_scratch_build,
    load_state=_scratch_load,
    make_loss=scratch.make_loss,
    make_optimizer=_scratch_optimizer,
    fit=scratch.fit,
    predict=scratch.predict,
    predict_proba=scratch.predict_proba,
    outputs=_scratch_outputs,
    state=_scratch_state,
    grads=_scratch_grads,
    load_weights=scratch.load_weights,
    device=_on_cpu,
    session=_no_session,
)


# ------------------------------------------------------------------------------ torch
# Each function imports torch when it is first called, not when ``parity.harness.sides`` is
# imported:
# a scratch-only command (``nn-parity train --backend scratch``) never pays for torch (~1.5 s).


def _torch_build(network: Network, dtype: str, device: str) -> nn.Sequential:
    import torch_impl

    return torch_impl.build_model(
        network.in_features, network.hidden, network.out_features, network.activations,
        network.output_activation, dtype=dtype, device=device,
    )  # fmt: skip


def _torch_load(model: nn.Module, state: Mapping[str, np.ndarray]) -> None:
    import torch_impl

    torch_impl.load_numpy_state_dict(model, state)


def _torch_loss(name: str) -> nn.Module:
    import torch_impl

    return torch_impl.make_loss(name)


def _torch_optimizer(model: nn.Module, spec: RunSpec) -> torch.optim.Optimizer:
    import torch_impl

    return torch_impl.make_optimizer(
        spec.optimizer, model.parameters(), **spec.optimizer_settings()
    )


def _torch_fit(*args: Any, **kwargs: Any) -> Any:
    """``torch_impl.fit``, imported at the call."""
    import torch_impl

    return torch_impl.fit(*args, **kwargs)


def _torch_predict(model: nn.Module, X: np.ndarray, task: str) -> np.ndarray:
    import torch_impl

    return torch_impl.predict(model, X, task)


def _torch_predict_proba(model: nn.Module, X: np.ndarray, task: str) -> np.ndarray:
    import torch_impl

    return torch_impl.predict_proba(model, X, task)


def _torch_outputs(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """``model(X)`` in eval and inference mode, on the model's device, as a NumPy array."""
    import torch

    device = next(model.parameters()).device
    with torch.inference_mode():
        model.eval()
        out = model(torch.as_tensor(X, device=device)).cpu().numpy()
        model.train()
    return out


def _torch_state(model: nn.Module) -> StateDict:
    import torch_impl

    return torch_impl.numpy_state_dict(model)


def _torch_grads(model: nn.Module) -> StateDict:
    grads = {}
    for name, p in model.named_parameters():
        if p.grad is None:
            raise ValueError(f"parameter {name!r} has no gradient: no backward pass reached it")
        grads[name] = p.grad.detach().cpu().numpy().copy()
    return grads


def _torch_load_weights(path: str | os.PathLike[str]) -> StateDict:
    import torch_impl

    return torch_impl.load_weights(path)


def _torch_device(requested: str) -> str:
    if requested == "cpu":  # always there: no need to import torch to say so
        return "cpu"
    import torch_impl

    return str(torch_impl.resolve_device(requested))


def _torch_session(device: str) -> AbstractContextManager[Any]:
    import torch_impl

    return torch_impl.parity_mode(device)


TORCH = Implementation(
    name="torch",
    build=_torch_build,
    load_state=_torch_load,
    make_loss=_torch_loss,
    make_optimizer=_torch_optimizer,
    fit=_torch_fit,
    predict=_torch_predict,
    predict_proba=_torch_predict_proba,
    outputs=_torch_outputs,
    state=_torch_state,
    grads=_torch_grads,
    load_weights=_torch_load_weights,
    device=_torch_device,
    session=_torch_session,
)

# the implementations by name, for a command-line option such as ``--backend scratch``
IMPLEMENTATIONS: dict[str, Implementation] = {impl.name: impl for impl in (SCRATCH, TORCH)}


def diverged_loss(diverged: FloatingPointError) -> float:
    """The loss a ``TrainingDiverged`` reports (nan for another ``FloatingPointError``)."""
    return float(getattr(diverged, "loss", math.nan))


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
    # the side's fit stopped at a diverged loss (``.step``, ``.loss``, ``.lr``); ``losses``,
    # ``history`` and ``final_state`` then hold what it reached, there are no test outputs
    diverged: FloatingPointError | None = None

    @property
    def name(self) -> str:
        """The implementation's name."""
        return self.implementation.name

    def divergence(self) -> str:
        """``"diverged at step k (loss ...)"``, or ``"trained all N steps"``."""
        d = self.diverged
        if d is None:
            return f"trained all {len(self.losses)} steps"
        return (
            f"diverged at step {getattr(d, 'step', len(self.losses))} (loss {diverged_loss(d):.3g})"
        )
