"""The network in idiomatic ``torch.nn``: one ``nn.Sequential`` of ``Linear`` and activations.

Layout, for ``build_model(in, (h0, h1), out, "tanh", "sigmoid")``::

    Linear(in, h0), Tanh(), Linear(h0, h1), Tanh(), Linear(h1, out), Sigmoid()
    keys: "0.weight" (h0, in), "0.bias" (h0,), "2.weight" (h1, h0), "2.bias" (h1,),
          "4.weight" (out, h1), "4.bias" (out,)

Zero hidden layers is logistic / linear / softmax regression: a single ``Linear``. The twin is
``scratch.Sequential`` built from the same spec, with the same state-dict keys and shapes.

Also here: device and dtype resolution, and ``parity_mode`` (TF32 off, deterministic kernels)
for comparing CUDA runs against NumPy.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import pairwise

import numpy as np
import torch
from torch import nn

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
OUTPUT_ACTIVATIONS = (None, "sigmoid", "softmax")
DTYPES = {"float32": torch.float32, "float64": torch.float64}

# name -> module factory; Leaky ReLU's slope is the seed's alpha = 0.01 (torch's default too).
_ACTIVATION_MODULES: dict[str, Callable[[], nn.Module]] = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(negative_slope=0.01),
    "identity": nn.Identity,
}


def resolve_dtype(dtype: str | torch.dtype) -> torch.dtype:
    """``"float32"`` / ``"float64"`` (or the torch dtypes themselves) -> ``torch.dtype``.

    Raises TypeError for a value that is neither a string nor a ``torch.dtype`` and
    ValueError for any other dtype (half precision is out of scope for parity).
    """
    valid = ", ".join(DTYPES)
    if isinstance(dtype, torch.dtype):
        if dtype in DTYPES.values():
            return dtype
        raise ValueError(f"unsupported dtype {dtype}; valid: {valid}")
    if isinstance(dtype, str):
        if dtype in DTYPES:
            return DTYPES[dtype]
        raise ValueError(f"unsupported dtype {dtype!r}; valid: {valid}")
    raise TypeError(
        f"dtype must be a string or torch.dtype, got {type(dtype).__name__} {dtype!r}; "
        f"valid: {valid}"
    )


def resolve_device(device: str | torch.device) -> torch.device:
    """``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` (CUDA if available, else CPU).

    Asking for CUDA where none is available is an error, never a silent fall-back to CPU:
    a parity run must say which device it measured.
    """
    valid = "'cpu', 'cuda', 'cuda:N', 'auto'"
    if isinstance(device, str):
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            resolved = torch.device(device)
        except RuntimeError:
            raise ValueError(f"unknown device {device!r}; valid: {valid}") from None
    elif isinstance(device, torch.device):
        resolved = device
    else:
        raise TypeError(f"device must be a string or torch.device, got {type(device).__name__}")

    if resolved.type == "cpu":
        return torch.device("cpu")
    if resolved.type != "cuda":
        raise ValueError(f"unsupported device {str(device)!r}; valid: {valid}")
    if not torch.cuda.is_available():
        raise ValueError(
            "CUDA was requested but no CUDA device is available "
            "(torch.cuda.is_available() is False); use the CPU ('cpu') or 'auto'"
        )
    count = torch.cuda.device_count()
    if resolved.index is not None and resolved.index >= count:
        raise ValueError(
            f"CUDA device index {resolved.index} requested but only {count} device(s) exist"
        )
    return resolved


def _activation(name: str) -> nn.Module:
    if name not in _ACTIVATION_MODULES:
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}")
    return _ACTIVATION_MODULES[name]()


def _check_size(what: str, value: object) -> int:
    """A layer width: a Python or NumPy integer >= 1 (not a bool), returned as ``int``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return int(value)


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
    """Build ``Linear, act, Linear, act, ..., Linear[, Sigmoid | Softmax(dim=-1)]``.

    Args:
        in_features: width of the input, one unit per feature.
        hidden: widths of the hidden layers; ``()`` gives a single ``Linear``.
        out_features: 1 for regression or a binary head, C for C classes.
        activation: one of ``ACTIVATIONS`` for every hidden layer, or one name per layer.
        output_activation: ``None`` (raw outputs / logits, the idiomatic choice with
            ``MSELoss``, ``BCEWithLogitsLoss`` and ``CrossEntropyLoss``), ``"sigmoid"``
            (for ``BCELoss``) or ``"softmax"`` (probabilities; softmax over the last dim).
        dtype: ``"float32"`` or ``"float64"``.
        device: see ``resolve_device``.

    Shape: ``x (N, in_features) -> y (N, out_features)``.

    Parameters get torch's default init; ``parity`` overwrites them with a shared state dict
    via ``torch_impl.io.load_numpy_state_dict``.
    """
    in_features = _check_size("in_features", in_features)
    out_features = _check_size("out_features", out_features)
    if isinstance(hidden, (str, bytes, numbers.Number)) or not isinstance(hidden, Iterable):
        raise TypeError(
            f"hidden must be a sequence of layer widths, e.g. (8,) or [], "
            f"got {type(hidden).__name__} {hidden!r}"
        )
    hidden = tuple(_check_size(f"hidden[{i}]", width) for i, width in enumerate(hidden))
    if isinstance(activation, str):
        activations = [activation] * len(hidden)
    else:
        activations = list(activation)
        if len(activations) != len(hidden):
            raise ValueError(
                f"got {len(activations)} activations for {len(hidden)} hidden layers; "
                f"pass one name, or one per hidden layer"
            )
    if output_activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"unknown output_activation {output_activation!r}; "
            f"valid: {', '.join(map(str, OUTPUT_ACTIVATIONS))}"
        )
    if isinstance(activation, str):
        _activation(activation)  # validate the name even when there are no hidden layers
    torch_dtype, torch_device = resolve_dtype(dtype), resolve_device(device)

    widths = (in_features, *hidden, out_features)
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(pairwise(widths)):
        layers.append(nn.Linear(fan_in, fan_out, dtype=torch_dtype, device=torch_device))
        if i < len(hidden):
            layers.append(_activation(activations[i]))
    if output_activation == "sigmoid":
        layers.append(nn.Sigmoid())
    elif output_activation == "softmax":
        layers.append(nn.Softmax(dim=-1))
    return nn.Sequential(*layers)


@contextmanager
def parity_mode(device: str | torch.device) -> Iterator[torch.device]:
    """Make CUDA float math comparable with NumPy for the duration of a ``with`` block.

    On CUDA this turns TF32 off for matmuls and cuDNN (TF32 keeps 10 mantissa bits instead of
    float32's 23, so float32 matmuls lose about 3 decimal digits and no sensible tolerance
    would hold) and enables ``torch.use_deterministic_algorithms`` so repeated runs agree
    bit for bit. Deterministic cuBLAS needs ``CUBLAS_WORKSPACE_CONFIG`` set before the first
    CUDA matmul; it is set to ``":4096:8"`` if unset. Everything is restored on exit. On CPU
    nothing needs changing. Yields the resolved device::

        with parity_mode("auto") as device:
            model = build_model(2, (16,), 1, device=device)
    """
    resolved = resolve_device(device)
    if resolved.type != "cuda":
        yield resolved
        return

    saved = (
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    )
    if saved[4] is None:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.use_deterministic_algorithms(True)
    try:
        yield resolved
    finally:
        matmul_tf32, cudnn_tf32, deterministic, warn_only, workspace = saved
        torch.backends.cuda.matmul.allow_tf32 = matmul_tf32
        torch.backends.cudnn.allow_tf32 = cudnn_tf32
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        if workspace is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
