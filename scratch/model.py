"""``Sequential`` and the builder for the seed's networks.

A network is ``Linear, act, Linear, act, ..., Linear`` (and optionally an output
activation): the input layer is the data, each ``Linear`` + activation is a hidden layer,
the last ``Linear`` is the output layer. Module indices, and therefore state-dict keys
(``"0.weight"``, ``"0.bias"``, ``"2.weight"``...), are exactly those of the torch
``nn.Sequential`` built from the same arguments.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ._checks import as_dtype, check_rng
from .activations import ACTIVATIONS, Sigmoid, Softmax, make_activation
from .layers import Linear
from .module import Module, Parameter

OUTPUT_ACTIVATIONS = ("sigmoid", "softmax")


class Sequential(Module):
    """Modules applied in order; backward runs them in reverse. Twin: ``nn.Sequential``.

    ``forward(x)`` feeds ``x`` through every module; ``backward(dy)`` feeds ``dL/dy``
    back through every module's ``backward`` (each accumulating its parameters' ``.grad``)
    and returns ``dL/dx``.
    """

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential item {i} is {type(m).__name__}, not a scratch Module")
        self.layers: list[Module] = list(modules)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        for i, layer in enumerate(self.layers):
            yield from layer.named_parameters(f"{prefix}{i}.")

    @property
    def dtype(self) -> np.dtype:
        """The parameters' dtype (float64 unless built otherwise)."""
        params = self.parameters()
        return params[0].dtype if params else np.dtype(np.float64)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, keyed and shaped as torch's ``state_dict()``."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy arrays into the parameters (cast to the model's dtype, as torch's ``copy_``).

        Keys must be exactly ``state_dict()``'s: a missing, unexpected or misshapen key, a
        non-array value or a NaN/inf raises before anything is changed.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"state dict must be a mapping of name -> array, got {type(state)}")
        params = dict(self.named_parameters())
        missing = sorted(set(params) - set(state))
        unexpected = sorted(set(state) - set(params))
        if missing or unexpected:
            raise ValueError(
                f"state dict does not fit the network: missing keys {missing}, "
                f"unexpected keys {unexpected}; expected {sorted(params)}"
            )
        arrays = {}
        for name, p in params.items():
            value = state[name]
            if not isinstance(value, np.ndarray):
                raise TypeError(
                    f"state dict entry {name!r} must be a float numpy array, "
                    f"got {type(value).__name__}"
                )
            if not np.issubdtype(value.dtype, np.floating):
                raise TypeError(
                    f"state dict entry {name!r} has dtype {value.dtype}; expected a float array"
                )
            if value.shape != p.shape:
                raise ValueError(
                    f"state dict entry {name!r} has shape {value.shape}, expected {p.shape}"
                )
            if not np.isfinite(value).all():
                raise ValueError(f"state dict entry {name!r} contains NaN or inf")
            arrays[name] = value
        for name, p in params.items():
            p.data[...] = arrays[name]

    def extra_repr(self) -> str:
        return "\n" + "\n".join(f"  ({i}): {m!r}" for i, m in enumerate(self.layers)) + "\n"


def build_model(
    in_features: int,
    hidden: Sequence[int],
    out_features: int,
    activation: str | Sequence[str] = "relu",
    output_activation: str | None = None,
    *,
    dtype: str | np.dtype = "float64",
    rng: np.random.Generator | None = None,
) -> Sequential:
    """The seed's network: ``Linear(in, h0), act, ..., Linear(h_last, out)[, out_act]``.

    Args:
        in_features: input layer width (one unit per feature).
        hidden: hidden layer widths, zero or more (``()`` gives linear / logistic /
            softmax regression).
        out_features: 1 for regression and binary heads, the number of classes otherwise.
        activation: one name for every hidden layer or one per hidden layer, from
            ``sigmoid, tanh, relu, leaky_relu, identity``.
        output_activation: ``None`` (the model returns logits, the loss takes them: the
            usual, stable choice), ``"sigmoid"`` or ``"softmax"`` (appended as a module,
            for ``BCELoss`` or a softmax-output loss).
        dtype: float64 (default) or float32 for every parameter.
        rng: generator for torch's default ``nn.Linear`` initialisation.
    """
    if isinstance(hidden, (str, bytes, numbers.Number)) or not isinstance(hidden, Iterable):
        raise TypeError(
            f"hidden must be a sequence of layer widths, e.g. (8,) or [], "
            f"got {type(hidden).__name__} {hidden!r}"
        )
    hidden = tuple(hidden)
    for h in hidden:
        if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1:
            raise ValueError(f"hidden sizes must be positive integers, got {h!r} in {hidden}")
    acts = [activation] * len(hidden) if isinstance(activation, str) else list(activation)
    if len(acts) != len(hidden):
        raise ValueError(
            f"got {len(acts)} activations for {len(hidden)} hidden layers; "
            "give one name, or one per hidden layer"
        )
    for name in acts:
        if name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}")
    if output_activation is not None and output_activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"unknown output_activation {output_activation!r}; valid: None, "
            f"{', '.join(OUTPUT_ACTIVATIONS)}"
        )
    dt = as_dtype(dtype)
    rng = np.random.default_rng() if rng is None else check_rng(rng)
    widths = [in_features, *hidden, out_features]
    modules: list[Module] = []
    for i, name in enumerate(acts):
        modules += [Linear(widths[i], widths[i + 1], dtype=dt, rng=rng), make_activation(name)]
    modules.append(Linear(widths[-2], widths[-1], dtype=dt, rng=rng))
    if output_activation == "sigmoid":
        modules.append(Sigmoid())
    elif output_activation == "softmax":
        modules.append(Softmax(dim=-1))
    return Sequential(*modules)
