"""The check's optimizer: one of ``torch.optim``'s, with torch's hyper-parameters.

``Optim(name, lr, options)``: ``sgd`` (momentum, dampening, nesterov, weight_decay),
``adam`` and ``adamw`` (betas, eps, weight_decay), ``rmsprop`` (alpha, eps, weight_decay,
momentum, centered) and ``adagrad`` (lr_decay, weight_decay, initial_accumulator_value, eps),
each option named and defaulted as torch names and defaults it. ``validated`` checks an
``optimizer_options`` dict; ``build`` makes the ``torch.optim`` optimizer; ``replay`` runs it
on copies of NumPy parameters with given gradients (the rule an update is judged against);
``neighbours`` are the same optimizer with one hyper-parameter at another common value,
so that "your update is Adam with eps = 1e-07" can be said.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from parity.errors import InputError, InputTypeError

TORCH_CLASS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
               "adagrad": "Adagrad"}  # fmt: skip
DEFAULTS: dict[str, dict[str, Any]] = {
    "sgd": {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
    "adam": {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
    "adamw": {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
                "centered": False},
    "adagrad": {"lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0,
                "eps": 1e-10},
}  # fmt: skip
OPTIMIZERS = tuple(DEFAULTS)
# other values a learner's code commonly has, tried one at a time by ``neighbours``
COMMON: dict[str, tuple[Any, ...]] = {
    "eps": (1e-7, 1e-8, 1e-6, 1e-5, 1e-10),
    "betas": ((0.9, 0.999), (0.9, 0.99), (0.95, 0.999), (0.5, 0.999)),
    "alpha": (0.99, 0.9, 0.95),
    "momentum": (0.0, 0.9, 0.5, 0.99),
    "dampening": (0.0,),
    "nesterov": (False, True),
    "weight_decay": (0.0, 1e-4, 5e-4, 1e-3, 1e-2),
    "centered": (False, True),
    "initial_accumulator_value": (0.0, 0.1),
    "lr_decay": (0.0,),
}


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _value(name: str, key: str, value: Any) -> Any:
    """One option checked against the type of torch's default."""
    default = DEFAULTS[name][key]
    if isinstance(default, bool):
        if not isinstance(value, (bool, np.bool_)):
            raise InputTypeError(f"optimizer_options[{key!r}] must be True or False, got {value!r}")
        return bool(value)
    if isinstance(default, tuple):
        if (
            not isinstance(value, Sequence)
            or len(value) != 2
            or not all(_real(v) and 0 <= float(v) < 1 for v in value)
        ):
            raise InputError(
                f"optimizer_options['betas'] must be two numbers in [0, 1), got {value!r}"
            )
        return (float(value[0]), float(value[1]))
    if not _real(value) or not np.isfinite(float(value)):
        raise InputTypeError(f"optimizer_options[{key!r}] must be a finite number, got {value!r}")
    value = float(value)
    if value < 0:
        raise InputError(f"optimizer_options[{key!r}] must be >= 0, got {value}")
    if key in ("momentum", "dampening") and value >= 1:
        raise InputError(f"optimizer_options[{key!r}] must be in [0, 1), got {value}")
    return float(value)


def validated(name: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """torch's options for ``name``: the defaults, with ``options`` checked over them."""
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise InputTypeError(f"optimizer_options must be a dict, got {type(options).__name__}")
    out = dict(DEFAULTS[name])
    for key, value in options.items():
        if key not in out:
            raise InputError(
                f"optimizer_options: torch.optim.{TORCH_CLASS[name]} has no {key!r}; it takes "
                f"{', '.join(out)}"
            )
        out[key] = _value(name, key, value)
    if name == "sgd" and out["nesterov"] and (not out["momentum"] or out["dampening"]):
        raise InputError("nesterov needs momentum > 0 and dampening 0 (as torch.optim.SGD)")
    return out


@dataclass(frozen=True)
class Optim:
    """``torch.optim.<name>(lr=lr, **options)``."""

    name: str
    lr: float
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> Optim:
        """From a check's settings (``optimizer``, ``lr``, ``optimizer_options``)."""
        return cls(settings["optimizer"], settings["lr"], dict(settings["optimizer_options"]))

    @property
    def momentum(self) -> float:
        return float(self.options.get("momentum", 0.0))

    def changed(self) -> dict[str, Any]:
        """The options that are not torch's defaults."""
        return {k: v for k, v in self.options.items() if v != DEFAULTS[self.name][k]}

    def describe(self, options: Mapping[str, Any] | None = None) -> str:
        """``torch.optim.Adam(lr=0.001, eps=1e-07)`` (the options that are not defaults)."""
        shown = self.changed() if options is None else options
        args = ", ".join([f"lr={self.lr:g}", *(f"{k}={_fmt(v)}" for k, v in shown.items())])
        return f"torch.optim.{TORCH_CLASS[self.name]}({args})"

    def build(self, params: Any) -> Any:
        import torch

        return getattr(torch.optim, TORCH_CLASS[self.name])(params, lr=self.lr, **self.options)

    def replay(
        self, p0: Mapping[str, np.ndarray], grads: Sequence[Mapping[str, np.ndarray]], lr: float
    ) -> dict[str, np.ndarray]:
        """The parameters after ``len(grads)`` steps of this optimizer from ``p0`` (float64),
        each step fed the given gradients (``lr`` replaces this optimizer's)."""
        import torch

        params = {k: torch.tensor(np.asarray(v, np.float64)) for k, v in p0.items()}
        for p in params.values():
            p.requires_grad_(True)
        optim = Optim(self.name, lr, self.options).build(list(params.values()))
        for g_t in grads:
            for k, p in params.items():
                p.grad = torch.tensor(np.asarray(g_t[k], np.float64)).reshape(p.shape)
            optim.step()
        return {k: p.detach().numpy().copy() for k, p in params.items()}

    def neighbours(self) -> list[tuple[str, Optim]]:
        """This optimizer with one hyper-parameter at another common value: ``("Adam with
        eps = 1e-07", Optim)``, none equal to this one."""
        out = []
        for key, current in self.options.items():
            for value in COMMON.get(key, ()):
                if value == current:
                    continue
                options = {**self.options, key: value}
                if (
                    self.name == "sgd"
                    and options["nesterov"]
                    and (not options["momentum"] or options["dampening"])
                ):
                    continue
                text = f"{TORCH_CLASS[self.name]} with {key} = {_fmt(value)}"
                out.append((text, Optim(self.name, self.lr, options)))
        return out


def _fmt(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(f"{v:g}" for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
