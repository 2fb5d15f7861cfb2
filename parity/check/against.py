"""``check(original, against=port)``: two of your implementations of one network, compared
directly, and each against torch.

The port starts from your original's initial weights (copied into it in its own layout, and
put back afterwards) and both see the same rows. First the weights the port was given are
compared with the original's (a NumPy ``(in, out)`` weight loaded into ``nn.Linear`` without
``.T`` is found there, square ones included); then the loss and every gradient of the port
against the original's, and with ``steps`` every parameter after each step. Each side is
also checked against torch as ``check`` does, so that a difference is localised and
diagnosed: the port's first divergence from torch where the original agrees with torch,
or the original's mistake that the port does not repeat.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from parity.check import pipeline
from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.check.adapters.mapping import torch_state
from parity.check.adapters.structure import Net
from parity.check.agreement import judge, measure
from parity.check.report import CheckReport
from parity.check.rows import OK, ROOT, Diagnosis, Divergence, Row
from parity.check.run import dataset
from parity.check.run.context import CheckContext
from parity.compare import Comparison, scaled_error
from parity.errors import InputError

Impl = Functional | Layers


def _same_network(a: Net, b: Net) -> None:
    mine = (a.n_in, a.widths, a.activations, a.head)
    theirs = (b.n_in, b.widths, b.activations, b.head)
    if mine != theirs:
        raise InputError(
            "against= must be the same network: your original is "
            f"{_describe(a)}, your port {_describe(b)}"
        )


def _describe(net: Net) -> str:
    acts = ",".join(net.activations) or "no hidden layer"
    return f"{net.n_in}-{'-'.join(map(str, net.widths))} ({acts}, {net.head})"


def _initial(impl: Impl, net: Net) -> dict[str, np.ndarray]:
    run = impl.bind("float64")
    try:
        return torch_state(net, run.params())
    finally:
        run.restore()


@contextmanager
def _started_from(impl: Impl, net: Net, state: dict[str, np.ndarray]) -> Iterator[None]:
    """``impl`` holding torch's ``state`` (in its own layout and shapes) for the block."""
    values = {
        spec.weight if what == "weight" else spec.bias: net.user(f"{2 * k}.{what}", state[key])
        for k, spec in enumerate(net.linears)
        for what in ("weight", "bias")
        for key in [f"{2 * k}.{what}"]
    }
    if isinstance(impl, Functional):
        saved = impl.params
        impl.params = {k: np.asarray(values[k], v.dtype).reshape(v.shape) for k, v in saved.items()}
        try:
            yield
        finally:
            impl.params = saved
        return
    run = impl.bind(impl.dtype() if hasattr(impl, "dtype") else "float64")
    try:
        for name, arr in run.arrays().items():
            arr[...] = np.asarray(values[name]).reshape(arr.shape)
        yield
    finally:
        run.restore()


def _weight_rows(
    a: Net, b: Net, mine: dict[str, np.ndarray], port: dict[str, np.ndarray]
) -> list[Row]:
    """The port's initial weights against the original's (a transposed load is named)."""
    rows = []
    for k, (spec, spec_a) in enumerate(zip(b.linears, a.linears, strict=True)):
        for what, name, theirs in (
            ("weight", spec.weight, spec_a.weight),
            ("bias", spec.bias, spec_a.bias),
        ):
            key = f"{2 * k}.{what}"
            m = measure(port[key], mine[key], "weights", "float64")
            row = Row("structure", name, "initial value", f"your {theirs}", m)
            if not m.ok:
                row.diagnosis = (
                    _loaded_transposed(port[key], mine[key])
                    or _rounded(port[key], mine[key])
                    or Diagnosis(
                        "other_initial_weights",
                        "your port was given other initial values than your original (the check "
                        "copies your original's into it for every later row)",
                        "load your original's weights into the port (in torch's (out, in) layout)",
                    )
                )
            rows.append(row)
    return rows


def _rounded(port: np.ndarray, mine: np.ndarray) -> Diagnosis | None:
    """Weights loaded into a float32 model (torch's default) and cast to float64 after."""
    if port.shape != mine.shape or not np.array_equal(port, mine.astype(np.float32)):
        return None
    return Diagnosis(
        "float32_rounded",
        "your port's weights are your original's rounded to float32: loaded into a float32 "
        "model (nn.Linear's default dtype) before it was cast to float64",
        "create the layers in float64 (nn.Linear(..., dtype=torch.float64)) or call "
        "model.double() before loading the weights",
        0.0,
        0.0,
        "docs/PORTING.md#float64-numpy-vs-float32-torch",
    )


def _loaded_transposed(port: np.ndarray, mine: np.ndarray) -> Diagnosis | None:
    """A square weight loaded without ``.T``: the port holds the original's ``(in, out)``."""
    if port.ndim != 2 or port.shape != mine.T.shape:
        return None
    residual = scaled_error(port, mine.T)
    if residual > 1e-12:
        return None
    return Diagnosis(
        "transposed",
        "your NumPy (in, out) weight was loaded into nn.Linear without transposing: "
        "nn.Linear holds (out, in) and computes x @ W.T (a square weight does not fail loudly)",
        "load W.T: linear.weight.data = torch.from_numpy(W.T.copy())",
        residual,
        1e-12,
        "docs/PORTING.md#weights-in-out-vs-torchs-out-in",
    )


def _pass(
    impl: Impl, net: Net, kinds: list[str], data: dataset.Rows, settings: dict[str, Any]
) -> tuple[CheckContext, Any]:
    s = pipeline.setup(impl, net, data, settings["dtype"], settings["seed"])
    return s, pipeline.static_rows(impl, s, kinds)[1]


def _direct_rows(
    a: tuple[Net, CheckContext, Any], b: tuple[Net, CheckContext, Any], dtype: str
) -> list[Row]:
    """The port's loss and gradients against the original's (torch's layout)."""
    (net_a, _, ya), (net_b, _, yb) = a, b
    rows = [
        Row(
            "forward",
            "loss",
            "port vs original",
            "your original's",
            _m(yb.loss, ya.loss, "forward", dtype, yb, ya),
        )
    ]
    ga = _state(net_a, ya.grads)
    gb = _state(net_b, yb.grads)
    for k, (spec, spec_a) in enumerate(zip(net_b.linears, net_a.linears, strict=True)):
        for what, name, theirs in (
            ("weight", spec.weight, spec_a.weight),
            ("bias", spec.bias, spec_a.bias),
        ):
            key = f"{2 * k}.{what}"
            m = _m(gb.get(key), ga.get(key), "gradient", dtype, yb, ya)
            rows.append(Row("backward", name, "gradient, port vs original", f"your {theirs}", m))
    return rows


def _state(net: Net, grads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    try:
        return torch_state(net, grads)
    except (KeyError, ValueError):
        return {}


def _m(mine: Any, theirs: Any, kind: str, dtype: str, yb: Any, ya: Any) -> Any:
    if mine is None or theirs is None:
        why = "; ".join(f"{side} raised: {e}" for side, t in (("port", yb), ("original", ya))
                        for e in t.errors.values()) or "not computed"  # fmt: skip
        return Comparison.failed("yours", judge(kind, dtype, None), why)
    return measure(np.asarray(mine, np.float64), np.asarray(theirs, np.float64), kind, dtype)


def _training_rows(nets: tuple[Net, Net], trained: tuple[Any, Any], dtype: str) -> list[Row]:
    """Every parameter after each step, the port's against the original's (each side's
    training as its own check ran it: a rule that keeps state is run once)."""
    (na, nb), (ta, tb) = nets, trained
    if ta is None or tb is None:
        return []
    n = min(len(ta.params), len(tb.params))
    rows = []
    for k, (spec, spec_a) in enumerate(zip(nb.linears, na.linears, strict=True)):
        for what, name, theirs in (
            ("weight", spec.weight, spec_a.weight),
            ("bias", spec.bias, spec_a.bias),
        ):
            key = f"{2 * k}.{what}"
            if n == 0:
                m = Comparison.failed("yours", judge("weights", dtype, None), tb.error or ta.error)
            else:
                pa = np.stack([torch_state(na, p)[key] for p in ta.params[:n]])
                pb = np.stack([torch_state(nb, p)[key] for p in tb.params[:n]])
                m = measure(pb, pa, "weights", dtype, per_step=True)
            what_row = "value after each step, port vs original"
            rows.append(Row("training", name, what_row, f"your {theirs}", m))
    return rows


def run(
    original: Impl,
    port: Impl,
    decided: tuple[tuple[Net, list[str]], tuple[Net, list[str]]],
    data: dataset.Rows,
    settings: dict[str, Any],
    header: str,
) -> CheckReport:
    """Compare ``port`` with ``original`` (see the module docstring); ``ok`` is "your port
    equals your original"."""
    (net_a, kinds_a), (net_b, kinds_b) = decided
    _same_network(net_a, net_b)
    mine, theirs = _initial(original, net_a), _initial(port, net_b)
    rows = _weight_rows(net_a, net_b, mine, theirs)
    with _started_from(port, net_b, mine):
        report_a = pipeline.run(original, net_a, kinds_a, data, settings, header)
        report_b = pipeline.run(port, net_b, kinds_b, data, settings, header)
        sa, ya = _pass(original, net_a, kinds_a, data, settings)
        sb, yb = _pass(port, net_b, kinds_b, data, settings)
        rows += _direct_rows((net_a, sa, ya), (net_b, sb, yb), settings["dtype"])
        rows += _training_rows(
            (net_a, net_b), (report_a.trained, report_b.trained), settings["dtype"]
        )
    first = next((i for i, r in enumerate(rows) if not r.ok), None)
    for i, r in enumerate(rows):
        r.status = OK if r.ok else (ROOT if i == first else "differs")
    divergence = None
    if first is not None:
        r = rows[first]
        diagnosis = r.diagnosis or _explain(report_a, report_b)
        r.diagnosis = diagnosis
        divergence = Divergence(r.stage, r.name, r.what, diagnosis, first)
    notes = [
        f"your original vs torch: {_summary(report_a)}",
        f"your port vs torch: {_summary(report_b)}",
        "the port started from your original's initial weights, on the same rows",
    ]
    if first is not None:
        where = f"{rows[first].stage} {rows[first].label}"
        verdict = f"your port differs from your original: first at {where}"
    elif report_a.ok:
        verdict = "your port equals your original (and both agree with torch)"
    else:
        verdict = "your port equals your original (mistakes included: see your original vs torch)"
    return CheckReport(
        first is None, rows, divergence, verdict, header, settings, net_b.tree, notes=notes
    )


def _summary(report: CheckReport) -> str:
    d = report.first_divergence
    if d is None:
        return report.verdict
    return f"first divergence at {d.stage} {d.name} {d.what}".rstrip() + f": {d.diagnosis.text}"


def _explain(report_a: CheckReport, report_b: CheckReport) -> Diagnosis:
    """Why the port differs: its own mistake against torch (where the original agrees), or
    the original's mistake that the port does not make."""
    da, db = report_a.first_divergence, report_b.first_divergence
    if db is not None and (da is None or (da.stage, da.name) != (db.stage, db.name)):
        d = db.diagnosis
        return Diagnosis(
            d.pattern,
            f"your port's mistake (your original agrees with torch there): at {db.stage} "
            f"{db.name} {db.what}".rstrip()
            + f": {d.text}",
            d.fix,
            d.residual,
            d.tol,
            d.pitfall,
        )
    if da is not None:
        d = da.diagnosis
        return Diagnosis(
            "original_differs",
            f"your original's mistake, which your port does not make: at {da.stage} {da.name} "
            f"{da.what}".rstrip()
            + f": {d.text}",
            d.fix,
            d.residual,
            d.tol,
            d.pitfall,
        )
    return Diagnosis(
        "no_known_pattern",
        "your port and your original differ, yet each agrees with torch within its tolerance",
    )
