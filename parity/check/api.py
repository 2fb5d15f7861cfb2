"""``check``: your implementation against torch, stage by stage; ``assert_matches_torch``.

Stages, in order: structure (names, shapes, layout), forward, backward, the
finite-difference oracle on your own loss, and training (``steps > 0``). See docs/CHECK.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from parity.check import against as two_sides
from parity.check import pipeline
from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.check.adapters.mapping import decide
from parity.check.inputs import check_choice, check_positive_int, check_real
from parity.check.report import CheckReport
from parity.check.run import dataset
from parity.check.run.optimizers import OPTIMIZERS, validated
from parity.check.run.oracle import MODES as ORACLE_MODES
from parity.errors import InputError, InputTypeError, StructureError
from parity.spec import check_seed

DTYPES = ("float64", "float32")


@contextmanager
def _torch_state() -> Iterator[None]:
    """torch on one thread for the check (tiny matrices: threads only spin-wait), with
    autograd on whatever your file set (``torch.set_grad_enabled(False)`` at its import)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.enable_grad():
            yield
    finally:
        torch.set_num_threads(previous)


def _settings(impl: Any, kw: dict[str, Any]) -> dict[str, Any]:
    """Validated settings (TypeError / ValueError naming the argument)."""
    if not isinstance(impl, (Functional, Layers)):
        raise InputTypeError(
            f"check needs a parity.check.Functional, Layers or Torch, got {type(impl).__name__}"
        )
    out = {
        "style": impl.style,
        "head": impl.head,
        "steps": check_positive_int(kw["steps"], "steps", zero=True),
        "optimizer": check_choice(kw["optimizer"], "optimizer", OPTIMIZERS),
        "lr": check_real(kw["lr"], "lr", positive=True),
        "momentum": check_real(kw["momentum"], "momentum"),
        "dtype": check_choice(kw["dtype"], "dtype", DTYPES),
        "oracle": check_choice(kw["oracle"], "oracle", tuple(ORACLE_MODES)),
        "seed": check_seed(kw["seed"]),
        "batch_size": None
        if kw["batch_size"] is None
        else check_positive_int(kw["batch_size"], "batch_size"),
    }
    momentum = float(out["momentum"])  # type: ignore[arg-type]
    if momentum >= 1:
        raise InputError(f"momentum must be in [0, 1), got {momentum}")
    name = str(out["optimizer"])
    raw = kw["optimizer_options"]
    if raw is not None and not isinstance(raw, dict):
        raise InputTypeError(f"optimizer_options must be a dict, got {type(raw).__name__}")
    options = dict(raw or {})
    if momentum:
        if name not in ("sgd", "rmsprop"):
            raise InputError(
                f"momentum applies to optimizer='sgd' or 'rmsprop' ({name} has its own betas)"
            )
        if options.get("momentum", momentum) != momentum:
            raise InputError("momentum given twice, as momentum= and in optimizer_options")
        options["momentum"] = momentum
    chosen = validated(name, options)
    out["optimizer_options"] = chosen
    out["momentum"] = chosen.get("momentum", 0.0)
    return out


def _rows_for(impl: Functional | Layers, kw: dict[str, Any], dtype: str, seed: int) -> Any:
    if kw["X"] is not None or kw["y"] is not None:
        if kw["dataset"] is not None:
            raise InputError("pass either dataset= or X= and y=, not both")
        if kw["X"] is None or kw["y"] is None:
            raise InputError("pass both X= and y=")
        return dataset.from_arrays(kw["X"], kw["y"], impl.head, kw["rows"], dtype)
    name = kw["dataset"] or dataset.DEFAULT_DATASET[impl.head]
    return dataset.from_dataset(name, impl.head, kw["rows"], dtype, seed)


def _n_out(impl: Functional | Layers, data: dataset.Rows) -> int:
    """The output width the head needs: 1, or the classes (your ``y``: at least max + 1, and
    your last layer's width if it is wider)."""
    if impl.head != "multiclass":
        return 1
    if data.n_classes is not None:
        return data.n_classes
    last = impl.linears()[-1].bias_shape
    return max(int(data.y.max()) + 1, int(np.prod(last)) if last is not None else 0)


def check(
    impl: Functional | Layers,
    dataset: str | None = None,
    *,
    rows: int | None = None,
    steps: int = 0,
    optimizer: str = "sgd",
    lr: float = 0.1,
    momentum: float = 0.0,
    optimizer_options: dict[str, Any] | None = None,
    batch_size: int | None = None,
    oracle: str = "full",
    dtype: str = "float64",
    seed: int = 0,
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    against: Functional | Layers | None = None,
) -> CheckReport:
    """Check ``impl`` against torch on ``rows`` rows (default 64) of ``dataset`` (default: the
    head's: digits, breast_cancer or diabetes) or of your ``X`` and ``y``.

    ``steps > 0`` adds that many lock-step training steps (full batch unless
    ``batch_size``) with ``optimizer`` (torch.optim's ``"sgd"``, ``"adam"``, ``"adamw"``,
    ``"rmsprop"`` or ``"adagrad"``) at ``lr``, with ``optimizer_options`` (torch's names:
    ``{"betas": (0.9, 0.99), "eps": 1e-7, "weight_decay": ...}``; ``momentum=`` is a shortcut).
    ``oracle``: ``"full"`` (a dozen entries per parameter), ``"quick"`` (three) or ``"off"``;
    the report's notes and ``settings["oracle_calls"]`` say how often it called your loss.
    ``dtype="float32"`` runs your code in float32 and judges it against torch in float64,
    with torch-float32's own error as the yardstick. Raises TypeError / ValueError for bad
    arguments or a broken contract (see docs/CHECK.md); a mismatch is a report, not an error.
    """
    start = time.perf_counter()
    settings = _settings(
        impl,
        {
            "steps": steps,
            "optimizer": optimizer,
            "lr": lr,
            "momentum": momentum,
            "optimizer_options": optimizer_options,
            "oracle": oracle,
            "dtype": dtype,
            "seed": seed,
            "batch_size": batch_size,
        },
    )
    source = {"dataset": dataset, "X": X, "y": y, "rows": rows}
    data = _rows_for(impl, source, settings["dtype"], settings["seed"])
    settings.update(data=data.source, rows=len(data.X))
    if against is not None and not isinstance(against, (Functional, Layers)):
        raise InputTypeError(
            f"against= needs a parity.check.Torch, Functional or Layers, got "
            f"{type(against).__name__}"
        )
    with _torch_state():
        try:
            net, kinds = decide(
                impl, data.X.shape[1], _n_out(impl, data), data.X, data.y, settings["seed"]
            )
            if against is not None:
                other = decide(
                    against, data.X.shape[1], _n_out(against, data), data.X, data.y,
                    settings["seed"],
                )  # fmt: skip
        except StructureError as err:
            return CheckReport(
                False,
                [],
                None,
                "structure does not fit",
                _header(impl, settings),
                settings,
                err.tree,
                err.message,
                seconds=time.perf_counter() - start,
            )
        header = _header(impl, settings)
        if against is not None:
            header += f"; your port: {against.style}"
            report = two_sides.run(impl, against, ((net, kinds), other), data, settings, header)
        else:
            report = pipeline.run(impl, net, kinds, data, settings, header)
    report.seconds = time.perf_counter() - start
    return report


def _header(impl: Functional | Layers, settings: dict[str, Any]) -> str:
    import torch

    return (
        f"nn-parity check: yours ({impl.style}, {impl.head}) vs torch {torch.__version__}, "
        f"{settings['dtype']}, {settings.get('data', '')}, seed {settings['seed']}"
    )


def assert_matches_torch(
    impl: Functional | Layers, dataset: str | None = None, **kwargs: Any
) -> CheckReport:
    """``check`` and raise ``AssertionError`` with the table as its message on a mismatch."""
    report = check(impl, dataset, **kwargs)
    if not report.ok:
        raise AssertionError("\n" + report.table())
    return report
