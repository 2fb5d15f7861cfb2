"""``Sequential`` and the seed's network ``Linear, act, ..., Linear[, output activation]``,
indexed, and so keyed (``"0.weight"``, ``"2.bias"``...), as torch's ``nn.Sequential``."""

import itertools
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ._checks import as_dtype, check_float_array, check_positive_int, check_rng
from .activations import Activation, Sigmoid, Softmax, make_activation
from .layers import Linear
from .module import Module, Parameter

OUTPUT_ACTIVATIONS = ("sigmoid", "softmax")
MAX_PARAMETER_BYTES = 2**32  # 4.3 GB: build_model refuses a network whose weights need more


class Sequential(Module):
    """Modules applied in order; ``backward(dy)`` runs them in reverse and returns ``dL/dx``.
    ``model(x)`` checks ``x`` once, as the first module would. Twin: ``nn.Sequential``."""

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
        """Copy arrays into the parameters (cast to the model's dtype, as torch's ``copy_``);
        keys and shapes must be ``state_dict()``'s. Checks everything before changing anything."""
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
            value = check_float_array(state[name], f"state dict entry {name!r}")
            if value.shape != p.shape:
                raise ValueError(
                    f"state dict entry {name!r} has shape {value.shape}, expected {p.shape}"
                )
        for name, p in params.items():
            p.data[...] = state[name]


def check_chain(modules: Sequence[Module]) -> None:
    """The parameters share one dtype, and each ``Linear`` takes the width the one before gives."""
    dtypes = sorted({str(p.dtype) for m in modules for p in m.parameters()})
    if len(dtypes) > 1:
        raise TypeError(f"Sequential mixes parameter dtypes {dtypes}; give every layer one dtype")
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
    widths = (
        check_positive_int(in_features, "in_features"),
        *(check_positive_int(w, f"hidden[{i}]") for i, w in enumerate(hidden)),
        check_positive_int(out_features, "out_features"),
    )
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
    """The seed's network: ``Linear(in, h0), act, ..., Linear(h_last, out)[, out_act]``, with
    ``hidden=()`` for linear / logistic / softmax regression, one activation name or one per
    hidden layer, ``output_activation`` ``None`` (logits), ``"sigmoid"`` or ``"softmax"``.
    x (N, in_features) -> y (N, out_features). Twin: ``torch_impl.build_model``."""
    widths, activations = check_build_args(
        in_features, hidden, out_features, activation, output_activation
    )
    dt, rng = as_dtype(dtype), (np.random.default_rng() if rng is None else check_rng(rng))
    count = sum(a * b + b for a, b in itertools.pairwise(widths))  # weights and biases
    if count * dt.itemsize > MAX_PARAMETER_BYTES:  # refused before allocating: no MemoryError
        raise ValueError(
            f"a network of layer widths {widths} has {count:,} parameters, which need "
            f"{count * dt.itemsize / 1e9:.3g} GB of {dt} for its weights alone; the limit is "
            f"{MAX_PARAMETER_BYTES / 1e9:.3g} GB: give smaller hidden sizes"
        )
    modules: list[Module] = []
    for i, name in enumerate(activations):
        modules += [Linear(widths[i], widths[i + 1], dtype=dt, rng=rng), make_activation(name)]
    modules.append(Linear(widths[-2], widths[-1], dtype=dt, rng=rng))
    if output_activation is not None:
        modules.append(Sigmoid() if output_activation == "sigmoid" else Softmax(dim=-1))
    return Sequential(*modules)
