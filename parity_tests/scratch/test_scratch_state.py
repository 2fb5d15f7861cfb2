"""state_dict / load_state_dict (torch's keys) and .npz weight files."""

from __future__ import annotations

import itertools
import os
import re
import stat
import zipfile

import numpy as np
import pytest

import scratch

KEYS = {
    "0hidden": ((), ["0.weight", "0.bias"]),
    "1hidden": ((4,), ["0.weight", "0.bias", "2.weight", "2.bias"]),
    "3hidden": (
        (4, 1, 3),
        ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight", "6.bias"],
    ),
}


def model(hidden: tuple[int, ...] = (4,), seed: int = 0, **kwargs: object) -> scratch.Sequential:
    return scratch.build_model(3, hidden, 2, "tanh", rng=np.random.default_rng(seed), **kwargs)


@pytest.mark.parametrize("output_activation", [None, "sigmoid", "softmax"])
@pytest.mark.parametrize("depth", KEYS)
def test_keys_names_and_shapes(depth, output_activation):
    hidden, keys = KEYS[depth]
    m = model(hidden, output_activation=output_activation)
    state = m.state_dict()
    assert list(state) == keys
    assert [name for name, _ in m.named_parameters()] == keys
    widths = [3, *hidden, 2]
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        assert state[f"{2 * i}.weight"].shape == (fan_out, fan_in)  # torch's (out, in)
        assert state[f"{2 * i}.bias"].shape == (fan_out,)


@pytest.mark.parametrize("depth", KEYS)
def test_round_trip_is_exact_and_copies(check_array, depth):
    hidden, _ = KEYS[depth]
    source, target = model(hidden, seed=1), model(hidden, seed=2)
    state = source.state_dict()
    target.load_state_dict(state)
    for key, value in target.state_dict().items():
        check_array(value, state[key])
    x = np.random.default_rng(3).normal(size=(5, 3))
    check_array(target(x), source(x))
    snapshot = {k: v.copy() for k, v in state.items()}
    for value in state.values():  # mutate the dict we loaded from ...
        value += 1.0
    for key, value in target.state_dict().items():  # ... the model kept its own copy
        check_array(value, snapshot[key])
    target.state_dict()["0.weight"][...] = 0  # and state_dict() hands out copies
    check_array(target.state_dict()["0.weight"], snapshot["0.weight"])


def test_float32_state_loads_into_float64_model_as_torch_copy_does(check_array):
    source, target = model(seed=1), model(seed=2)
    state32 = {k: v.astype(np.float32) for k, v in source.state_dict().items()}
    target.load_state_dict(state32)
    for key, value in target.state_dict().items():
        check_array(value, state32[key].astype(np.float64))


def _with(key: str, value: object = None, *, drop: bool = False) -> dict[str, object]:
    state: dict[str, object] = dict(model(seed=5).state_dict())
    if drop:
        del state[key]
    else:
        state[key] = value
    return state


@pytest.mark.parametrize(
    ("state", "error", "match"),
    [
        (_with("2.bias", drop=True), ValueError, r"missing keys \['2.bias'\]"),
        (_with("4.weight", np.zeros((2, 4))), ValueError, r"unexpected keys \['4.weight'\]"),
        (_with("0.weight", np.zeros((3, 4))), ValueError, r"'0.weight' has shape \(3, 4\)"),
        (_with("0.bias", [0.0, 0.0, 0.0, 0.0]), TypeError, "'0.bias' must be a numpy.ndarray"),
        (
            _with("0.bias", np.zeros(4, dtype=np.int64)),
            TypeError,
            r"state dict entry '0\.bias' must have dtype float32 or float64, got int64",
        ),
        (_with("2.weight", np.full((2, 4), np.nan)), ValueError, "'2.weight' contains 8 NaN"),
        (_with("2.bias", np.array([0.0, np.inf])), ValueError, "'2.bias' contains 1 NaN or inf"),
        ([("0.weight", np.zeros((4, 3)))], TypeError, "mapping"),
    ],
    ids=["missing", "extra", "misshapen", "list-value", "int-value", "nan", "inf", "not-a-dict"],
)
def test_load_rejects_bad_state_and_changes_nothing(check_array, state, error, match):
    m = model(seed=6)
    before = m.state_dict()
    with pytest.raises(error, match=match):
        m.load_state_dict(state)
    for key, value in m.state_dict().items():
        check_array(value, before[key])


# ---------------------------------------------------------------- .npz files


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("depth", KEYS)
def test_save_load_round_trip(check_array, tmp_path, depth, dtype):
    hidden, keys = KEYS[depth]
    state = model(hidden, dtype=dtype).state_dict()
    path = tmp_path / "weights.npz"
    scratch.save_weights(path, state)
    loaded = scratch.load_weights(str(path))  # str or Path
    assert list(loaded) == keys
    for key, value in loaded.items():
        check_array(value, state[key])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.npz"]  # no temp files left
    scratch.save_weights(path, {k: v * 2 for k, v in state.items()})  # overwrite in place
    check_array(scratch.load_weights(path)["0.bias"], state["0.bias"] * 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.npz"]


def test_object_array_is_refused_before_writing(tmp_path):
    """.npz weights are plain arrays: an object entry would be pickled, and unloadable."""
    with pytest.raises(TypeError, match=r"'0\.weight' is not a plain numeric array"):
        scratch.save_weights(tmp_path / "w.npz", {"0.weight": np.array([object()])})
    assert list(tmp_path.iterdir()) == []


def test_interrupted_save_keeps_the_old_file_and_leaves_no_temp_file(
    check_array, tmp_path, monkeypatch
):
    path = tmp_path / "w.npz"
    state = model().state_dict()
    scratch.save_weights(path, state)

    def savez_then_fail(f: object, **arrays: object) -> None:
        f.write(b"half a file")  # type: ignore[attr-defined]
        raise OSError("disk full")

    monkeypatch.setattr(scratch.io.np, "savez", savez_then_fail)
    with pytest.raises(OSError, match="disk full"):
        scratch.save_weights(path, {k: v * 0 for k, v in state.items()})
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]
    check_array(scratch.load_weights(path)["0.weight"], state["0.weight"])


def test_load_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere.npz"
    with pytest.raises(FileNotFoundError, match=r"nowhere\.npz"):
        scratch.load_weights(path)


@pytest.mark.parametrize("name", ["weights.pt", "weights.npy", "weights"])
def test_save_wrong_suffix(tmp_path, name):
    with pytest.raises(ValueError, match=r"\.npz"):
        scratch.save_weights(tmp_path / name, model().state_dict())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("weights.npz", b"not a zip"),
        ("data.csv", b"x0,x1,y\n0.5,1.0,0\n"),  # a CSV passed by mistake
        ("weights.npz", b""),
        ("weights.npy", None),  # a single array from np.save, not an archive
        ("weights.npz", "zip"),  # a zip archive, but not of .npy arrays
    ],
    ids=["junk", "csv", "empty", "npy", "other-zip"],
)
def test_load_not_an_npz(tmp_path, name, content):
    path = tmp_path / name
    if content is None:
        with open(path, "wb") as f:
            np.save(f, np.zeros(3))
    elif content == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notes.txt", "hello")
    else:
        path.write_bytes(content)
    expected = f"{path} is not an .npz archive (expected a file written by save_weights / np.savez)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        scratch.load_weights(path)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=["022", "077", "002"])
def test_saved_file_has_the_umask_default_mode(tmp_path, umask):
    """Like a file made with open(): 0o666 less the umask, not mkstemp's private 0o600."""
    path = tmp_path / "weights.npz"
    old = os.umask(umask)
    try:
        scratch.save_weights(path, model().state_dict())
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
