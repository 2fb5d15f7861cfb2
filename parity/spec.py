"""RunSpec: everything that defines one parity run, validated up front.

A :class:`RunSpec` names the dataset, the network (hidden sizes, activations, head), the
optimizer and its hyper-parameters, the batch size, epochs, seed, dtype and device. Both
networks are built and trained from the same spec, so an invalid value fails here, once,
with a message naming it, rather than deep inside one side.

Heads (the output layer and its loss) are named in ``HEADS``; ``head=None`` picks the
dataset's default (``DEFAULT_HEAD``): a linear unit + MSE for regression, a logit + fused
``BCEWithLogitsLoss`` for binary, C logits + ``CrossEntropyLoss`` for multiclass.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from parity.data import DATASETS, MIN_SAMPLES, SYNTHETIC_DATASETS

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")

# head name -> (task, output activation module or None, loss name)
HEADS: dict[str, tuple[str, str | None, str]] = {
    "regression": ("regression", None, "mse"),
    "binary": ("binary", None, "bce_with_logits"),
    "binary_bce": ("binary", "sigmoid", "bce"),  # unfused: Sigmoid module + BCELoss
    "multiclass": ("multiclass", None, "cross_entropy"),
    "softmax_mse": ("multiclass", "softmax", "mse"),  # Softmax module + MSE on one-hot targets
}
DEFAULT_HEAD = {"regression": "regression", "binary": "binary", "multiclass": "multiclass"}
# task -> the synthetic dataset that stands for it (the grid's data; a user's file's spec)
DATASET_FOR_TASK = {"regression": "sine", "binary": "moons", "multiclass": "blobs"}
OPTIMIZERS = ("sgd", "adam")
INITS = ("default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")
DTYPES = ("float32", "float64")
DEVICES = ("cpu", "cuda", "auto")


def _check_choice(field: str, value: Any, valid: tuple[str, ...] | dict[str, Any]) -> None:
    if not isinstance(value, str) or value not in valid:
        raise ValueError(f"unknown {field} {value!r}; valid: {', '.join(valid)}")


def _as_int(field: str, value: Any, minimum: int) -> int:
    """``value`` as a plain int >= minimum (numpy integers accepted, bools and floats not)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{field} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _as_float(field: str, value: Any, minimum: float, *, strict: bool = False) -> float:
    """``value`` as a finite float >= minimum (> minimum when strict)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        value = float(value)
        ok = math.isfinite(value) and (value > minimum if strict else value >= minimum)
    if not ok:
        relation = ">" if strict else ">="
        raise ValueError(f"{field} must be a finite number {relation} {minimum}, got {value!r}")
    return value


@dataclass(frozen=True)
class RunSpec:
    """One parity run; see the module docstring. Lists are accepted and stored as tuples.

    ``activation`` is one name for every hidden layer or a tuple with one name per hidden
    layer. ``momentum``, ``dampening`` and ``nesterov`` apply to SGD, ``betas`` and ``eps`` to
    Adam (torch's meanings and rules); ``weight_decay`` to both.
    """

    dataset: str = "moons"
    hidden: tuple[int, ...] = (16,)
    activation: str | tuple[str, ...] = "tanh"
    head: str | None = None
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    init: str = "default"
    batch_size: int = 32
    epochs: int = 20
    seed: int = 0
    dtype: str = "float64"
    device: str = "cpu"
    n_samples: int | None = None

    def __post_init__(self) -> None:
        def put(field: str, value: Any) -> None:  # normalise a field on a frozen instance
            object.__setattr__(self, field, value)

        _check_choice("dataset", self.dataset, DATASETS)

        if isinstance(self.hidden, (str, bytes)) or not isinstance(self.hidden, (tuple, list)):
            raise ValueError(f"hidden must be a tuple of ints, got {self.hidden!r}")
        put("hidden", tuple(_as_int("hidden size", h, 1) for h in self.hidden))

        if isinstance(self.activation, (tuple, list)):
            for name in self.activation:
                _check_choice("activation", name, ACTIVATIONS)
            if len(self.activation) != len(self.hidden):
                raise ValueError(
                    f"activation {tuple(self.activation)!r} has {len(self.activation)} names "
                    f"for {len(self.hidden)} hidden layers {self.hidden!r}"
                )
            put("activation", tuple(self.activation))
        else:
            _check_choice("activation", self.activation, ACTIVATIONS)

        if self.head is not None:
            _check_choice("head", self.head, HEADS)
            head_task = HEADS[self.head][0]
            if head_task != self.task:
                raise ValueError(
                    f"head {self.head!r} is for {head_task} tasks, but dataset "
                    f"{self.dataset!r} is {self.task}; heads for {self.task}: "
                    f"{', '.join(h for h, v in HEADS.items() if v[0] == self.task)}"
                )

        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        put("lr", _as_float("lr", self.lr, 0.0, strict=True))
        put("momentum", _as_float("momentum", self.momentum, 0.0))
        put("dampening", _as_float("dampening", self.dampening, 0.0))
        put("weight_decay", _as_float("weight_decay", self.weight_decay, 0.0))
        if not isinstance(self.nesterov, (bool, np.bool_)):
            raise ValueError(f"nesterov must be a bool, got {self.nesterov!r}")
        put("nesterov", bool(self.nesterov))
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening == 0 (torch's rule), got "
                f"momentum={self.momentum!r}, dampening={self.dampening!r}"
            )
        if not isinstance(self.betas, (tuple, list)) or len(self.betas) != 2:
            raise ValueError(f"betas must be a pair of numbers in [0, 1), got {self.betas!r}")
        betas = tuple(_as_float("betas", b, 0.0) for b in self.betas)
        if not all(b < 1.0 for b in betas):
            raise ValueError(f"betas must be a pair of numbers in [0, 1), got {self.betas!r}")
        put("betas", betas)
        put("eps", _as_float("eps", self.eps, 0.0))

        _check_choice("init", self.init, INITS)
        put("batch_size", _as_int("batch_size", self.batch_size, 1))
        put("epochs", _as_int("epochs", self.epochs, 1))
        put("seed", _as_int("seed", self.seed, 0))
        _check_choice("dtype", self.dtype, DTYPES)
        _check_choice("device", self.device, DEVICES)
        if self.n_samples is not None:
            if self.dataset not in SYNTHETIC_DATASETS:
                raise ValueError(
                    f"n_samples={self.n_samples!r} given for real dataset {self.dataset!r}: "
                    f"real datasets have a fixed size"
                )
            put("n_samples", _as_int("n_samples", self.n_samples, MIN_SAMPLES))

    @property
    def task(self) -> str:
        """The dataset's task: ``"regression"``, ``"binary"`` or ``"multiclass"``."""
        return DATASETS[self.dataset].task

    @property
    def head_name(self) -> str:
        """The resolved head: ``head``, or the dataset's default when ``head`` is None."""
        return self.head if self.head is not None else DEFAULT_HEAD[self.task]

    @property
    def output_activation(self) -> str | None:
        """The output module after the last Linear (``"sigmoid"``, ``"softmax"``) or None."""
        return HEADS[self.head_name][1]

    @property
    def loss(self) -> str:
        """The loss name: ``"mse"``, ``"bce_with_logits"``, ``"bce"`` or ``"cross_entropy"``."""
        return HEADS[self.head_name][2]

    @property
    def activations(self) -> tuple[str, ...]:
        """One activation name per hidden layer (empty when there are no hidden layers)."""
        if isinstance(self.activation, tuple):
            return self.activation
        return (self.activation,) * len(self.hidden)

    def label(self) -> str:
        """A short readable id, e.g. ``"tanh-2x16-binary-float64"``.

        Parts: activations (mixed ones joined with ``+``), hidden sizes (``LxW`` when all
        equal, else ``32_16``; ``nohidden`` without hidden layers), head name, dtype.
        """
        acts = self.activations
        if not self.hidden:
            return f"nohidden-{self.head_name}-{self.dtype}"
        act = acts[0] if len(set(acts)) == 1 else "+".join(acts)
        if len(set(self.hidden)) == 1:
            sizes = f"{len(self.hidden)}x{self.hidden[0]}"
        else:
            sizes = "_".join(str(h) for h in self.hidden)
        return f"{act}-{sizes}-{self.head_name}-{self.dtype}"

    def replace(self, **changes: Any) -> RunSpec:
        """A copy with ``changes`` applied and validated (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-friendly values (tuples become lists); ``RunSpec(**d)`` rebuilds."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out
