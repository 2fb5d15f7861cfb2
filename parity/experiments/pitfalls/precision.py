"""Pitfalls of floating point: float64 vs float32, and TF32 matmuls on NVIDIA GPUs."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

from parity._util.threads import limit_threads
from parity.data import load_dataset
from parity.experiments.pitfalls.common import Numbers, raises, rel_diff
from parity.harness.runner import build, prepare, run
from parity.harness.sides import SCRATCH, TORCH
from parity.spec import RunSpec

DTYPES = ("float32", "float64")


def float64_vs_float32(seed: int = 0) -> Numbers:
    """NumPy computes in float64 by default, torch in float32.

    ``float64_input_raises``: a float64 array through ``torch.from_numpy`` into a default
    (float32) ``nn.Linear`` is an error, not a cast. Then the same network, weights and
    batches in both precisions (``moons``, hidden 16 tanh, 10 epochs): the relative change
    of the initial forward output (``forward_rel_diff.{side}``, ~float32's eps) and of the
    trained weights (``trained_rel_diff.{side}``, grown through training), and
    ``f32_scratch_vs_torch_rel_diff``: the two implementations at float32 agree to the
    precision's level, not to zero. Relative = max abs difference / max abs value.
    """
    out: Numbers = {}
    with limit_threads(1):
        layer = nn.Linear(2, 3)  # float32, torch's default
        x64 = np.random.default_rng(seed).standard_normal((4, 2))
        out["float64_input_raises"] = raises(lambda: layer(torch.from_numpy(x64)), RuntimeError)
        base = RunSpec(
            task="binary", hidden=(16,), activation="tanh", epochs=10, seed=seed, batch_size=16
        )
        specs = {dt: base.replace(dtype=dt) for dt in DTYPES}
        data = {dt: load_dataset("moons", seed=seed, n_samples=128, dtype=dt) for dt in DTYPES}
        runs = {dt: run(specs[dt], data[dt]) for dt in DTYPES}
        setups = {dt: prepare(specs[dt], data[dt]) for dt in DTYPES}
        X = data["float64"].X_train
        for impl in (SCRATCH, TORCH):  # the initial forward pass, then the trained weights
            f32, f64 = (impl.outputs(build(impl, setups[dt]), X.astype(dt)) for dt in DTYPES)
            out[f"forward_rel_diff.{impl.name}"] = rel_diff(f32, f64)
            w32, w64 = (runs[dt].sides[impl.name].final_state for dt in DTYPES)
            out[f"trained_rel_diff.{impl.name}"] = max(rel_diff(w32[k], w64[k]) for k in w64)
        s32, t32 = runs["float32"].candidate.final_state, runs["float32"].reference.final_state
        out["f32_scratch_vs_torch_rel_diff"] = max(rel_diff(s32[k], t32[k]) for k in t32)
    return out


def round_to_tf32(x: np.ndarray) -> np.ndarray:
    """Round float32 values to TF32's 10 explicit mantissa bits (of float32's 23), to nearest
    even: what a TF32 tensor core does to each matmul input. Returns float32."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    lsb = (bits >> np.uint32(13)) & np.uint32(1)
    rounded = (bits + np.uint32(0x0FFF) + lsb) & np.uint32(0xFFFFE000)
    return rounded.view(np.float32)


def tf32_matmul(seed: int = 0, size: int = 256) -> Numbers:
    """TF32 on NVIDIA GPUs (Ampere and later): float32 matmuls whose inputs keep 10 mantissa
    bits, about 3 decimal digits, instead of 23.

    torch allows it for matmuls when ``torch.backends.cuda.matmul.allow_tf32`` is set (or
    ``torch.set_float32_matmul_precision("high")``); a float32 result then differs from the
    CPU's by ~1e-3 relative, far above any float32 parity tolerance, which is why
    ``torch_impl.parity_mode`` turns it off. With CUDA present the demonstration runs the
    product on the GPU with TF32 off and on (``simulated`` = 0.0); without, it rounds the
    inputs to TF32 with :func:`round_to_tf32` and multiplies in float32 (``simulated`` =
    1.0). ``fp32_rel_err`` and ``tf32_rel_err``: ``max |C - C64| / max |C64|`` for a
    ``size x size`` product of standard normals against the float64 product ``C64``. The
    simulation was checked once against a real H200, where the GPU's TF32 error for this
    product came out the same size as the simulated one.
    """
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((size, size)).astype(np.float32)
    B = rng.standard_normal((size, size)).astype(np.float32)
    C64 = A.astype(np.float64) @ B.astype(np.float64)
    scale = float(np.abs(C64).max())
    out: Numbers = {}
    if torch.cuda.is_available():
        At, Bt = torch.tensor(A, device="cuda"), torch.tensor(B, device="cuda")
        saved = torch.backends.cuda.matmul.allow_tf32
        try:
            for name, allow in (("fp32", False), ("tf32", True)):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # newer torch prefers fp32_precision
                    torch.backends.cuda.matmul.allow_tf32 = allow
                C = (At @ Bt).double().cpu().numpy()
                out[f"{name}_rel_err"] = float(np.abs(C - C64).max() / scale)
        finally:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.backends.cuda.matmul.allow_tf32 = saved
        out["simulated"] = 0.0
    else:
        with limit_threads(1):
            C32 = (torch.tensor(A) @ torch.tensor(B)).double().numpy()
            Ctf = (torch.tensor(round_to_tf32(A)) @ torch.tensor(round_to_tf32(B))).double().numpy()
        out["fp32_rel_err"] = float(np.abs(C32 - C64).max() / scale)
        out["tf32_rel_err"] = float(np.abs(Ctf - C64).max() / scale)
        out["simulated"] = 1.0
    out["tf32_over_fp32"] = out["tf32_rel_err"] / out["fp32_rel_err"]
    return out
