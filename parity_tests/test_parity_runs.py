"""Representative parity runs through the public entry point ``parity.run(RunSpec(...))``.

Every task on a synthetic and a real dataset, in float64 and float32, with the RunSpec
defaults (one hidden layer of 16 tanh units, SGD, 20 epochs of batches of 32): the loss at
every step, both steps' gradients, the final weights and the test outputs agree. Plus the
summary's verdict, bit-exact weight round trips between the twins through .npz and .pt
files, how bad specs and a missing CUDA device are refused, and ``device="auto"``.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
import torch

import parity
import scratch
import torch_impl
from parity import RunSpec
from parity.compare import compare
from parity.data import load_dataset
from parity.runner import build_networks
from parity.tolerances import tolerance

DATASETS = ("sine", "diabetes", "moons", "breast_cancer", "blobs", "iris", "digits")
GROUPS = {"loss_curve", "grad_first_step", "grad_last_step", "final_weights", "test_outputs"}
_NO_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.mark.parametrize("dtype", ("float64", "float32"))
@pytest.mark.parametrize("dataset", DATASETS)
def test_run_agrees_at_every_step(dataset, dtype):
    spec = RunSpec(dataset=dataset, dtype=dtype)
    result = parity.run(spec)
    assert result.ok, result.summary()
    n_train = len(load_dataset(dataset, seed=spec.seed, dtype=dtype).X_train)
    steps = spec.epochs * math.ceil(n_train / spec.batch_size)
    assert len(result.scratch.losses) == len(result.torch.losses) == steps
    assert set(result.worst) == GROUPS
    assert result.summary().splitlines()[0].startswith(f"{spec.label()} on {dataset}: PARITY OK")


def test_summary_names_a_failure():
    result = parity.run(RunSpec(dataset="iris", epochs=1))
    bad = compare("final_weights[0.bias]", [1.0], [2.0], tolerance("weights", "float64"))
    failed = dataclasses.replace(result, comparisons=[*result.comparisons, bad])
    summary = failed.summary()
    assert "PARITY FAILED" in summary
    assert f"first failure: {bad.message}" in summary
    assert "PARITY OK" not in summary


# ------------------------------------------------------------------ weight round trips


def assert_bit_exact(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> None:
    assert list(ours) == list(theirs)
    for key in theirs:
        assert (ours[key].shape, ours[key].dtype) == (theirs[key].shape, theirs[key].dtype), key
        assert np.array_equal(ours[key], theirs[key]), key


@pytest.mark.parametrize("suffix", (".npz", ".pt"))
@pytest.mark.parametrize("dtype", ("float64", "float32"))
def test_weights_round_trip_scratch_torch_file_scratch(tmp_path, dtype, suffix):
    """scratch -> torch -> file (torch_impl.save_weights) -> scratch, bit for bit."""
    spec = RunSpec(dataset="iris", hidden=(5, 3), dtype=dtype)
    trained = parity.run(spec.replace(epochs=2)).scratch.final_state
    nets = build_networks(spec)
    torch_impl.load_numpy_state_dict(nets.torch_model, trained)
    path = tmp_path / f"weights{suffix}"
    torch_impl.save_weights(path, nets.torch_model.state_dict())
    loaded = scratch.load_weights(path) if suffix == ".npz" else torch_impl.load_weights(path)
    nets.scratch_model.load_state_dict(loaded)
    assert_bit_exact(nets.scratch_model.state_dict(), trained)
    X = nets.data.X_test
    with torch.inference_mode():
        torch_out = nets.torch_model(torch.from_numpy(X)).numpy()
    assert compare("test_outputs", nets.scratch_model(X), torch_out, tolerance("outputs", dtype)).ok


# ------------------------------------------------------------------ refused specs and devices


def bad(field: str, value: object, message: str) -> object:
    return pytest.param(field, value, message, id=f"{field}={value!r}")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        bad("dataset", "mnist", "unknown dataset 'mnist'"),
        bad("activation", "swish", "unknown activation 'swish'"),
        bad("head", "poisson", "unknown head 'poisson'"),
        bad("optimizer", "rmsprop", "unknown optimizer 'rmsprop'"),
        bad("hidden", (16, 0), "hidden size must be an int >= 1, got 0"),
        bad("hidden", 0, "hidden must be a tuple of ints, got 0"),
        bad("lr", 0.0, "lr must be a finite number > 0.0, got 0.0"),
        bad("lr", -0.1, "lr must be a finite number > 0.0, got -0.1"),
        bad("batch_size", 0, "batch_size must be an int >= 1, got 0"),
    ],
)
def test_bad_spec_is_refused_before_training(field, value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parity.run(RunSpec(**{field: value}))


@pytest.mark.cuda
@_NO_CUDA
@pytest.mark.parametrize("dtype", ("float64", "float32"))
def test_cuda_run_agrees(dtype):
    result = parity.run(RunSpec(dataset="moons", dtype=dtype, device="cuda"))
    assert result.ok, result.summary()


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_without_a_device_is_refused():
    with pytest.raises(ValueError, match="CUDA was requested but no CUDA device is available"):
        parity.run(RunSpec(device="cuda"))


def test_auto_device_runs_where_it_resolves():
    spec = RunSpec(dataset="moons", device="auto", epochs=2)
    assert build_networks(spec).device == torch_impl.resolve_device("auto")
    result = parity.run(spec)
    assert result.ok, result.summary()
    assert "device auto" in result.summary()
