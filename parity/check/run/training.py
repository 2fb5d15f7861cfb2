"""The training stage: ``steps`` lock-step updates on shared batches, yours against torch's.

Both sides start from your initial parameters and see the same batches. Per step: your loss,
your gradients (before the update) and your parameters (after it), against ``torch.optim``'s.
Without ``update=`` the check applies torch's rule to your parameters itself (``torch.optim``
on tensors sharing your arrays' memory), clearing your gradients before every backward as
``optimizer.zero_grad()`` would. With ``update=`` your rule runs, and clearing is its job.

The first step where something leaves the tolerance is diagnosed: gradients that equal your
previous step's plus torch's were never cleared; parameters that a known rule reproduces from
your own gradients name the rule your update implements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.check.agreement import judge, measure
from parity.check.rows import INHERITED, ROOT, Row
from parity.check.run import reference
from parity.check.run import update_rules as updates
from parity.check.run.candidate import describe
from parity.check.run.context import CheckContext
from parity.check.run.optimizers import Optim
from parity.compare import Comparison


@dataclass
class YourTraining:
    """Your side of the lock-step run (per step), and where it stopped if your code raised."""

    losses: list[float] = field(default_factory=list)
    grads: list[dict[str, np.ndarray]] = field(default_factory=list)
    params: list[dict[str, np.ndarray]] = field(default_factory=list)
    initial: dict[str, np.ndarray] = field(default_factory=dict)
    error: str = ""


def _tool_optimizer(arrays: dict[str, np.ndarray], opt: Optim) -> Any:
    """``opt``'s ``torch.optim`` optimizer on tensors that share your arrays' memory, so that
    its step updates your parameters in place."""
    import torch

    params = {k: torch.nn.Parameter(torch.from_numpy(a)) for k, a in arrays.items()}
    return params, opt.build(list(params.values()))


def train_yours(
    impl: Functional | Layers,
    s: CheckContext,
    batches: Sequence[np.ndarray],
    opt: Optim,
) -> YourTraining:
    """Run your side for ``len(batches)`` steps (your parameters are restored afterwards)."""
    import torch

    run = impl.bind(s.dtype)
    out = YourTraining(initial=run.params())
    params, optim = _tool_optimizer(run.arrays(), opt) if impl.update is None else ({}, None)
    try:
        for t, idx in enumerate(batches):
            where = f"step {t}"
            loss, grads = run.loss_and_grads(s.X[idx], s.y[idx], zero=impl.update is None or t == 0)
            out.losses.append(loss)
            out.grads.append(grads)
            if optim is None:
                where += " in your update"
                run.step(grads, opt.lr)
            else:
                for k, p in params.items():
                    if grads[k].shape != tuple(p.shape):
                        raise ValueError(
                            f"your gradient of {k} has shape {grads[k].shape}, "
                            f"{k} has {tuple(p.shape)}: cannot apply the update"
                        )
                    p.grad = torch.from_numpy(np.asarray(grads[k], p.detach().numpy().dtype))
                optim.step()
            out.params.append(run.params())
    except Exception as err:
        out.error = f"raised at {where}: {describe(err)}"
    finally:
        run.restore()
    return out


def _stack(per_step: list[dict[str, np.ndarray]], key: str) -> Any:
    try:
        return np.stack([np.asarray(d[key], np.float64) for d in per_step])
    except ValueError:  # shapes changed between steps
        return None


def train_rows(
    impl: Functional | Layers,
    s: CheckContext,
    batches: Sequence[np.ndarray],
    opt: Optim,
) -> tuple[list[Row], YourTraining, Any]:
    """The training rows (loss, then gradients, then parameters, each over all steps)."""
    yours = train_yours(impl, s, batches, opt)
    ref = reference.train(s.net, s.state, s.X, s.y, batches, opt)
    ref64 = (
        ref
        if s.dtype == "float64"
        else reference.train(s.net, s.state64, s.X.astype(np.float64), s.y, batches, opt)
    )
    n_params = len(yours.params)
    rows = [
        _row(
            s,
            "loss",
            "per step",
            "loss.item()",
            yours.losses,
            ref64.losses,
            ref.losses,
            "curve",
            yours.error,
        )
    ]
    for what, suffix, mine, refs, refs64 in (
        ("gradient per step", ".grad", yours.grads, ref.grads, ref64.grads),
        ("value after each step", "", yours.params, ref.params, ref64.params),
    ):
        for name, key in _keys(s):
            theirs64, theirs = s.user(key, refs64[key]), s.user(key, refs[key])
            stacked = _stack(mine, name)
            rows.append(
                _row(s, name, what, key + suffix, stacked, theirs64, theirs, "weights", yours.error)
            )
    if yours.error:
        tol = judge("weights", s.dtype, None)
        failed = Comparison.failed("yours", tol, yours.error, first_bad_step=n_params)
        rows.append(Row("training", f"step {n_params}", "", "", failed))
    _attach(rows, s, yours, ref64, opt)
    return rows, yours, ref64


def _row(
    s: CheckContext,
    name: str,
    what: str,
    key: str,
    mine: Any,
    t64: np.ndarray,
    t32: np.ndarray,
    kind: str,
    error: str,
) -> Row:
    """One per-step row: yours over the steps you completed against torch's same steps."""
    n = 0 if mine is None else len(mine)
    if n == 0:
        why = error or "shapes changed between steps"
        failed = Comparison.failed("yours", judge(kind, s.dtype, None), why)
        return Row("training", name, what, key, failed)
    torch32 = None if s.dtype == "float64" else t32[:n]
    mine64 = np.asarray(mine, np.float64)
    m = measure(mine64, t64[:n], kind, s.dtype, torch32=torch32, per_step=True)
    return Row("training", name, what, key, m)


def _keys(s: CheckContext) -> list[tuple[str, str]]:
    return [
        (name, f"{2 * k}.{what}")
        for k, spec in enumerate(s.net.linears)
        for what, name in (("weight", spec.weight), ("bias", spec.bias))
    ]


def _accumulated(name: str, t: int, yours: YourTraining, torch_t: np.ndarray) -> list[Any]:
    """Yours at step ``t`` if gradients were never cleared: yours at ``t - 1`` plus torch's."""
    if t == 0:
        return []
    text = (
        f"gradients accumulated across steps (no zero_grad): at step {t} yours = your step "
        f"{t - 1} gradient + torch's step {t} gradient"
    )
    fix = (
        "clear the gradients before every backward (optimizer.zero_grad()), or assign them "
        "(dW = ...) instead of adding (dW += ...)"
    )
    previous = np.asarray(yours.grads[t - 1][name], np.float64)
    return [("accumulated_gradients", text, fix, previous + torch_t, "accumulate")]


def _replayed(name: str, t: int, yours: YourTraining, opt: Optim, biases: list[str]) -> list[Any]:
    """Your parameter after step ``t`` under each known update rule, from your gradients;
    and under torch's rule with the biases (or the weights) stepped without ``lr``."""
    torch_text, torch_rule = updates.torch_rule(opt)
    grads = yours.grads[: t + 1]
    lr_words = [
        (biases, "the biases", "weights"),
        ([k for k in yours.initial if k not in biases], "the weights", "biases"),
    ]
    other_lr = [
        (
            "update_rule",
            f"{words} stepped without the learning rate (p -= g, a factor 1/lr against "
            f"torch's p -= lr·g); the {rest} with it",
            f"multiply the step of {words} by lr, as for the {rest}",
            updates.per_key_lr(torch_rule, keys, 1.0)(yours.initial, grads, opt.lr)[name],
            "loop",
        )
        for keys, words, rest in lr_words
        if name in keys and opt.lr != 1.0
    ]
    fixes = {
        "accumulated_gradients": "clear the gradients (or your running sum) after every step, "
        "as optimizer.zero_grad() does before the next backward",
        "update_rule": f"implement {torch_text}",
    }
    return [
        (pattern, text, fixes[pattern], rule(yours.initial, yours.grads[: t + 1], opt.lr)[name],
         pitfall)
        for pattern, text, rule, pitfall in updates.candidates(opt)
    ] + other_lr  # fmt: skip


def _attach(rows: list[Row], s: CheckContext, yours: YourTraining, ref64: Any, opt: Optim) -> None:
    """Evidence for the first failing step of each gradient and parameter row."""
    from parity.tolerances import tolerance

    for row in rows:
        t = row.e2e.first_bad_step if row.e2e is not None else None
        if t is None or row.what not in ("gradient per step", "value after each step"):
            continue
        key = row.torch.removesuffix(".grad")
        if row.what.startswith("gradient"):
            torch_t = s.user(key, ref64.grads[key][t])
            found, role = _accumulated(row.name, t, yours, torch_t), "train_grad"
            yours_t = yours.grads[t][row.name]
        else:
            torch_t = s.user(key, ref64.params[key][t])
            biases = [spec.bias for spec in s.net.linears]
            found, role = _replayed(row.name, t, yours, opt, biases), "train_param"
            yours_t = yours.params[t][row.name]
        row.evidence = s.evidence(yours_t, torch_t, "weights", role, variants=found)
        row.evidence.context["tol"] = tolerance("weights", s.dtype).value


def mark_training(rows: list[Row], earlier_root: bool) -> int | None:
    """Statuses for the training rows; the index (in ``rows``) of the training root cause."""
    failing = []
    for i, r in enumerate(rows):
        if not r.ok:
            step = r.e2e.first_bad_step if r.e2e and r.e2e.first_bad_step is not None else 0
            failing.append((step, i))
    for r in rows:
        r.status = "ok" if r.ok else INHERITED
    if not failing or earlier_root:
        return None
    root = min(failing)[1]
    rows[root].status = ROOT
    return root
