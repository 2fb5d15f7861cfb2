"""One check, once the structure fits: the stages in order, the root cause, the diagnoses.

``run``: torch's reference on your initial parameters (``setup``); the forward and backward
rows, end to end and teacher-forced (``static_rows``); for a ``Functional``, your
``loss_fn`` called a second time (``repeat``); the finite-difference oracle; the training
steps. The first row that fails on its own is the first divergence; the oracle never is
(it only tells a backward bug from a different definition when torch disagrees with you).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.check.adapters.mapping import torch_state
from parity.check.adapters.structure import Net
from parity.check.adapters.torch_port import Torch
from parity.check.diagnose import precision
from parity.check.diagnose.determinism import repeat_rows
from parity.check.diagnose.naming import diagnose
from parity.check.diagnose.transposed import retry
from parity.check.report import CheckReport
from parity.check.rows import ALSO, FAILS, NOT_COUNTED, ROOT, ROUNDING, Diagnosis, Divergence, Row
from parity.check.run import dataset, reference, stages, training
from parity.check.run.candidate import (
    YourTrace,
    functional_trace,
    layers_teacher_forced,
    layers_trace,
)
from parity.check.run.context import CheckContext, where
from parity.check.run.optimizers import Optim
from parity.check.run.oracle import MODES, oracle_rows, verdict


def setup(
    impl: Functional | Layers, net: Net, data: dataset.Rows, dtype: str, seed: int
) -> CheckContext:
    """torch's reference run (in ``dtype``, and in float64) from your initial parameters."""
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
    return CheckContext(net, impl.style, dtype, data.X, data.y, state, state64, ref, ref64, seed)


def static_rows(
    impl: Functional | Layers, s: CheckContext, kinds: list[str]
) -> tuple[list[Row], YourTrace]:
    """The forward and backward rows, and your end-to-end pass (the check's first call)."""
    run = impl.bind(s.dtype)
    try:
        if isinstance(impl, Functional):
            yours = functional_trace(run, s.X, s.y)  # type: ignore[arg-type]
            return stages.functional_rows(s, yours), yours
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
        rows = stages.layers_forward(s, yours, tf_yours, tf, tf64, kinds)
        return rows + stages.layers_backward(s, yours, tf_yours, tf, tf64, kinds), yours
    finally:
        run.restore()


def _oracle(
    impl: Functional | Layers,
    s: CheckContext,
    data: dataset.Rows,
    first: YourTrace,
    rows: list[Row],
    settings: dict[str, Any],
) -> tuple[list[Row], str]:
    """The oracle on your first call's gradients (float64 checks), or a fresh float64 call;
    not at all when your ``loss_fn`` keeps state between calls, or with ``oracle="off"``.
    ``settings["oracle_calls"]`` counts its calls of your loss."""
    settings["oracle_calls"] = 0
    mode = settings.get("oracle", "full")
    if mode == "off":
        return [], "oracle='off' (so a backward bug and a different definition look alike)"
    if any(r.name == "loss_fn" and not r.ok for r in rows):
        return [], "your loss_fn keeps state between calls, so differences of it mean nothing"
    if first.errors:  # the same call would raise again: say where it did
        key, err = next(iter(first.errors.items()))
        at = first.raised.at if first.raised is not None else ""
        return [], f"your code raised in {where(key, at)}: {err}"
    if first.loss is not None and not np.isfinite(first.loss):
        return [], f"your loss is {first.loss} (not finite), so differences of it mean nothing"
    grads = first.grads if s.dtype == "float64" and first.grads and not first.errors else None
    cause, fix = precision.why_float32(impl)
    if s.dtype != "float64":  # you chose to be judged in float32: the rows above are
        cause += f"; the rows above judge it as {s.dtype} code, as you chose (dtype={s.dtype!r})"
    oracle, why, calls = oracle_rows(
        impl, data.X, data.y, s.seed, grads, _focus(s, first), MODES[mode], (cause, fix)
    )
    settings["oracle_calls"] = calls
    if all(r.ok for r in rows):
        for r in oracle:
            r.status = r.status if r.ok else NOT_COUNTED
    return oracle, why


def _focus(s: CheckContext, first: YourTrace, n: int = 6) -> dict[str, np.ndarray]:
    """Per parameter, the flat entries where your gradient and torch's differ most (for the
    oracle to probe, so that its verdict speaks of the entries that differ)."""
    out = {}
    for k, spec in enumerate(s.net.linears):
        for what, name in (("weight", spec.weight), ("bias", spec.bias)):
            key = f"{2 * k}.{what}"
            mine, torch_value = first.grads.get(name), s.user(key, s.ref64.grads[key])
            if mine is not None and np.shape(mine) == torch_value.shape:
                diff = np.abs(np.asarray(mine, np.float64) - torch_value).ravel()
                top = np.argsort(diff)[::-1][:n]
                out[name] = top[diff[top] > 0]
    return out


def _training(
    impl: Functional | Layers, s: CheckContext, data: dataset.Rows, settings: dict[str, Any]
) -> tuple[list[Row], dict[str, np.ndarray]]:
    if not settings["steps"]:
        return [], {}
    opt = Optim.of(settings)
    batches = dataset.batches(len(data.X), settings["steps"], settings["batch_size"], s.seed)
    rows, yours, ref = training.train_rows(impl, s, batches, opt)
    return rows, {"yours": np.array(yours.losses), "torch": ref.losses, "trained": yours}


def _diagnose(impl: Functional | Layers, s: CheckContext, rows: list[Row]) -> None:
    for r in rows:
        if r.status in (ROOT, ALSO) or (r.status == FAILS and r.stage != "oracle"):
            r.diagnosis = _summed(impl, diagnose(r))
            if r.diagnosis.pattern == "raised":
                r.diagnosis = retry(impl, s, r) or r.diagnosis


def _summed(impl: Functional | Layers, d: Diagnosis) -> Diagnosis:
    """A factor N (or N·D) in a ``Torch`` port whose loss module has ``reduction='sum'``:
    the fix is torch's own switch, not a division."""
    if not (
        isinstance(impl, Torch)
        and getattr(impl.loss_fn, "reduction", None) == "sum"
        and d.pattern == "factor"
        and d.text.startswith(("constant factor: yours = N ×", "constant factor: yours = N·D ×"))
    ):
        return d
    loss = type(impl.loss_fn).__name__
    return replace(
        d,
        text=f"{d.text} (your {loss} has reduction='sum')",
        fix=f"use reduction='mean' (torch's default): {loss}() instead of "
        f"{loss}(reduction='sum')",
    )


def _float32_inside(
    impl: Functional | Layers,
    s: CheckContext,
    kinds: list[str],
    data: dataset.Rows,
    yours: YourTrace,
) -> Diagnosis | None:
    """The float32 diagnosis when your code returned float32 arrays in a float64 check and,
    run as a float32 check, agrees with torch at every row (else None)."""
    if s.dtype != "float64" or not precision.computes_in_float32(yours):
        return None
    data32 = precision.as_float32(data)
    rows32, _ = static_rows(impl, setup(impl, s.net, data32, "float32", s.seed), kinds)
    return precision.diagnosis(impl, rows32)


def _model_dtype(
    impl: Functional | Layers, s: CheckContext, kinds: list[str], row: Row
) -> Diagnosis | None:
    """A ``Torch`` port whose parameters are in another dtype than the rows (a float32 model
    fed float64 data) raises in torch: verified by checking the model cast to the rows' dtype
    (every row then agrees with torch)."""
    if not isinstance(impl, Torch) or not row.raised or impl.dtype() == s.dtype:
        return None
    fixed = impl.cast(s.dtype)
    rows, _ = static_rows(fixed, setup(fixed, s.net, _rows_of(s), s.dtype, s.seed), kinds)
    if not rows or not all(r.ok for r in rows):
        return None
    worst = max(rows, key=lambda r: r.scaled)
    model = "model.double()" if s.dtype == "float64" else "model.float()"
    return Diagnosis(
        "model_dtype",
        f"your model's parameters are {impl.dtype()} and the rows {s.dtype}: torch does not "
        f"cast between them, so the first Linear raises (with the model in {s.dtype} every "
        f"row agrees with torch)",
        f"{model} before training (or feed it {impl.dtype()} data: X.to(torch.{impl.dtype()}) "
        f"and check with dtype={impl.dtype()!r})",
        worst.scaled,
        worst.tol,
        pitfall="docs/PORTING.md#float64-numpy-vs-float32-torch",
    )


def _rows_of(s: CheckContext) -> dataset.Rows:
    return dataset.Rows(s.X, s.y, None, "")


def run(
    impl: Functional | Layers,
    net: Net,
    kinds: list[str],
    data: dataset.Rows,
    settings: dict[str, Any],
    header: str,
) -> CheckReport:
    """Every stage after the structure; the report (``seconds`` is the caller's to set)."""
    s = setup(impl, net, data, settings["dtype"], settings["seed"])
    rows, yours = static_rows(impl, s, kinds)
    rows += repeat_rows(impl, s, yours)
    first = stages.mark(rows)
    oracle, why = _oracle(impl, s, data, yours, rows, settings)
    train, curves = _training(impl, s, data, settings)
    trained = curves.pop("trained", None)
    t_root = training.mark_training(train, first is not None)
    if first is None and t_root is not None:
        first = len(rows) + len(oracle) + t_root
    all_rows = rows + oracle + train
    _diagnose(impl, s, all_rows)
    if first is not None and first < len(rows):
        found = _float32_inside(impl, s, kinds, data, yours)
        if found is not None:  # the other rows that fail by as little are that rounding too
            for r in all_rows[:first] + all_rows[first + 1 : len(rows)]:
                if r.status == ALSO:
                    r.status, r.diagnosis = ROUNDING, None
        found = found or _model_dtype(impl, s, kinds, all_rows[first])
        all_rows[first].diagnosis = found or all_rows[first].diagnosis
    divergence = None
    if first is not None:
        r = all_rows[first]
        divergence = Divergence(r.stage, r.name, r.what, r.diagnosis or diagnose(r), first)
    return CheckReport(
        first is None,
        all_rows,
        divergence,
        verdict(rows, oracle, train, why),
        header,
        settings,
        net.tree,
        notes=_notes(impl, net, why, settings),
        curves=curves,
        trained=trained,
    )


def _notes(
    impl: Functional | Layers, net: Net, oracle_problem: str, settings: dict[str, Any]
) -> list[str]:
    notes = [f"layout: {net.layout} (decided by {net.layout_how})"]
    if getattr(impl, "columns", False):
        notes = [
            "layout: columns (your code gets X (D, N); weights (out, in), biases (out, 1); "
            f"decided by {getattr(impl, 'columns_by', '')})"
        ]
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
        notes.append(f"oracle not run: {oracle_problem}")
    else:
        notes.append(
            f"oracle ({settings.get('oracle', 'full')}): {settings['oracle_calls']} calls of "
            "your loss"
        )
    return notes
