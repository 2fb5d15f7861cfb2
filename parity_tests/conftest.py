"""Shared by the test suite.

For the scratch-only tests (``test_scratch_*.py``): ``check_array``, the one array comparison.

For the parity tests (``core/``, ``data/``, ``harness/``):

* torch runs on one thread for the whole session (the matrices are tiny; on a small box,
  OpenMP spin-waits make multi-threaded torch about ten times slower);
* ``record_measured(cell_result)`` keeps each grid cell's measured maxima, written at the
  end of the session to ``.pytest_cache/parity/measured.json`` or ``--parity-json PATH``
  (see ``measured_plugin``);
* ``lockstep(...)`` trains one small network on both sides step by step and compares the
  parameters after every step (the optimizer tests and their negative controls).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import measured_plugin as measured
import numpy as np
import pytest

_MEASURED = pytest.StashKey[dict[str, dict[str, Any]]]()
_MEASURED_PATH = pytest.StashKey[Path]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--parity-json",
        metavar="PATH",
        default=None,
        help="where to write the parity grid's measured maxima "
        f"(default: <rootdir>/{measured.DEFAULT_PATH.as_posix()})",
    )


def pytest_configure(config: pytest.Config) -> None:
    try:  # one torch thread: tiny matrices, and threads only spin-wait on a few cores
        import torch

        torch.set_num_threads(1)
    except ImportError:  # the scratch-only tests run without torch
        pass
    option = config.getoption("--parity-json", default=None)
    path = (
        config.invocation_params.dir / option if option else config.rootpath / measured.DEFAULT_PATH
    )
    config.stash[_MEASURED_PATH] = Path(path)
    config.stash[_MEASURED] = {}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the measured maxima of every grid cell checked in this session (if any).

    Under pytest-xdist a worker hands its cells to the controller, which writes them all.
    """
    config = session.config
    cells = config.stash.get(_MEASURED, {})
    if hasattr(config, "workeroutput"):
        config.workeroutput["parity_measured"] = cells
    elif cells:
        measured.write(config.stash[_MEASURED_PATH], cells)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist, on the controller: collect a finished worker's cells."""
    cells = getattr(node, "workeroutput", {}).get("parity_measured", {})
    node.config.stash[_MEASURED].update(cells)


@pytest.fixture(scope="session")
def record_measured(pytestconfig: pytest.Config) -> Callable[[Any], None]:
    """``record_measured(cell_result)``: keep a ``parity.harness.grid.CellResult``'s maxima."""
    cells = pytestconfig.stash[_MEASURED]

    def record(result: Any) -> None:
        cells[result.cell.id] = measured.cell_entry(result)

    return record


# ------------------------------------------------------------------ scratch-only tests


def _check_array(
    actual: Any, expected: Any, *, dtype: Any = None, rtol: float = 0.0, atol: float = 0.0
) -> None:
    """Assert ``actual`` is an ndarray with ``expected``'s shape and dtype, then its values.

    ``dtype`` defaults to ``expected``'s (float64 for a list). ``rtol = atol = 0`` means
    bit-identical. The message names the max abs and max relative error.
    """
    dtype = np.dtype(dtype if dtype is not None else getattr(expected, "dtype", np.float64))
    expected = np.asarray(expected, dtype=dtype)
    assert isinstance(actual, np.ndarray), f"expected an ndarray, got {type(actual).__name__}"
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    assert actual.dtype == dtype, f"dtype {actual.dtype} != {dtype}"
    if rtol == 0 and atol == 0:
        assert np.array_equal(actual, expected), f"not bit-identical:\n{actual}\n!=\n{expected}"
    else:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


@pytest.fixture
def check_array() -> Callable[..., None]:
    """The comparison every scratch test uses: shape, then dtype, then values."""
    return _check_array


# ------------------------------------------------------------------ optimizers in lock step


def _lockstep(
    scratch_optimizer: Callable[[list[Any]], Any],
    torch_optimizer: Callable[[Iterator[Any]], Any],
    dtype: str,
    *,
    steps: int = 60,
    lr_at: Callable[[int], float] | None = None,
) -> list[Any]:
    """Train one small network (3 -> 6 tanh -> 2, MSE, full batch of 16) on both sides.

    Both start from one state dict and see the same data; ``scratch_optimizer(params)`` and
    ``torch_optimizer(params)`` build the optimizers; ``lr_at(step)``, if given, sets the
    learning rate of both before each step (a schedule). Returns the comparisons of the loss
    at every step (``loss_curve``) and of every parameter after every step
    (``param[0.weight]``...: a ``(steps, *shape)`` trajectory), so a mismatch names the
    first step where it exceeds the tolerance.
    """
    import torch

    import scratch
    import torch_impl
    from parity.compare import compare
    from parity.tolerances import tolerance

    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 3)).astype(dtype)  # (N, in)
    y = rng.standard_normal((16, 2)).astype(dtype)  # (N, out)
    s_model = scratch.build_model(3, (6,), 2, "tanh", dtype=dtype, rng=rng)
    t_model = torch_impl.build_model(3, (6,), 2, "tanh", dtype=dtype)
    torch_impl.load_numpy_state_dict(t_model, s_model.state_dict())
    s_opt, t_opt = scratch_optimizer(s_model.parameters()), torch_optimizer(t_model.parameters())
    s_loss, t_loss = scratch.MSELoss(), torch.nn.MSELoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    losses: dict[str, list[float]] = {"scratch": [], "torch": []}
    params: dict[str, dict[str, list[np.ndarray]]] = {"scratch": {}, "torch": {}}
    for step in range(steps):
        if lr_at is not None:
            s_opt.lr = lr_at(step)
            for group in t_opt.param_groups:
                group["lr"] = lr_at(step)
        s_opt.zero_grad()
        losses["scratch"].append(s_loss(s_model(X), y))
        s_model.backward(s_loss.backward())
        s_opt.step()
        t_opt.zero_grad()
        value = t_loss(t_model(Xt), yt)
        value.backward()
        t_opt.step()
        losses["torch"].append(value.item())
        for side, named in (
            ("scratch", ((n, p.data) for n, p in s_model.named_parameters())),
            ("torch", ((n, p.detach().numpy()) for n, p in t_model.named_parameters())),
        ):
            for name, value_ in named:
                params[side].setdefault(name, []).append(value_.copy())

    curve = compare(
        "loss_curve", losses["scratch"], losses["torch"], tolerance("curve", dtype), per_step=True
    )
    return [curve] + [
        compare(
            f"param[{name}]",
            np.stack(params["scratch"][name]),
            np.stack(params["torch"][name]),
            tolerance("weights", dtype),
            per_step=True,
        )
        for name in params["torch"]
    ]


@pytest.fixture
def lockstep() -> Callable[..., list[Any]]:
    """Train both sides step by step with given optimizers; see ``_lockstep``."""
    return _lockstep
