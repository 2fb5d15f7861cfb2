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

from ._checks import as_dtype, check_parameter_bytes, check_rng
from .activations import Activation, Sigmoid, Softmax, make_activation
from .layers import Linear
from .module import Module, Parameter

OUTPUT_ACTIVATIONS = ("sigmoid", "softmax")


class Sequential(Module):
    """Modules applied in order; backward runs them in reverse. Twin: ``nn.Sequential``.

    ``forward(x)`` feeds ``x`` through every module's ``forward``; ``backward(dy)`` feeds
    ``dL/dy`` back through every module's ``backward`` (each accumulating its parameters'
    ``.grad``) and returns ``dL/dx``. ``model(x)`` checks ``x`` once, with the first module's
    errors. The modules' parameters must share one dtype, and ``Linear`` widths must chain.
    """

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential item {i} is {type(m).__name__}, not a scratch Module")
        check_chain(modules)
        self.layers: list[Module] = list(modules)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def check_input(self, x: Any) -> np.ndarray:
        return self.layers[0].check_input(x) if self.layers else x

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
        for name, p in params.items():
            value, where = state[name], f"state dict entry {name!r}"
            if not isinstance(value, np.ndarray):
                raise TypeError(f"{where} must be a float numpy array, got {type(value).__name__}")
            if not np.issubdtype(value.dtype, np.floating):
                raise TypeError(f"{where} has dtype {value.dtype}; expected a float array")
            if value.shape != p.shape:
                raise ValueError(f"{where} has shape {value.shape}, expected {p.shape}")
            if not np.isfinite(value).all():
                raise ValueError(f"{where} contains NaN or inf")
        for name, p in params.items():
            p.data[...] = state[name]

    def extra_repr(self) -> str:
        return "\n" + "\n".join(f"  ({i}): {m!r}" for i, m in enumerate(self.layers)) + "\n"


def check_chain(modules: Sequence[Module]) -> None:
    """TypeError if the parameters mix dtypes; ValueError if a ``Linear`` does not take the
    width the previous ``Linear`` gives (elementwise activations in between keep it)."""
    dtypes = sorted({str(p.dtype) for m in modules for p in m.parameters()})
    if len(dtypes) > 1:
        raise TypeError(
            f"Sequential mixes parameter dtypes {dtypes}; build every layer with one dtype"
        )
    width = None
    for i, m in enumerate(modules):
        if isinstance(m, Linear):
            if width is not None and m.in_features != width:
                raise ValueError(
                    f"Sequential item {i} is Linear with in_features={m.in_features}, but the "
                    f"Linear before it gives out_features={width}"
                )
            width = m.out_features
        elif not isinstance(m, Activation):
            width = None  # a module of unknown shape: nothing to chain


def check_build_args(
    in_features: object, hidden: object, out_features: object, activation: object, output: object
) -> tuple[tuple[int, ...], list[str]]:
    """``build_model``'s arguments checked: the widths ``(in, *hidden, out)`` and one
    activation name per hidden layer."""
    if isinstance(hidden, (str, bytes, numbers.Number)) or not isinstance(hidden, Iterable):
        raise TypeError(
            f"hidden must be a sequence of layer widths, e.g. (8,) or [], "
            f"got {type(hidden).__name__} {hidden!r}"
        )
    named = [("in_features", in_features), *((f"hidden[{i}]", w) for i, w in enumerate(hidden))]
    for what, w in [*named, ("out_features", out_features)]:
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, (int, np.integer)) or w < 1:
            raise ValueError(f"{what} must be a positive int, got {w!r}")
    widths = (int(in_features), *map(int, hidden), int(out_features))  # type: ignore[call-overload]
    n_hidden = len(widths) - 2
    if isinstance(activation, str):
        names = [activation] * max(n_hidden, 1)  # one name is checked even with no hidden layer
    elif isinstance(activation, Iterable):
        names = list(activation)
        if len(names) != n_hidden:
            raise ValueError(
                f"got {len(names)} activations for {n_hidden} hidden layers; "
                "give one name, or one per hidden layer"
            )
    else:
        raise TypeError(
            f"activation must be a name or one name per hidden layer, "
            f"got {type(activation).__name__} {activation!r}"
        )
    for name in names:
        make_activation(name)  # ValueError for an unknown name
    if output is not None and output not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"unknown output_activation {output!r}; valid: None, {', '.join(OUTPUT_ACTIVATIONS)}"
        )
    return widths, names[:n_hidden]


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

    ``hidden`` holds zero or more widths (``()``: linear / logistic / softmax regression);
    ``activation`` is one name for every hidden layer or one per layer (``ACTIVATIONS``);
    ``output_activation`` is ``None`` (logits, for the fused losses), ``"sigmoid"`` or
    ``"softmax"``; ``rng`` draws torch's default ``nn.Linear`` init.
    Shape: ``x (N, in_features) -> y (N, out_features)``. Twin: ``torch_impl.build_model``.
    """
    widths, activations = check_build_args(
        in_features, hidden, out_features, activation, output_activation
    )
    dt, rng = as_dtype(dtype), (np.random.default_rng() if rng is None else check_rng(rng))
    check_parameter_bytes(widths, dt)
    modules: list[Module] = []
    for i, name in enumerate(activations):
        linear = Linear(widths[i], widths[i + 1], dtype=dt, rng=rng)
        modules += [linear, make_activation(name)]
    modules.append(Linear(widths[-2], widths[-1], dtype=dt, rng=rng))
    if output_activation == "sigmoid":
        modules.append(Sigmoid())
    elif output_activation == "softmax":
        modules.append(Softmax(dim=-1))
    return Sequential(*modules)
