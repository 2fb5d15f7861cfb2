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

from . import dataset, reference, stages, training
from ._inputs import InputError, InputTypeError, check_choice, check_positive_int, check_real
from .diagnosis import diagnose
from .functional import Functional
from .layers import Layers
from .mapping import decide, torch_state
from .oracle import oracle_rows, verdict
from .report import CheckReport
from .retry import retry
from .rows import ALSO, FAILS, ROOT, Divergence, Row
from .setup import Setup
from .structure import Net, StructureError
from .yours import functional_trace, layers_teacher_forced, layers_trace

OPTIMIZERS = ("sgd", "adam")
DTYPES = ("float64", "float32")


@contextmanager
def _one_thread() -> Iterator[None]:
    """torch on one thread for the check (tiny matrices: threads only spin-wait)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _settings(impl: Any, kw: dict[str, Any]) -> dict[str, Any]:
    """Validated settings (TypeError / ValueError naming the argument)."""
    if not isinstance(impl, (Functional, Layers)):
        raise InputTypeError(
            f"check needs a parity.check.Functional or Layers, got {type(impl).__name__}"
        )
    out = {
        "style": impl.style,
        "head": impl.head,
        "steps": check_positive_int(kw["steps"], "steps", zero=True),
        "optimizer": check_choice(kw["optimizer"], "optimizer", OPTIMIZERS),
        "lr": check_real(kw["lr"], "lr", positive=True),
        "momentum": check_real(kw["momentum"], "momentum"),
        "dtype": check_choice(kw["dtype"], "dtype", DTYPES),
        "seed": check_positive_int(kw["seed"], "seed", zero=True),
        "batch_size": None
        if kw["batch_size"] is None
        else check_positive_int(kw["batch_size"], "batch_size"),
    }
    momentum = float(out["momentum"])  # type: ignore[arg-type]
    if momentum >= 1:
        raise InputError(f"momentum must be in [0, 1), got {momentum}")
    if out["optimizer"] == "adam" and momentum:
        raise InputError("momentum applies to optimizer='sgd' (Adam has its own betas)")
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
    return max(int(data.y.max()) + 1, last[0] if last else 0)


def check(
    impl: Functional | Layers,
    dataset: str | None = None,
    *,
    rows: int | None = None,
    steps: int = 0,
    optimizer: str = "sgd",
    lr: float = 0.1,
    momentum: float = 0.0,
    batch_size: int | None = None,
    dtype: str = "float64",
    seed: int = 0,
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
) -> CheckReport:
    """Check ``impl`` against torch on ``rows`` rows (default 64) of ``dataset`` (default: the
    head's: digits, breast_cancer or diabetes) or of your ``X`` and ``y``.

    ``steps > 0`` adds that many lock-step training steps (full batch unless
    ``batch_size``) with ``optimizer`` (``"sgd"`` with ``momentum``, or ``"adam"``) at ``lr``.
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
            "dtype": dtype,
            "seed": seed,
            "batch_size": batch_size,
        },
    )
    source = {"dataset": dataset, "X": X, "y": y, "rows": rows}
    data = _rows_for(impl, source, settings["dtype"], settings["seed"])
    settings.update(data=data.source, rows=len(data.X))
    with _one_thread():
        try:
            net, kinds = decide(
                impl, data.X.shape[1], _n_out(impl, data), data.X, data.y, settings["seed"]
            )
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
        report = _run(impl, net, kinds, data, settings)
    report.seconds = time.perf_counter() - start
    return report


def _header(impl: Functional | Layers, settings: dict[str, Any]) -> str:
    import torch

    return (
        f"nn-parity check: yours ({impl.style}, {impl.head}) vs torch {torch.__version__}, "
        f"{settings['dtype']}, {settings.get('data', '')}, seed {settings['seed']}"
    )


def _setup(impl: Functional | Layers, net: Net, data: dataset.Rows, dtype: str, seed: int) -> Setup:
    run = impl.bind(dtype)
    try:
        state = torch_state(net, run.params())
    finally:
        run.restore()
    state64 = {k: v.astype(np.float64) for k, v in state.items()}
    ref = reference.trace(net, state, data.X, data.y)
    ref64 = (
        ref
        if dtype == "float64"
        else reference.trace(net, state64, data.X.astype(np.float64), data.y)
    )
    return Setup(net, impl.style, dtype, data.X, data.y, state, state64, ref, ref64, seed)


def _static_rows(impl: Functional | Layers, s: Setup, kinds: list[str]) -> list[Row]:
    run = impl.bind(s.dtype)
    try:
        if isinstance(impl, Functional):
            return stages.functional_rows(s, functional_trace(run, s.X, s.y))  # type: ignore[arg-type]
        G = reference.upstreams([o.shape for o in s.ref.outputs], s.seed, s.dtype)
        tf = reference.teacher_forced(s.net, s.state, s.ref.inputs, G)
        tf64 = (
            tf
            if s.dtype == "float64"
            else reference.teacher_forced(
                s.net,
                s.state64,
                [np.asarray(x, np.float64) for x in s.ref.inputs],
                [g.astype(np.float64) for g in G],
            )
        )
        yours = layers_trace(run, s.X, s.y)  # type: ignore[arg-type]
        tf_yours = layers_teacher_forced(run, s.ref.inputs, G, s.ref.outputs[-1], s.y)  # type: ignore[arg-type]
        return stages.layers_forward(s, yours, tf_yours, tf, tf64, kinds) + stages.layers_backward(
            s, yours, tf_yours, tf, tf64, kinds
        )
    finally:
        run.restore()


def _run(
    impl: Functional | Layers,
    net: Net,
    kinds: list[str],
    data: dataset.Rows,
    settings: dict[str, Any],
) -> CheckReport:
    dtype, seed = settings["dtype"], settings["seed"]
    s = _setup(impl, net, data, dtype, seed)
    rows = _static_rows(impl, s, kinds)
    first = stages.mark(rows)
    oracle, why = oracle_rows(impl, data.X, data.y, seed)
    curves: dict[str, np.ndarray] = {}
    train: list[Row] = []
    if settings["steps"]:
        opt = (settings["optimizer"], settings["lr"], settings["momentum"])
        batches = dataset.batches(len(data.X), settings["steps"], settings["batch_size"], seed)
        train, yours_t, ref_t = training.train_rows(impl, s, batches, opt)
        curves = {"yours": np.array(yours_t.losses), "torch": ref_t.losses}
        t_root = training.mark_training(train, first is not None)
        if first is None and t_root is not None:
            first = len(rows) + len(oracle) + t_root
    all_rows = rows + oracle + train
    if first is None:
        first = next((i for i, r in enumerate(all_rows) if not r.ok), None)
        if first is not None:
            all_rows[first].status = ROOT
    for r in all_rows:
        if r.status in (ROOT, ALSO) or (r.status == FAILS and r.stage != "oracle"):
            r.diagnosis = diagnose(r)
            if r.diagnosis.pattern == "raised":
                r.diagnosis = retry(impl, s, r) or r.diagnosis
    divergence = (
        None
        if first is None
        else Divergence(
            all_rows[first].stage,
            all_rows[first].name,
            all_rows[first].what,
            all_rows[first].diagnosis or diagnose(all_rows[first]),
            first,
        )
    )
    notes = _notes(impl, net, why)
    return CheckReport(
        first is None,
        all_rows,
        divergence,
        verdict(rows, oracle, train),
        _header(impl, settings),
        settings,
        net.tree,
        notes=notes,
        curves=curves,
    )


def _notes(impl: Functional | Layers, net: Net, oracle_problem: str) -> list[str]:
    notes = [f"layout: {net.layout} (decided by {net.layout_how})"]
    if isinstance(impl, Functional):
        notes.append(
            "Functional style: no layers to look inside, so a mistake is localised to "
            "the parameter whose gradient first differs (end to end only)"
        )
    else:
        notes.append(
            "Layers style: end-to-end values beside teacher-forced ones (each layer "
            "fed torch's input and a random upstream gradient)"
        )
    if oracle_problem:
        notes.append(oracle_problem)
    return notes


def assert_matches_torch(
    impl: Functional | Layers, dataset: str | None = None, **kwargs: Any
) -> CheckReport:
    """``check`` and raise ``AssertionError`` with the table as its message on a mismatch."""
    report = check(impl, dataset, **kwargs)
    if not report.ok:
        raise AssertionError("\n" + report.table())
    return report
