"""RunSpec: the network and the training settings of one parity run, validated up front.

A :class:`RunSpec` names the task, the network (hidden sizes, activations, head), the
optimizer and its hyper-parameters, the batch size, epochs, seed, dtype and device. The data
is not part of it: ``parity.run(spec, data)`` takes a built-in dataset's name or any
:class:`parity.data.Dataset` of the spec's task. Both networks are built and trained from
the same spec, so an invalid value fails here, once, with a message naming it, rather than
deep inside one side.

Heads (the output layer and its loss) are named in ``HEADS``; ``head=None`` picks the
task's default (``DEFAULT_HEAD``): a linear unit + MSE for regression, a logit + fused
``BCEWithLogitsLoss`` for binary, C logits + ``CrossEntropyLoss`` for multiclass.

The names of activations, initialisations, tasks and dtypes come from ``scratch``, the one
place that defines them.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

import scratch
from parity.errors import InputError, InputTypeError
from scratch import DTYPES, INITS, TASKS

ACTIVATIONS: tuple[str, ...] = tuple(scratch.ACTIVATIONS)  # the hidden-layer activations

# head name -> (task, output activation module or None, loss name)
HEADS: dict[str, tuple[str, str | None, str]] = {
    "regression": ("regression", None, "mse"),
    "binary": ("binary", None, "bce_with_logits"),
    "binary_bce": ("binary", "sigmoid", "bce"),  # unfused: Sigmoid module + BCELoss
    "multiclass": ("multiclass", None, "cross_entropy"),
    "softmax_mse": ("multiclass", "softmax", "mse"),  # Softmax module + MSE on one-hot targets
}
DEFAULT_HEAD = {"regression": "regression", "binary": "binary", "multiclass": "multiclass"}
OPTIMIZERS = ("sgd", "adam")
ADAM_DEFAULTS: dict[str, Any] = {"betas": (0.9, 0.999), "eps": 1e-8}  # torch.optim.Adam's
DEVICES = ("cpu", "cuda", "auto")

# The valid range of a seed, in one place: the synthetic datasets draw from
# np.random.RandomState(seed), which takes a 32-bit seed, so a larger one would fail deep
# inside a run. Every public boundary that takes a seed checks it here.
SEED_LIMIT = 2**32  # seeds are 0 .. SEED_LIMIT - 1 (NumPy RandomState's range)


def seed_problem(value: int) -> str | None:
    """Why the integer ``value`` is not a valid seed, or None when it is."""
    if not 0 <= value < SEED_LIMIT:
        return f"must be an integer in 0 .. 2**32 - 1 ({SEED_LIMIT - 1}), got {value}"
    return None


def check_seed(value: object, name: str = "seed") -> int:
    """``value`` as a plain int in ``0 .. 2**32 - 1``: ``InputTypeError`` (a TypeError) for a
    non-integer (a bool or a float included), ``InputError`` (a ValueError) naming ``name`` for
    one out of range. Every boundary that takes a seed (``RunSpec``, ``parity.data``,
    ``parity.check``) checks it here."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InputTypeError(
            f"{name} must be an int in 0 .. 2**32 - 1, got {type(value).__name__} {value!r}"
        )
    problem = seed_problem(int(value))
    if problem is not None:
        raise InputError(f"{name} {problem}")
    return int(value)


def _check_choice(field: str, value: object, valid: tuple[str, ...] | dict[str, Any]) -> None:
    """TypeError unless ``value`` is a string, ValueError unless it is one of ``valid``."""
    if not isinstance(value, str):
        raise TypeError(
            f"{field} must be a string, one of {', '.join(valid)}; "
            f"got {type(value).__name__} {value!r}"
        )
    if value not in valid:
        raise ValueError(f"unknown {field} {value!r}; valid: {', '.join(valid)}")


def _as_int(field: str, value: object, minimum: int) -> int:
    """``value`` as a plain int >= minimum (numpy integers accepted, bools and floats not)."""
    message = f"{field} must be an int >= {minimum}, got {value!r}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(message)
    if value < minimum:
        raise ValueError(message)
    return int(value)


def _as_float(field: str, value: object, minimum: float, *, strict: bool = False) -> float:
    """``value`` as a finite float >= minimum (> minimum when strict)."""
    relation = ">" if strict else ">="
    message = f"{field} must be a finite number {relation} {minimum}, got {value!r}"
    number = (int, float, np.integer, np.floating)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, number):
        raise TypeError(message)
    as_float = float(value)
    if not (math.isfinite(as_float) and (as_float > minimum if strict else as_float >= minimum)):
        raise ValueError(message)
    return as_float


@dataclass(frozen=True)
class Network:
    """The layers of one feed-forward network, what both sides' ``build_model`` take:
    ``Linear(in, h0), act0, ..., Linear(h_last, out)[, output activation]``."""

    in_features: int
    hidden: tuple[int, ...]
    out_features: int
    activations: tuple[str, ...]  # one per hidden layer
    output_activation: str | None = None  # "sigmoid", "softmax" or None (raw outputs)


@dataclass(frozen=True)
class RunSpec:
    """One parity run's network and training; see the module docstring. Lists are accepted
    and stored as tuples.

    ``task`` is ``"regression"``, ``"binary"`` or ``"multiclass"``: the data a run gets must
    pose it. ``activation`` is one name for every hidden layer or a tuple with one name per
    hidden layer. ``momentum``, ``dampening`` and ``nesterov`` apply to SGD, ``betas`` and
    ``eps`` to Adam (torch's meanings and rules; a setting of the other optimizer, changed
    from its default, is a ValueError rather than ignored); ``weight_decay`` to both.
    ``seed`` (``0 .. 2**32 - 1``, ``parity.spec``) draws the initial weights and the batch
    order (and the split of a built-in dataset named to ``parity.run``).
    """

    task: str = "binary"
    hidden: tuple[int, ...] = (16,)
    activation: str | tuple[str, ...] = "tanh"
    head: str | None = None
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    betas: tuple[float, float] = ADAM_DEFAULTS["betas"]
    eps: float = ADAM_DEFAULTS["eps"]
    init: str = "default"
    batch_size: int = 32
    epochs: int = 20
    seed: int = 0
    dtype: str = "float64"
    device: str = "cpu"

    def __post_init__(self) -> None:
        _check_choice("task", self.task, TASKS)
        self._check_network()
        self._check_optimizer()
        _check_choice("init", self.init, INITS)
        self._put("batch_size", _as_int("batch_size", self.batch_size, 1))
        self._put("epochs", _as_int("epochs", self.epochs, 1))
        self._put("seed", check_seed(self.seed))
        _check_choice("dtype", self.dtype, DTYPES)
        _check_choice("device", self.device, DEVICES)

    def _put(self, field: str, value: Any) -> None:
        """Store a normalised value on the frozen instance."""
        object.__setattr__(self, field, value)

    def _check_network(self) -> None:
        if isinstance(self.hidden, (str, bytes)) or not isinstance(self.hidden, (tuple, list)):
            raise TypeError(f"hidden must be a tuple of ints, got {self.hidden!r}")
        self._put("hidden", tuple(_as_int("hidden size", h, 1) for h in self.hidden))
        if isinstance(self.activation, (tuple, list)):
            for name in self.activation:
                _check_choice("activation", name, ACTIVATIONS)
            if len(self.activation) != len(self.hidden):
                raise ValueError(
                    f"activation {tuple(self.activation)!r} has {len(self.activation)} names "
                    f"for {len(self.hidden)} hidden layers {self.hidden!r}"
                )
            self._put("activation", tuple(self.activation))
        else:
            _check_choice("activation", self.activation, ACTIVATIONS)
        if self.head is not None:
            _check_choice("head", self.head, HEADS)
            head_task = HEADS[self.head][0]
            if head_task != self.task:
                raise ValueError(
                    f"head {self.head!r} is for {head_task} tasks, but the task is "
                    f"{self.task}; heads for {self.task}: "
                    f"{', '.join(h for h, v in HEADS.items() if v[0] == self.task)}"
                )

    def _check_optimizer(self) -> None:
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        self._put("lr", _as_float("lr", self.lr, 0.0, strict=True))
        for field in ("momentum", "dampening", "weight_decay"):
            self._put(field, _as_float(field, getattr(self, field), 0.0))
        if not isinstance(self.nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be a bool, got {self.nesterov!r}")
        self._put("nesterov", bool(self.nesterov))
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening == 0 (torch's rule), got "
                f"momentum={self.momentum!r}, dampening={self.dampening!r}"
            )
        pair = f"betas must be a pair of numbers in [0, 1), got {self.betas!r}"
        if not isinstance(self.betas, (tuple, list)):
            raise TypeError(pair)
        if len(self.betas) != 2:
            raise ValueError(pair)
        betas = tuple(_as_float("betas", b, 0.0) for b in self.betas)
        if not all(b < 1.0 for b in betas):
            raise ValueError(pair)
        self._put("betas", betas)
        self._put("eps", _as_float("eps", self.eps, 0.0))
        self._check_settings_apply()

    def _check_settings_apply(self) -> None:
        """ValueError for a setting of the other optimizer (SGD's ``momentum``,
        ``dampening``, ``nesterov`` with Adam; Adam's ``betas``, ``eps`` changed from their
        defaults with SGD): it would be ignored silently."""
        if self.optimizer == "adam":
            other = {"momentum": 0.0, "dampening": 0.0, "nesterov": False}
        else:
            other = {"betas": ADAM_DEFAULTS["betas"], "eps": ADAM_DEFAULTS["eps"]}
        given = [f"{k}={getattr(self, k)!r}" for k, v in other.items() if getattr(self, k) != v]
        if given:
            owner = "SGD" if self.optimizer == "adam" else "Adam"
            raise ValueError(
                f"{', '.join(given)} applies to optimizer={owner.lower()!r} only ({owner}'s "
                f"setting), but optimizer={self.optimizer!r} would ignore it; drop it or set "
                f"optimizer={owner.lower()!r}"
            )

    @property
    def head_name(self) -> str:
        """The resolved head: ``head``, or the task's default when ``head`` is None."""
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

    def network(self, in_features: int, out_features: int) -> Network:
        """The spec's network for data with ``in_features`` inputs and ``out_features``
        outputs (1 for regression and binary, C for multiclass)."""
        return Network(
            in_features, self.hidden, out_features, self.activations, self.output_activation
        )

    def optimizer_settings(self) -> dict[str, Any]:
        """The keyword arguments of the spec's optimizer, as ``torch.optim.SGD`` / ``Adam``
        (and their scratch twins) take them."""
        if self.optimizer == "sgd":
            return dict(
                lr=self.lr, momentum=self.momentum, dampening=self.dampening,
                nesterov=self.nesterov, weight_decay=self.weight_decay,
            )  # fmt: skip
        return dict(lr=self.lr, betas=self.betas, eps=self.eps, weight_decay=self.weight_decay)

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
