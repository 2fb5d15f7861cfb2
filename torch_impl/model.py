"""The network in idiomatic ``torch.nn``: one ``nn.Sequential`` of ``Linear`` and activations.

Layout, for ``build_model(in, (h0, h1), out, "tanh", "sigmoid")``::

    Linear(in, h0), Tanh(), Linear(h0, h1), Tanh(), Linear(h1, out), Sigmoid()
    keys: "0.weight" (h0, in), "0.bias" (h0,), "2.weight" (h1, h0), "2.bias" (h1,),
          "4.weight" (out, h1), "4.bias" (out,)

The twin is ``scratch.model``, with the same state-dict keys and shapes;
``torch.nn.Sequential`` itself plays the part of ``scratch.Sequential``.
"""

import itertools
import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import torch
from torch import nn

from .activations import make_activation
from .device import resolve_device, resolve_dtype

OUTPUT_ACTIVATIONS = ("sigmoid", "softmax")
MAX_PARAMETER_BYTES = 2**32  # 4.3 GB: build_model refuses a network whose weights need more


def _check_width(what: str, value: object) -> int:
    """A layer width: a Python or NumPy integer >= 1 (not a bool), returned as ``int``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return int(value)


def _check_build_args(
    in_features: object,
    hidden: object,
    out_features: object,
    activation: object,
    output_activation: object,
) -> tuple[tuple[int, ...], list[str]]:
    """``build_model``'s arguments checked: the widths ``(in, *hidden, out)`` and one
    activation name per hidden layer."""
    if isinstance(hidden, (str, bytes, numbers.Number)) or not isinstance(hidden, Iterable):
        raise TypeError(
            f"hidden must be a sequence of layer widths, e.g. (8,) or [], "
            f"got {type(hidden).__name__} {hidden!r}"
        )
    widths = (
        _check_width("in_features", in_features),
        *(_check_width(f"hidden[{i}]", width) for i, width in enumerate(hidden)),
        _check_width("out_features", out_features),
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
    if output_activation is not None and output_activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"unknown output_activation {output_activation!r}; valid: None, "
            f"{', '.join(OUTPUT_ACTIVATIONS)}"
        )
    return widths, names[:n_hidden]


def build_model(
    in_features: int,
    hidden: Sequence[int],
    out_features: int,
    activation: str | Sequence[str] = "relu",
    output_activation: str | None = None,
    *,
    dtype: str | torch.dtype = "float64",
    device: str | torch.device = "cpu",
) -> nn.Sequential:
    """The seed's network: ``Linear(in, h0), act, ..., Linear(h_last, out)[, out_act]``.

    ``hidden=()`` gives linear / logistic / softmax regression; ``activation`` is one name or
    one per hidden layer; ``output_activation`` is ``None`` (logits, the idiomatic choice with
    the fused losses), ``"sigmoid"`` or ``"softmax"``. x (N, in_features) -> y (N,
    out_features), with torch's default init. Twin: ``scratch.build_model``.
    """
    widths, activations = _check_build_args(
        in_features, hidden, out_features, activation, output_activation
    )
    dt, dev = resolve_dtype(dtype), resolve_device(device)
    count = sum(a * b + b for a, b in itertools.pairwise(widths))  # weights and biases
    if count * dt.itemsize > MAX_PARAMETER_BYTES:  # refused before allocating: no MemoryError
        raise ValueError(
            f"a network of layer widths {widths} has {count:,} parameters, which need "
            f"{count * dt.itemsize / 1e9:.3g} GB of {str(dt).removeprefix('torch.')} for its "
            f"weights alone; the limit is {MAX_PARAMETER_BYTES / 1e9:.3g} GB"
        )
    modules: list[nn.Module] = []
    for i, name in enumerate(activations):
        linear = nn.Linear(widths[i], widths[i + 1], dtype=dt, device=dev)
        modules += [linear, make_activation(name)]
    modules.append(nn.Linear(widths[-2], widths[-1], dtype=dt, device=dev))
    if output_activation == "sigmoid":
        modules.append(nn.Sigmoid())
    elif output_activation == "softmax":
        modules.append(nn.Softmax(dim=-1))
    return nn.Sequential(*modules)
