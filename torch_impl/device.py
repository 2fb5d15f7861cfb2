"""Device, dtype and TF32: where the torch network runs and in what precision.

``resolve_device`` turns ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` into a
``torch.device`` (never silently falling back to the CPU), ``resolve_dtype`` turns
``"float32"`` / ``"float64"`` into a ``torch.dtype``, and ``parity_mode`` makes CUDA float
math comparable with NumPy (TF32 off, deterministic kernels) for the length of a ``with``
block. scratch has no twin: NumPy runs on the CPU, in the dtype of its arrays.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

DTYPES = ("float32", "float64")
_TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_dtype(dtype: str | torch.dtype) -> torch.dtype:
    """``"float32"`` / ``"float64"`` (or the torch dtypes themselves) -> ``torch.dtype``.

    Raises TypeError for a value that is neither a string nor a ``torch.dtype`` and
    ValueError for any other dtype (half precision is out of scope for parity).
    """
    valid = ", ".join(DTYPES)
    if isinstance(dtype, torch.dtype):
        if dtype in _TORCH_DTYPES.values():
            return dtype
        raise ValueError(f"unsupported dtype {dtype}; valid: {valid}")
    if isinstance(dtype, str):
        if dtype in DTYPES:
            return _TORCH_DTYPES[dtype]
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
