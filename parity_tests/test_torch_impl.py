"""torch_impl on its own: layout, device/dtype, weight I/O, the training loop, inference."""

from __future__ import annotations

import os
import re
import stat
import zipfile
from itertools import pairwise

import numpy as np
import pytest
import torch
from torch import nn

from torch_impl import (
    ACTIVATIONS,
    History,
    build_model,
    fit,
    load_numpy_state_dict,
    load_weights,
    numpy_state_dict,
    parity_mode,
    predict,
    predict_proba,
    resolve_device,
    resolve_dtype,
    save_weights,
)

# ---------------------------------------------------------------- layout


@pytest.mark.parametrize(
    ("hidden", "activation", "output_activation", "expected"),
    [
        ((), "relu", None, [nn.Linear]),
        ((), "relu", "sigmoid", [nn.Linear, nn.Sigmoid]),
        ((5,), "tanh", None, [nn.Linear, nn.Tanh, nn.Linear]),
        (
            (5, 4, 3),
            ["sigmoid", "leaky_relu", "identity"],
            "softmax",
            [
                nn.Linear,
                nn.Sigmoid,
                nn.Linear,
                nn.LeakyReLU,
                nn.Linear,
                nn.Identity,
                nn.Linear,
                nn.Softmax,
            ],
        ),
    ],
    ids=["0-hidden", "0-hidden-sigmoid-head", "1-hidden-tanh", "3-hidden-mixed-softmax-head"],
)
def test_layout(hidden, activation, output_activation, expected):
    model = build_model(2, hidden, 3, activation, output_activation)
    assert [type(m) for m in model] == expected
    widths = (2, *hidden, 3)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == list(pairwise(widths))
    keys = [f"{2 * i}.{name}" for i in range(len(widths) - 1) for name in ("weight", "bias")]
    assert list(model.state_dict()) == keys
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes["0.weight"] == (widths[1], 2)  # (out_features, in_features)
    assert shapes[f"{keys[-1]}"] == (3,)


def test_layout_details():
    model = build_model(3, (4,), 2, "leaky_relu", "softmax")
    assert model[1].negative_slope == 0.01
    assert model[-1].dim == -1


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


def test_default_dtype_is_float64():
    assert all(p.dtype is torch.float64 for p in build_model(2, (3,), 1).parameters())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"activation": "swish"},
            ValueError,
            "unknown activation 'swish'; valid: sigmoid, tanh, relu, leaky_relu, identity",
        ),
        ({"activation": ["tanh", "gelu"]}, ValueError, "'gelu'"),
        ({"activation": ["tanh"]}, ValueError, "1 activations for 2 hidden"),
        ({"activation": ["tanh"] * 3}, ValueError, "3 activations for 2 hidden"),
        ({"hidden": (4, 0)}, ValueError, r"hidden\[1\].*0"),
        ({"hidden": (-1,)}, ValueError, r"hidden\[0\]"),
        (
            {"output_activation": "tanh"},
            ValueError,
            "unknown output_activation 'tanh'; valid: None, sigmoid, softmax",
        ),
        ({"dtype": "float16"}, ValueError, "unsupported dtype 'float16'; valid: float32, float64"),
        ({"dtype": torch.int64}, ValueError, "int64"),
        ({"dtype": np.float64}, TypeError, "dtype"),
        ({"device": "tpu"}, ValueError, "unknown device 'tpu'; valid: 'cpu', 'cuda'"),
        (
            {"hidden": 8},
            TypeError,
            r"hidden must be a sequence of layer widths, e\.g\. \(8,\) or \[\], got int 8",
        ),
        ({"hidden": (4.0,)}, ValueError, r"hidden\[0\] must be a positive int, got 4\.0"),
        ({"hidden": (np.int64(0),)}, ValueError, r"hidden\[0\]"),
        ({"in_features": True}, ValueError, "in_features must be a positive int, got True"),
    ],
    ids=[
        "unknown-activation",
        "unknown-activation-in-list",
        "too-few-activations",
        "too-many-activations",
        "zero-width",
        "negative-width",
        "bad-output-activation",
        "float16",
        "int-dtype",
        "numpy-dtype",
        "unknown-device",
        "hidden-int",
        "float-width",
        "numpy-zero-width",
        "bool-in-features",
    ],
)
def test_build_model_errors(kwargs, error, match):
    args = {"in_features": 2, "hidden": (4, 4), "out_features": 1} | kwargs
    with pytest.raises(error, match=match):
        build_model(**args)


def test_build_model_accepts_numpy_integer_widths():
    """Widths often come out of NumPy (``X.shape[1]``, ``np.arange``); scratch accepts them."""
    model = build_model(np.int64(3), np.array([4, 5]), np.int32(2))
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(3, 4), (4, 5), (5, 2)]
    assert all(type(m.in_features) is int and type(m.out_features) is int for m in linears)


def test_activations_constant():
    assert ACTIVATIONS == ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
    for name in ACTIVATIONS:
        build_model(2, (3,), 1, name)


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


# ---------------------------------------------------------------- training loop


def _regression_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.standard_normal((n, 1))
    return X, y


def _fresh(seed=0, **kwargs):
    torch.manual_seed(seed)
    model = build_model(3, (8,), 1, "tanh", **kwargs)
    return model, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def test_fit_explicit_batches_is_deterministic():
    X, y = _regression_data()
    rng = np.random.default_rng(1)
    batches = [np.array_split(rng.permutation(len(X)), 3) for _ in range(4)]  # 4 epochs x 3
    runs = []
    for _ in range(2):
        model, opt = _fresh()
        history = fit(model, nn.MSELoss(), opt, X, y, batches=batches)
        runs.append((history, numpy_state_dict(model)))
    (h1, w1), (h2, w2) = runs
    assert isinstance(h1, History)
    assert len(h1.losses) == 12
    assert all(isinstance(v, float) for v in h1.losses)
    assert h1.losses == h2.losses
    assert all(np.array_equal(w1[k], w2[k]) for k in w1)
    assert len(h1.train_loss) == len(h1.train_acc) == 4
    assert h1.train_acc == [None] * 4
    assert h1.val_loss == [] and h1.val_acc == []
    assert h1.train_loss[-1] < h1.train_loss[0]


def test_fit_uses_the_given_batch_order():
    X, y = _regression_data()
    batches = [[np.array([3, 1]), np.array([7]), np.arange(10, 20)]]
    seen = []

    class Recorder(nn.MSELoss):
        def forward(self, input, target):
            seen.append(target.detach().numpy().copy())
            return super().forward(input, target)

    model, opt = _fresh()
    fit(model, Recorder(), opt, X, y, batches=batches, task="regression")
    for batch, target in zip(batches[0], seen, strict=False):
        np.testing.assert_array_equal(target, y[batch])


def test_fit_on_backward_sees_gradients_before_step():
    X, y = _regression_data()
    batches = [[np.arange(0, 20), np.arange(20, 40)]] * 2
    seen = []

    def on_backward(step, model):
        seen.append((step, model[0].weight.grad.clone(), model[0].weight.detach().clone()))

    progress = []
    model, opt = _fresh()
    fit(
        model,
        nn.MSELoss(),
        opt,
        X,
        y,
        batches=batches,
        on_backward=on_backward,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert [s for s, _, _ in seen] == [0, 1, 2, 3]
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert all(torch.any(g != 0) for _, g, _ in seen)
    assert not torch.equal(seen[0][2], seen[1][2])  # weights changed between steps


def test_fit_seeded_shuffle_is_reproducible():
    X, y = _regression_data(n=50)
    runs = []
    for seed in (7, 7, 8):
        model, opt = _fresh()
        history = fit(model, nn.MSELoss(), opt, X, y, batch_size=16, epochs=3, seed=seed)
        runs.append(history.losses)
    assert len(runs[0]) == 3 * 4  # ceil(50 / 16) batches per epoch
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_fit_does_not_touch_caller_arrays():
    X, y = _regression_data()
    X0, y0 = X.copy(), y.copy()
    model, opt = _fresh()
    fit(model, nn.MSELoss(), opt, X, y, batch_size=8, epochs=2, seed=0)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_fit_float32_model_and_validation():
    X, y = (a.astype(np.float32) for a in _regression_data())
    model, opt = _fresh(dtype="float32")
    history = fit(
        model, nn.MSELoss(), opt, X, y, batch_size=8, epochs=2, seed=0, X_val=X[:10], y_val=y[:10]
    )
    assert model[0].weight.dtype is torch.float32
    assert len(history.val_loss) == len(history.val_acc) == 2
    assert history.val_acc == [None, None]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"batch_size": None}, ValueError, "batch_size, epochs and seed"),
        ({"batch_size": 4, "epochs": 1}, ValueError, "seed"),
        ({"batches": [[np.arange(4)]], "seed": 0}, ValueError, "not both"),
        ({"batches": [[np.array([0, 40])]]}, ValueError, r"batches\[0\]\[0\].*\[0, 40\)"),
        ({"batches": [[np.array([-1])]]}, ValueError, r"batches\[0\]\[0\]"),
        ({"batches": [[np.arange(4), np.array([], int)]]}, ValueError, r"batches\[0\]\[1\]"),
        ({"batches": [[np.array([0.0, 1.0])]]}, TypeError, "integer"),
        ({"batches": [[]]}, ValueError, r"batches\[0\] has no batches"),
        ({"batch_size": 0, "epochs": 1, "seed": 0}, ValueError, "batch_size"),
        ({"X": np.zeros(40)}, ValueError, "2-D"),
        ({"X": np.zeros((40, 3), int)}, TypeError, "float"),
        ({"X": np.full((40, 3), np.inf)}, ValueError, "NaN or inf"),
        ({"y": np.zeros((39, 1))}, ValueError, "39 rows but X has 40"),
        ({"y": np.zeros((40, 1), int)}, TypeError, "MSELoss needs float targets"),
        ({"y": np.zeros(40)}, ValueError, r"output shape \(4, 1\) != target shape \(4,\)"),
        ({"X_val": np.zeros((5, 3))}, ValueError, "both X_val and y_val"),
        ({"task": "ranking"}, ValueError, "unknown task 'ranking'; valid: regression, binary"),
        ({"batch_size": 2.5, "epochs": 1, "seed": 0}, ValueError, "batch_size.*got 2.5"),
        ({"batch_size": 4, "epochs": 1.0, "seed": 0}, ValueError, "epochs.*got 1.0"),
        ({"batch_size": 4, "epochs": 1, "seed": 0.5}, TypeError, "seed must be an int, got float"),
        (
            {"X": np.zeros((40, 3), np.float32)},
            TypeError,
            "X has dtype float32 but the model's parameters are float64",
        ),
        (
            {"X": torch.zeros(40, 3, dtype=torch.float32)},
            TypeError,
            "X has dtype float32 but the model's parameters are float64",
        ),
        (
            {"y": np.zeros((40, 1), np.float32)},
            TypeError,
            "y has dtype float32 but the model's parameters are float64",
        ),
        (
            {"X_val": np.zeros((5, 3), np.float32), "y_val": np.zeros((5, 1))},
            TypeError,
            "X_val has dtype float32 but the model's parameters are float64",
        ),
        (
            {"X_val": np.zeros((5, 3)), "y_val": np.zeros((5, 1), np.float16)},
            TypeError,
            "y_val has dtype float16 but the model's parameters are float64",
        ),
    ],
    ids=[
        "no-batch-order",
        "missing-seed",
        "batches-and-shuffle",
        "index-too-large",
        "negative-index",
        "empty-batch",
        "float-indices",
        "empty-epoch",
        "zero-batch-size",
        "1d-X",
        "int-X",
        "inf-X",
        "length-mismatch",
        "int-target-for-mse",
        "target-shape-mismatch",
        "half-validation",
        "unknown-task",
        "float-batch-size",
        "float-epochs",
        "float-seed",
        "float32-X",
        "float32-tensor-X",
        "float32-y",
        "float32-X_val",
        "float16-y_val",
    ],
)
def test_fit_rejects(kwargs, error, match):
    X, y = _regression_data()
    args = {"X": X, "y": y}
    if not {"batches", "batch_size", "epochs", "seed"} & kwargs.keys():
        args |= {"batch_size": 4, "epochs": 1, "seed": 0}  # a valid order unless under test
    args |= kwargs
    model, opt = _fresh()
    with pytest.raises(error, match=match):
        fit(model, nn.MSELoss(), opt, **args)


# ---------------------------------------------------------------- end to end and inference


@pytest.fixture(scope="module")
def moons():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.make_moons(n_samples=1000, noise=0.2, random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = y.astype(np.float64)[:, None]  # (N, 1) float targets for BCEWithLogitsLoss
    return X[:750], y[:750], X[750:], y[750:]


def test_learns_moons(moons):
    X, y, X_test, y_test = moons
    torch.manual_seed(0)
    model = build_model(2, (16, 16), 1, "tanh")
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    history = fit(
        model,
        nn.BCEWithLogitsLoss(),
        optimizer,
        X,
        y,
        batch_size=32,
        epochs=30,
        seed=0,
        X_val=X_test,
        y_val=y_test,
    )
    labels = predict(model, X_test, "binary")
    assert labels.shape == (250,) and labels.dtype == np.int64
    accuracy = float(np.mean(labels == y_test[:, 0]))
    assert accuracy >= 0.95
    assert history.val_acc[-1] == pytest.approx(accuracy)
    assert history.train_acc[-1] >= 0.95
    assert history.train_loss[-1] < history.train_loss[0]


@pytest.mark.parametrize(
    ("out_features", "output_activation", "task", "shape"),
    [
        (1, None, "binary", (6, 1)),
        (1, "sigmoid", "binary", (6, 1)),
        (4, None, "multiclass", (6, 4)),
        (4, "softmax", "multiclass", (6, 4)),
        (1, None, None, (6, 1)),
        (4, "softmax", None, (6, 4)),
    ],
    ids=[
        "binary-logits",
        "binary-sigmoid-head",
        "multiclass-logits",
        "multiclass-softmax-head",
        "binary-inferred",
        "multiclass-inferred",
    ],
)
def test_predict_proba(out_features, output_activation, task, shape):
    torch.manual_seed(0)
    model = build_model(3, (5,), out_features, "relu", output_activation)
    X = 3.0 * np.random.default_rng(0).standard_normal((6, 3))
    proba = predict_proba(model, X, task)
    assert proba.shape == shape and proba.dtype == np.float64
    assert np.all((proba >= 0) & (proba <= 1))
    if shape[1] > 1:
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)

    # Same body without the head: the head is applied exactly once, never twice.
    body = model[:-1] if output_activation else model
    with torch.no_grad():
        logits = body(torch.from_numpy(X))
    expected = torch.sigmoid(logits) if shape[1] == 1 else torch.softmax(logits, dim=-1)
    np.testing.assert_allclose(proba, expected.numpy(), rtol=1e-12)

    labels = predict(model, X, "binary" if shape[1] == 1 else "multiclass")
    assert labels.shape == (6,) and labels.dtype == np.int64
    if shape[1] == 1:
        np.testing.assert_array_equal(labels, (proba[:, 0] > 0.5).astype(np.int64))
    else:
        np.testing.assert_array_equal(labels, proba.argmax(axis=1))


@pytest.mark.parametrize(
    ("model_dtype", "data"),
    [
        ("float64", np.zeros((4, 3), np.float32)),
        ("float32", np.zeros((4, 3), np.float64)),
        ("float64", torch.zeros(4, 3, dtype=torch.float32)),
        ("float32", torch.zeros(4, 3, dtype=torch.bfloat16)),
    ],
    ids=["np32-into-64", "np64-into-32", "tensor32-into-64", "bfloat16-into-32"],
)
@pytest.mark.parametrize(
    "call",
    [
        lambda m, X: predict(m, X, "regression"),
        lambda m, X: predict(m, X, "binary"),
        lambda m, X: predict_proba(m, X),
        lambda m, X: fit(m, nn.MSELoss(), torch.optim.SGD(m.parameters(), lr=0.1), X,
                         np.zeros((4, 1), m[0].weight.numpy(force=True).dtype),
                         batch_size=2, epochs=1, seed=0),
    ],
    ids=["predict-regression", "predict-binary", "predict_proba", "fit"],
)  # fmt: skip
def test_no_silent_casts(call, model_dtype, data):
    """As scratch (and nn.Linear itself): float data must already have the model's dtype."""
    model = build_model(3, (5,), 1, dtype=model_dtype)
    got = str(data.dtype).removeprefix("torch.")
    pattern = f"X has dtype {got} but the model's parameters are {model_dtype}.*no silent casts"
    with pytest.raises(TypeError, match=pattern):
        call(model, data)


def test_predict_regression_and_mode():
    torch.manual_seed(0)
    model = build_model(3, (5,), 2)
    X = np.random.default_rng(0).standard_normal((4, 3))
    out = predict(model, X, "regression")
    assert out.shape == (4, 2)
    with torch.no_grad():
        np.testing.assert_array_equal(out, model(torch.from_numpy(X)).numpy())
    assert model.training  # training flag restored
    with pytest.raises(ValueError, match="regression"):
        predict_proba(model, X, "regression")
    for call in (lambda: predict(model, X, "ranking"), lambda: predict_proba(model, X, "ranking")):
        with pytest.raises(ValueError, match="unknown task 'ranking'; valid: regression, binary"):
            call()


def test_multiclass_fit_accuracy_and_one_hot():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 4.0], [4.0, 0.0], [-4.0, -4.0]])
    labels = rng.integers(0, 3, size=90)
    X = centres[labels] + 0.5 * rng.standard_normal((90, 2))
    torch.manual_seed(0)
    model = build_model(2, (8,), 3, "relu")
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    history = fit(
        model, nn.CrossEntropyLoss(), optimizer, X, labels, batch_size=16, epochs=10, seed=0
    )
    assert history.train_acc[-1] == 1.0
    one_hot = np.eye(3)[labels]  # class probabilities as float targets
    model2 = build_model(2, (8,), 3, "relu")
    load_numpy_state_dict(model2, numpy_state_dict(model))
    optimizer2 = torch.optim.SGD(model2.parameters(), lr=0.0)
    history2 = fit(
        model2, nn.CrossEntropyLoss(), optimizer2, X, one_hot, batch_size=90, epochs=1, seed=0
    )
    assert history2.train_acc == [1.0]
    assert history2.train_loss[0] == pytest.approx(history.train_loss[-1], rel=1e-12)
