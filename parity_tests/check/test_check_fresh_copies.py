"""Defect 2 (issue 18): every call into your code gets fresh copies of X, y and the
parameters, so a ``loss_fn`` that changes them in place cannot corrupt the check's own."""

from __future__ import annotations

import numpy as np

from parity.check import Functional, check


def test_loss_fn_changing_y_in_place_sees_the_labels_unchanged_at_every_call() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 3)), rng.normal(size=10)
    seen: list[np.ndarray] = []

    def loss_fn(X, y, params):  # type: ignore[no-untyped-def]
        seen.append(y.copy())
        r = (X @ params["W"] + params["b"])[:, 0] - y
        d = (2 * r / len(y))[:, None]
        loss, grads = float((r**2).mean()), {"W": X.T @ d, "b": d.sum(0)}
        y[:] += 1.0  # the careless in-place edit
        params["W"][:] = 0.0
        return loss, grads

    params = {"W": rng.normal(size=(3, 1)), "b": np.zeros(1)}
    report = check(Functional(loss_fn, params, head="regression"), X=X, y=y.copy(), steps=2)
    assert report.ok, report.table()
    assert len(seen) > 3 and all(np.array_equal(s, seen[0]) for s in seen)
