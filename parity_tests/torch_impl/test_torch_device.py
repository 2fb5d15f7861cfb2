"""torch_impl.device: dtype and device resolution, and ``parity_mode``."""

from __future__ import annotations

import os
import re

import pytest
import torch

from torch_impl import (
    build_model,
    parity_mode,
    resolve_device,
    resolve_dtype,
)


# ---------------------------------------------------------------- dtype
@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        ("float32", torch.float32),
        ("float64", torch.float64),
        (torch.float32, torch.float32),
        (torch.float64, torch.float64),
    ],
    ids=["str32", "str64", "torch32", "torch64"],
)
def test_dtype(dtype, expected):
    assert resolve_dtype(dtype) is expected
    model = build_model(2, (3,), 1, dtype=dtype)
    assert all(p.dtype is expected for p in model.parameters())


# ---------------------------------------------------------------- device


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present on this machine")
@pytest.mark.parametrize("device", ["cuda", "cuda:0", torch.device("cuda")], ids=str)
def test_cuda_absent_is_a_clear_error(device):
    with pytest.raises(ValueError, match="CUDA was requested but no CUDA device is available"):
        resolve_device(device)


@pytest.mark.parametrize("device", ["cuda", "cuda:1", torch.device("cuda", 0)], ids=str)
def test_cuda_absent_message_is_interface_neutral(monkeypatch, device):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    message = (
        "CUDA was requested but no CUDA device is available "
        "(torch.cuda.is_available() is False); use the CPU ('cpu') or 'auto'"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        resolve_device(device)
    assert resolve_device("auto") == torch.device("cpu")


def test_auto_device():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected


def test_cpu_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


def test_parity_mode_on_cpu_changes_nothing():
    before = (torch.backends.cudnn.allow_tf32, torch.are_deterministic_algorithms_enabled())
    with parity_mode("cpu") as device:
        assert device == torch.device("cpu")
        assert (torch.backends.cudnn.allow_tf32, torch.are_deterministic_algorithms_enabled()) == (
            before
        )


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_parity_mode_on_cuda_disables_tf32_and_restores(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    torch.backends.cudnn.allow_tf32 = True
    with parity_mode("cuda") as device:
        assert device.type == "cuda"
        assert not torch.backends.cuda.matmul.allow_tf32
        assert not torch.backends.cudnn.allow_tf32
        assert torch.are_deterministic_algorithms_enabled()
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        model = build_model(3, (4,), 2, dtype="float32", device=device)
        x = torch.randn(5, 3, device=device)
        assert model(x).device.type == "cuda"
    assert torch.backends.cudnn.allow_tf32
    assert not torch.are_deterministic_algorithms_enabled()
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ
