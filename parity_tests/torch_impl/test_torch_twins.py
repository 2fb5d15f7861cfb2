"""torch_impl against its twin: one source for names, the same public surface, the same
layout, the same file handling, and both loops reading the lazy batch order."""

from __future__ import annotations

import inspect
import os
import stat
import time

import numpy as np
import pytest
import torch

import scratch
import torch_impl


@pytest.mark.parametrize("name", ["ACTIVATIONS", "INITS", "TASKS", "LOSSES", "DTYPES"])
def test_name_lists_equal_scratchs(name):
    """torch_impl may not import scratch, so it spells its lists out; they must agree."""
    ours, theirs = getattr(torch_impl, name), getattr(scratch, name)
    assert tuple(ours) == tuple(theirs)
    assert len(ours) > 1


def test_losses_by_name_are_the_torch_twins():
    for name, cls in scratch.LOSSES.items():
        assert torch_impl.LOSSES[name].__name__ == cls.__name__
        assert type(torch_impl.make_loss(name)).__name__ == type(scratch.make_loss(name)).__name__


@pytest.mark.parametrize(
    "name",
    ["build_model", "make_activation", "make_loss", "fit", "evaluate", "infer_task", "predict",
     "predict_proba", "init_state_dict", "save_weights", "load_weights", "History"],
)  # fmt: skip
def test_public_twins_exist_on_both_sides(name):
    assert name in scratch.__all__ and name in torch_impl.__all__
    assert callable(getattr(scratch, name)) and callable(getattr(torch_impl, name))


@pytest.mark.parametrize("name", ["fit", "evaluate", "predict", "predict_proba", "infer_task"])
def test_the_twins_take_the_same_arguments(name):
    ours = inspect.signature(getattr(torch_impl, name)).parameters
    theirs = inspect.signature(getattr(scratch, name)).parameters
    assert list(ours) == list(theirs)
    assert [p.kind for p in ours.values()] == [p.kind for p in theirs.values()]
    assert [p.default for p in ours.values()] == [p.default for p in theirs.values()]


@pytest.mark.parametrize(
    ("hidden", "activation", "output_activation"),
    [
        ((), "relu", None),
        ((5,), "leaky_relu", "sigmoid"),
        ((4, 3), ["tanh", "identity"], "softmax"),
    ],
    ids=["0-hidden", "1-hidden-sigmoid-head", "2-hidden-softmax-head"],
)
def test_build_model_gives_the_same_layout(hidden, activation, output_activation):
    s_model = scratch.build_model(2, hidden, 3, activation, output_activation)
    t_model = torch_impl.build_model(2, hidden, 3, activation, output_activation)
    assert [type(m).__name__ for m in s_model] == [type(m).__name__ for m in t_model]
    t_shapes = {k: tuple(v.shape) for k, v in t_model.state_dict().items()}
    assert {k: v.shape for k, v in s_model.state_dict().items()} == t_shapes
    for name in scratch.ACTIVATIONS:
        assert (
            type(torch_impl.make_activation(name)).__name__
            == type(scratch.make_activation(name)).__name__
        )


SAVERS = {"scratch": scratch.save_weights, "torch_impl": torch_impl.save_weights}


@pytest.mark.parametrize("side", SAVERS)
def test_save_weights_fsyncs_the_temp_file_before_the_rename(tmp_path, monkeypatch, side):
    events: list[tuple[str, object]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.fstat(fd).st_size))
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append(("replace", os.path.dirname(src)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    path = tmp_path / "w.npz"
    SAVERS[side](path, {"0.weight": np.ones((2, 3))})
    assert [kind for kind, _ in events] == ["fsync", "replace"]
    assert events[0][1] == path.stat().st_size  # the whole file was synced
    assert events[1][1] == str(tmp_path)  # the temp file sat in the target's directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.npz"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=["022", "077", "002"])
@pytest.mark.parametrize("side", SAVERS)
def test_saved_file_has_the_mode_open_would_give(tmp_path, side, umask):
    """0o666 less the umask (0644 with the usual umask), not mkstemp's private 0600."""
    path = tmp_path / "w.npz"
    old = os.umask(umask)
    try:
        SAVERS[side](path, {"a": np.ones(2)})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def _train(side: str, batches: object) -> list[float]:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 3)), rng.integers(0, 3, 12)
    s_model = scratch.build_model(3, [4], 3, "tanh", rng=np.random.default_rng(1))
    if side == "scratch":
        opt = scratch.SGD(s_model.parameters(), lr=0.1)
        loss = scratch.CrossEntropyLoss()
        return scratch.fit(s_model, loss, opt, X, y, batches=batches).losses  # type: ignore[arg-type]
    t_model = torch_impl.build_model(3, [4], 3, "tanh")
    torch_impl.load_numpy_state_dict(t_model, s_model.state_dict())
    t_opt = torch.optim.SGD(t_model.parameters(), lr=0.1)
    t_loss = torch.nn.CrossEntropyLoss()
    return torch_impl.fit(t_model, t_loss, t_opt, X, y, batches=batches).losses  # type: ignore[arg-type]


@pytest.mark.parametrize("side", ["scratch", "torch_impl"])
def test_fit_reads_the_lazy_order_as_its_list(side):
    order = scratch.batch_order(12, 5, 3, np.random.default_rng(2))
    assert _train(side, order) == _train(side, list(order))
    assert len(_train(side, order)) == order.steps == 9


class Stop(Exception):
    pass


@pytest.mark.parametrize("side", ["scratch", "torch_impl"])
def test_fit_never_materialises_the_order(side):
    """A run of ten million epochs starts at once, knows its step count, and stops cleanly."""
    order = scratch.batch_order(12, 5, 10**7, np.random.default_rng(2))
    seen: list[tuple[int, int]] = []

    def progress(step: int, total: int) -> None:
        seen.append((step, total))
        if step == 7:
            raise Stop

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 3)), rng.integers(0, 2, (12, 1)).astype(np.float64)
    if side == "scratch":
        model = scratch.build_model(3, [4], 1, rng=np.random.default_rng(1))
        args = (model, scratch.BCEWithLogitsLoss(), scratch.SGD(model.parameters(), lr=0.1))
        fit = scratch.fit
    else:
        t_model = torch_impl.build_model(3, [4], 1)
        args = (
            t_model,
            torch.nn.BCEWithLogitsLoss(),
            torch.optim.SGD(t_model.parameters(), lr=0.1),
        )
        fit = torch_impl.fit  # type: ignore[assignment]
    start = time.perf_counter()
    with pytest.raises(Stop):
        fit(*args, X, y, batches=order, progress=progress)  # type: ignore[arg-type]
    assert time.perf_counter() - start < 5.0
    assert seen == [(step, 3 * 10**7) for step in range(1, 8)]
