"""torch_impl.io: NumPy state dicts in and out, and ``.npz`` / ``.pt`` weight files."""

from __future__ import annotations

import os
import re
import stat
import zipfile

import numpy as np
import pytest
import torch

from torch_impl import (
    build_model,
    load_numpy_state_dict,
    load_weights,
    numpy_state_dict,
    save_weights,
)

# ---------------------------------------------------------------- weights in and out


def _state(model, seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(tuple(v.shape)) for k, v in model.state_dict().items()}


def test_load_numpy_state_dict_copies():
    model = build_model(3, (4,), 2, dtype="float32")
    state = _state(model)
    load_numpy_state_dict(model, state)
    loaded = numpy_state_dict(model)
    assert loaded["0.weight"].dtype == np.float32  # converted to the model's dtype
    np.testing.assert_array_equal(loaded["0.weight"], state["0.weight"].astype(np.float32))

    before = model[0].weight.detach().clone()
    state["0.weight"][...] = 123.0  # mutate the source after loading
    assert torch.equal(model[0].weight.detach(), before)

    exported = numpy_state_dict(model)
    exported["0.bias"][...] = -7.0  # mutate the export
    assert not torch.any(model[0].bias == -7.0)


def test_numpy_state_dict_round_trip_float64_exact():
    model = build_model(3, (4, 5), 2)
    state = _state(model, seed=1)
    load_numpy_state_dict(model, state)
    out = numpy_state_dict(model)
    assert list(out) == list(model.state_dict())
    for key, value in state.items():
        assert out[key].dtype == np.float64
        np.testing.assert_array_equal(out[key], value)


@pytest.mark.parametrize(
    ("edit", "error", "match"),
    [
        (lambda s: s.pop("2.bias"), ValueError, r"missing.*'2\.bias'"),
        (lambda s: s.update({"4.weight": np.zeros((1, 1))}), ValueError, r"unexpected.*4\.weight"),
        (lambda s: s.update({"0.weight": np.zeros((3, 4))}), ValueError, r"'0\.weight'.*\(4, 3\)"),
        (lambda s: s.update({"0.bias": np.full(4, np.nan)}), ValueError, r"'0\.bias'.*NaN"),
        (lambda s: s.update({"0.bias": np.zeros(4, int)}), TypeError, r"'0\.bias'.*float"),
        (lambda s: s.update({"0.bias": torch.zeros(4)}), TypeError, r"'0\.bias'.*numpy"),
    ],
    ids=["missing", "extra", "misshapen", "nan", "int-array", "tensor-value"],
)
def test_load_numpy_state_dict_rejects(edit, error, match):
    model = build_model(3, (4,), 2)
    state = _state(model)
    edit(state)
    before = numpy_state_dict(model)
    with pytest.raises(error, match=match):
        load_numpy_state_dict(model, state)
    after = numpy_state_dict(model)
    assert all(np.array_equal(before[k], after[k]) for k in before)  # nothing half-loaded


@pytest.mark.parametrize("suffix", [".npz", ".pt"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_save_load_round_trip(tmp_path, suffix, dtype):
    model = build_model(3, (4,), 2)
    state = {k: v.astype(dtype) for k, v in _state(model).items()}
    path = tmp_path / f"weights{suffix}"
    save_weights(path, state)
    loaded = load_weights(path)
    assert list(loaded) == list(state)
    for key, value in state.items():
        assert loaded[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded[key], value)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temp file left


@pytest.mark.parametrize("suffix", [".npz", ".pt"])
def test_save_accepts_tensors(tmp_path, suffix):
    model = build_model(3, (4,), 2)
    path = tmp_path / f"w{suffix}"
    save_weights(path, model.state_dict())
    loaded = load_weights(path)
    load_numpy_state_dict(build_model(3, (4,), 2), loaded)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded[key], value.numpy())


@pytest.mark.parametrize("suffix", [".npz", ".pt"])
def test_failed_save_leaves_no_file(tmp_path, suffix):
    path = tmp_path / f"w{suffix}"
    with pytest.raises(TypeError, match="'b'"):
        save_weights(path, {"a": np.zeros(2), "b": "not an array"})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".npz", ".pt"])
def test_failed_write_keeps_previous_file(tmp_path, monkeypatch, suffix):
    path = tmp_path / f"w{suffix}"
    save_weights(path, {"a": np.ones(2)})

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        save_weights(path, {"a": np.zeros(2)})
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    np.testing.assert_array_equal(load_weights(path)["a"], np.ones(2))


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("umask", [0o022, 0o077], ids=["022", "077"])
@pytest.mark.parametrize("suffix", [".npz", ".pt"])
def test_saved_file_has_the_umask_default_mode(tmp_path, suffix, umask):
    """Like a file made with open(): 0o666 less the umask, not mkstemp's private 0o600."""
    path = tmp_path / f"w{suffix}"
    old = os.umask(umask)
    try:
        save_weights(path, {"a": np.ones(2)})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


CSV = b"x0,x1,y\n0.5,1.0,0\n"


def _write(path, content):
    """Write one kind of wrong file to ``path``; returns ``path``."""
    if content == "npy":
        with open(path, "wb") as f:
            np.save(f, np.zeros(3))
    elif content == "other-zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notes.txt", "hello")
    elif content == "npz":
        with open(path, "wb") as f:
            np.savez(f, a=np.zeros(2))
    elif content == "module":
        torch.save(build_model(2, (), 1), path)  # the whole model, not its state dict
    else:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("data.npz", CSV, "is not an .npz archive"),
        ("w.npz", b"", "is not an .npz archive"),
        ("w.npz", "npy", "is not an .npz archive"),
        ("w.npz", "other-zip", "is not an .npz archive"),
        ("data.pt", CSV, "is not a torch .pt file"),
        ("w.pt", b"", "is not a torch .pt file"),
        ("w.pt", "npz", "is not a torch .pt file"),
        ("w.pt", "module", r"holds Python objects other than tensors.*model\.state_dict\(\)"),
    ],
    ids=["csv-as-npz", "empty-npz", "npy-as-npz", "zip-as-npz", "csv-as-pt", "empty-pt",
         "npz-as-pt", "pickled-module"],
)  # fmt: skip
def test_load_wrong_kind_of_file(tmp_path, name, content, match):
    path = _write(tmp_path / name, content)
    expected = {
        ".npz": "(expected a file written by save_weights / np.savez)",
        ".pt": "(expected a file written by save_weights / torch.save)",
    }[path.suffix]
    with pytest.raises(ValueError, match=match) as info:
        load_weights(path)
    assert str(path) in str(info.value)
    if "is not" in match:
        assert expected in str(info.value)
    assert "allow_pickle" not in str(info.value) and "weights_only" not in str(info.value)


def test_load_legacy_torch_file(tmp_path):
    path = tmp_path / "legacy.pt"
    torch.save({"a": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    np.testing.assert_array_equal(load_weights(path)["a"], np.ones(2, np.float32))


def test_weights_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "nope.npz"))):
        load_weights(tmp_path / "nope.npz")
    with pytest.raises(ValueError, match=r"unknown weights file suffix '\.h5'; valid: \.npz, \.pt"):
        save_weights(tmp_path / "w.h5", {"a": np.zeros(2)})
    with pytest.raises(ValueError, match="suffix"):
        load_weights(tmp_path / "w.txt")
    torch.save(torch.zeros(3), tmp_path / "tensor.pt")
    with pytest.raises(ValueError, match="mapping"):
        load_weights(tmp_path / "tensor.pt")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"junk\.npz"):
        load_weights(tmp_path / "junk.npz")
