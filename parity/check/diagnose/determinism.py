"""Your ``loss_fn`` called twice: the same parameters and data must give the same answer.

A ``Functional`` loss is a function of its arguments. One that keeps state between calls (a
gradient dict it adds into and never resets, a counter, a cache) returns something else the
second time, and every later number, the oracle's and the training steps' included, would
inherit that. So the check calls ``loss_fn`` once more on copies of the same parameters and
rows before the oracle runs: a difference is a row of its own, diagnosed like the others
(gradients that come back ``k`` times the first call's were accumulated: no ``zero_grad``).
"""

from __future__ import annotations

import numpy as np

from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.check.rows import Row
from parity.check.run.candidate import YourTrace, describe
from parity.check.run.context import CheckContext

WHAT = "second call vs first"


def _flat(grads: dict[str, np.ndarray], keys: list[str]) -> np.ndarray | None:
    try:
        return np.concatenate([np.ravel(np.asarray(grads[k], np.float64)) for k in keys])
    except (KeyError, ValueError):
        return None


def repeat_rows(impl: Functional | Layers, s: CheckContext, first: YourTrace) -> list[Row]:
    """``[]`` when a second call of your ``loss_fn`` returns what the first did (or for
    ``Layers``, or when the first call raised); else one failing row (``name`` ``loss_fn``)
    with yours-now against yours-first as its evidence."""
    if not isinstance(impl, Functional) or first.errors or first.loss is None:
        return []
    keys = list(first.grads)
    run = impl.bind(s.dtype)
    try:
        loss, grads = run.loss_and_grads(s.X, s.y)
    except Exception as err:
        m = s.measure(None, 0.0, 0.0, "gradient", f"raised in loss_fn: {describe(err)}")
        return [Row("backward", "loss_fn", WHAT, "your first call", m)]
    finally:
        run.restore()
    before = _flat(first.grads, keys)
    now = _flat(grads, keys)
    if before is None or now is None or now.shape != before.shape:
        shapes = {k: np.shape(g) for k, g in grads.items()}
        m = s.measure(None, 0.0, 0.0, "gradient", f"gradient shapes changed: now {shapes}")
        return [Row("backward", "loss_fn", WHAT, "your first call", m)]
    both_now = np.concatenate([[loss], now])
    both_before = np.concatenate([[first.loss], before])
    if np.array_equal(both_now, both_before, equal_nan=True):
        return []  # the same answer, NaN where NaN (a NaN loss is its own finding, not state)
    m = s.measure(both_now, both_before, both_before, "gradient")
    if m.ok:
        return []
    row = Row("backward", "loss_fn", WHAT, "your first call", m)
    row.evidence = s.evidence(
        now, before, "gradient", "repeat", loss=(first.loss, loss), random=_global_rng(impl, s)
    )
    return [row]


def _global_rng(impl: Functional, s: CheckContext) -> bool:
    """Whether two calls from the same NumPy global random state agree: then your loss_fn
    is nondeterministic (it draws random numbers), not keeping state."""
    state = np.random.get_state()  # noqa: NPY002 (your code draws from the legacy global state)
    answers = []
    try:
        for _ in range(2):
            np.random.set_state(state)  # noqa: NPY002
            run = impl.bind(s.dtype)
            try:
                loss, grads = run.loss_and_grads(s.X, s.y)
            finally:
                run.restore()
            answers.append(np.concatenate([[loss], *(np.ravel(g) for g in grads.values())]))
    except Exception:
        return False
    finally:
        np.random.set_state(state)  # noqa: NPY002
    return bool(np.array_equal(answers[0], answers[1], equal_nan=True))
