"""Representative parity runs through the public entry point ``parity.run(RunSpec(...), data)``.

Every task on a synthetic and a real dataset, in float64 and float32, with the RunSpec
defaults (one hidden layer of 16 tanh units, SGD, 20 epochs of batches of 32): the loss at
every step, both steps' gradients, the final weights and the test outputs agree. Plus the
summary's verdict, bit-exact weight round trips between the twins through .npz and .pt
files, how bad specs, data that does not fit the spec and a missing CUDA device are refused,
``device="auto"``, and an implementation handed to ``run`` as a value.
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
from parity.data import DATASETS as BUILTIN
from parity.data import load_dataset
from parity.harness.runner import build_networks, resolve_data
from parity.harness.sides import SCRATCH
from parity.tolerances import tolerance

DATASETS = ("sine", "diabetes", "moons", "breast_cancer", "blobs", "iris", "digits")
GROUPS = {"loss_curve", "grad_first_step", "grad_last_step", "final_weights", "test_outputs"}
_NO_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.mark.parametrize("dtype", ("float64", "float32"))
@pytest.mark.parametrize("dataset", DATASETS)
def test_run_agrees_at_every_step(dataset, dtype):
    spec = RunSpec(task=BUILTIN[dataset].task, dtype=dtype)
    result = parity.run(spec, dataset)
    assert result.ok, result.summary()
    n_train = len(load_dataset(dataset, seed=spec.seed, dtype=dtype).X_train)
    steps = spec.epochs * math.ceil(n_train / spec.batch_size)
    assert len(result.candidate.losses) == len(result.reference.losses) == steps
    assert list(result.sides) == ["scratch", "torch"]
    assert set(result.worst) == GROUPS
    assert result.summary().splitlines()[0].startswith(f"{spec.label()} on {dataset}: PARITY OK")


def test_summary_names_a_failure():
    result = parity.run(RunSpec(task="multiclass", epochs=1), "iris")
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
    spec = RunSpec(task="multiclass", hidden=(5, 3), dtype=dtype)
    trained = parity.run(spec.replace(epochs=2), "iris").candidate.final_state
    nets = build_networks(spec, "iris")
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


def bad(field: str, value: object, message: str, error: type[Exception] = ValueError) -> object:
    return pytest.param(field, value, message, error, id=f"{field}={value!r}")


@pytest.mark.parametrize(
    ("field", "value", "message", "error"),
    [
        bad("task", "ranking", "unknown task 'ranking'"),
        bad("activation", "swish", "unknown activation 'swish'"),
        bad("head", "poisson", "unknown head 'poisson'"),
        bad("optimizer", "rmsprop", "unknown optimizer 'rmsprop'"),
        bad("hidden", (16, 0), "hidden size must be an int >= 1, got 0"),
        bad("hidden", 0, "hidden must be a tuple of ints, got 0", TypeError),
        bad("lr", 0.0, "lr must be a finite number > 0.0, got 0.0"),
        bad("lr", -0.1, "lr must be a finite number > 0.0, got -0.1"),
        bad("batch_size", 0, "batch_size must be an int >= 1, got 0"),
    ],
)
def test_bad_spec_is_refused_before_training(field, value, message, error):
    with pytest.raises(error, match=re.escape(message)):
        parity.run(RunSpec(**{field: value}), "moons")


@pytest.mark.parametrize("dataset", list(BUILTIN))
def test_a_dataset_name_loads_with_the_specs_seed_and_dtype(dataset):
    spec = RunSpec(task=BUILTIN[dataset].task, seed=3, dtype="float32")
    data = resolve_data(spec, dataset)
    expected = load_dataset(dataset, seed=3, dtype="float32")
    assert (data.name, data.task, data.X_train.dtype) == (dataset, spec.task, np.float32)
    np.testing.assert_array_equal(data.X_train, expected.X_train)


@pytest.mark.parametrize(
    ("spec", "data", "error", "message"),
    [
        (RunSpec(task="regression"), "moons", ValueError,
         "data 'moons' is a binary dataset but the spec's task is regression"),
        (RunSpec(dtype="float32"), "moons", None, None),  # a name loads in the spec's dtype
        (RunSpec(dtype="float32"), load_dataset("moons"), ValueError,
         "data 'moons' holds float64 features but the spec's dtype is float32"),
        (RunSpec(), ["moons"], TypeError, "data must be a parity.data.Dataset or a built-in"),
        ("moons", "moons", TypeError, "spec must be a RunSpec, got str 'moons'"),
        (RunSpec(), "mnist", ValueError, "unknown dataset 'mnist'"),
    ],
    ids=["task", "name-dtype", "dataset-dtype", "data-type", "spec-type", "unknown-name"],
)  # fmt: skip
def test_data_that_does_not_fit_the_spec_is_refused(spec, data, error, message):
    if error is None:
        assert resolve_data(spec, data).X_train.dtype == np.float32
        return
    with pytest.raises(error, match=re.escape(message)):
        parity.run(spec, data)


@pytest.mark.cuda
@_NO_CUDA
@pytest.mark.parametrize("dtype", ("float64", "float32"))
def test_cuda_run_agrees(dtype):
    result = parity.run(RunSpec(dtype=dtype, device="cuda"), "moons")
    assert result.ok, result.summary()


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_without_a_device_is_refused():
    with pytest.raises(ValueError, match="CUDA was requested but no CUDA device is available"):
        parity.run(RunSpec(device="cuda"), "moons")


def test_auto_device_runs_where_it_resolves():
    spec = RunSpec(device="auto", epochs=2)
    assert build_networks(spec, "moons").device == str(torch_impl.resolve_device("auto"))
    result = parity.run(spec, "moons")
    assert result.ok, result.summary()
    assert "device auto" in result.summary()


def test_the_candidate_is_a_value_and_names_itself():
    """A candidate handed to ``run`` is trained instead of scratch and named in every
    message; a broken one is caught (its fit sees float32-rounded inputs)."""

    def rounded_fit(model, loss_fn, optimizer, X, y, **kw):
        return scratch.fit(model, loss_fn, optimizer, X.astype(np.float32).astype(X.dtype), y, **kw)

    mine = dataclasses.replace(SCRATCH, name="mine", fit=rounded_fit)
    result = parity.run(RunSpec(epochs=1), "moons", candidate=mine)
    assert list(result.sides) == ["mine", "torch"] and result.candidate.name == "mine"
    assert not result.ok
    assert "test accuracy: mine " in result.summary()
    must = r"candidate must be a parity\.harness\.sides\.Implementation"
    with pytest.raises(TypeError, match=must):
        parity.run(RunSpec(), "moons", candidate=scratch)
