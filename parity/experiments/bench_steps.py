"""The contestants of the bench: one training step of the same network, five ways.

Each builder returns a ``Step``: a callable taking the index of a batch in a small fixed
pool and doing one training step on it (ReLU MLP, softmax cross-entropy with the mean, plain
SGD at ``LR``), from the same initial state dict (scikit-learn draws its own). ``sync`` is
called at the end of every timed block (``torch.cuda.synchronize`` for a GPU: its kernels
run asynchronously; nothing otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from parity.experiments.fused import FusedStep, GemmSet

LR = 0.01  # small enough that the timed steps never diverge into NaN/inf or denormals
POOL = 4  # batches the steps cycle through: random labels, so no batch is ever fitted

Batch = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Step:
    """``run(k)`` does one step on batch ``k`` of the pool; ``sync()`` ends a timed block;
    ``pool`` names the thread pool the step runs on (NumPy's BLAS, or torch's)."""

    run: Callable[[int], object]
    sync: Callable[[], object] = lambda: None
    pool: str = "numpy"


def batch_pool(widths: Sequence[int], batch: int, dtype: str, seed: int = 0) -> list[Batch]:
    """``POOL`` batches: X (batch, in) standard normal of ``dtype``, y (batch,) random classes."""
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((batch, widths[0])).astype(dtype), rng.integers(0, widths[-1], batch))
        for _ in range(POOL)
    ]


def initial_state(widths: Sequence[int], dtype: str, seed: int = 0) -> dict[str, np.ndarray]:
    """The state dict every contestant (but scikit-learn) starts from: torch's default init."""
    import scratch

    rng = np.random.default_rng(seed)
    model = scratch.build_model(widths[0], widths[1:-1], widths[-1], "relu", dtype=dtype, rng=rng)
    return model.state_dict()


def scratch_step(widths: Sequence[int], state: Mapping[str, np.ndarray], pool: list[Batch]) -> Step:
    """One step through scratch's public API, as ``scratch.fit``'s loop takes it (checks
    included): ``zero_grad``, forward, loss, backward, ``step``."""
    import scratch

    dtype = next(iter(state.values())).dtype
    model = scratch.build_model(widths[0], widths[1:-1], widths[-1], "relu", dtype=dtype)
    model.load_state_dict(state)
    loss_fn, optimizer = scratch.CrossEntropyLoss(), scratch.SGD(model.parameters(), lr=LR)

    def run(k: int) -> float:
        X, y = pool[k]
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        optimizer.step()
        return loss

    return Step(run)


def fused_step(widths: Sequence[int], state: Mapping[str, np.ndarray], pool: list[Batch]) -> Step:
    """The hand-fused NumPy step (``FusedStep``)."""
    X = pool[0][0]
    fused = FusedStep(widths, len(X), str(X.dtype), state, LR)
    return Step(lambda k: fused.step(*pool[k]))


def gemm_step(widths: Sequence[int], batch: int, dtype: str) -> Step:
    """The step's matrix products alone (``GemmSet``): the floor a step can reach."""
    gemms = GemmSet(widths, batch, dtype)
    return Step(lambda k: gemms.run())


def torch_step(
    widths: Sequence[int], state: Mapping[str, np.ndarray], pool: list[Batch], device: str
) -> Step:
    """torch eager on ``device``: ``zero_grad``, forward, ``CrossEntropyLoss``, ``backward``,
    ``torch.optim.SGD.step``; the loss stays a tensor (no ``.item()``, no sync per step)."""
    import torch

    import torch_impl

    dtype = str(next(iter(state.values())).dtype)
    model = torch_impl.build_model(
        widths[0], widths[1:-1], widths[-1], "relu", dtype=dtype, device=device
    )
    torch_impl.load_numpy_state_dict(model, state)
    loss_fn = torch_impl.make_loss("cross_entropy")
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    data = [(torch.as_tensor(X, device=device), torch.as_tensor(y, device=device)) for X, y in pool]

    def run(k: int) -> object:
        X, y = data[k]
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        return loss.detach()

    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    return Step(run, sync, "torch")


def sklearn_step(widths: Sequence[int], pool: list[Batch]) -> Step:
    """scikit-learn's ``MLPClassifier.partial_fit`` on one batch: one SGD step (no momentum,
    no L2, no shuffling), its own checks and label handling included. Its output layer for
    two classes is one logistic unit, not two softmax units."""
    from sklearn.neural_network import MLPClassifier

    X, y = pool[0]
    model = MLPClassifier(
        hidden_layer_sizes=tuple(widths[1:-1]),
        activation="relu",
        solver="sgd",
        alpha=0.0,
        batch_size=len(X),
        learning_rate_init=LR,
        momentum=0.0,
        nesterovs_momentum=False,
        shuffle=False,
        random_state=0,
    )
    model.partial_fit(X, y, classes=np.arange(widths[-1]))
    return Step(lambda k: model.partial_fit(*pool[k]))
