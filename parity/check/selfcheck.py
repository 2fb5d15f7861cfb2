"""``nn-parity check --self``: this project's own ``scratch`` through the same ``Layers`` path.

``scratch.Sequential``'s modules are layer objects already (``forward``/``backward``, weights
as ``Parameter`` objects with ``.data`` and ``.grad``, torch's ``(out, in)`` layout); the one
adapter needed is for the loss, whose target must have the output's shape (``(N, 1)`` floats
for binary and regression) where ``check`` hands a loss ``(N,)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from parity.check.adapters.layers import Layers
from parity.check.inputs import ACTIVATIONS

HEAD_DATASETS = {"multiclass": "digits", "binary": "breast_cancer", "regression": "diabetes"}
LOSS_FOR_HEAD = {"multiclass": "cross_entropy", "binary": "bce_with_logits", "regression": "mse"}


class ScratchLoss:
    """A scratch loss taking ``y`` as ``check`` passes it: ``(N,)`` targets reshaped to the
    ``(N, 1)`` output for binary and regression."""

    def __init__(self, head: str) -> None:
        import scratch

        self.head = head
        self.loss = scratch.make_loss(LOSS_FOR_HEAD[head])

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        target = y if self.head == "multiclass" else y.reshape(logits.shape).astype(logits.dtype)
        return self.loss.forward(logits, target)

    def backward(self) -> np.ndarray:
        return self.loss.backward()


def scratch_layers(
    head: str, n_in: int, n_out: int, hidden: tuple[int, ...], activation: str, seed: int = 0
) -> Layers:
    """scratch's network for ``head`` as a ``Layers`` implementation."""
    import scratch

    model = scratch.build_model(n_in, hidden, n_out, activation, rng=np.random.default_rng(seed))
    return Layers(list(model), ScratchLoss(head), head=head, weight="weight", bias="bias")


def configs(dataset: str | None = None) -> list[dict[str, Any]]:
    """The self-check grid: every activation on every head (or on ``dataset``'s head)."""
    from parity.data import DATASETS, load_dataset

    names = [dataset] if dataset else list(HEAD_DATASETS.values())
    out = []
    for name in names:
        data = load_dataset(name, seed=0, dtype="float64")
        head = DATASETS[name].task
        n_out = data.n_classes if head == "multiclass" else 1
        for activation in ACTIVATIONS:
            out.append(
                {
                    "dataset": name,
                    "head": head,
                    "n_in": data.n_features,
                    "n_out": n_out,
                    "activation": activation,
                    "hidden": (16, 8),
                }
            )
    return out


def label(config: dict[str, Any]) -> str:
    return f"{config['dataset']}-{config['activation']}-{'x'.join(map(str, config['hidden']))}"
