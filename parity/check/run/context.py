"""What one check shares between its stages: the decided network, the data and torch's
reference run, plus the helpers that measure yours against it in your layout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from parity.check.adapters.structure import Net
from parity.check.agreement import judge, measure
from parity.check.rows import Evidence
from parity.check.run.candidate import YourTrace
from parity.check.run.reference import RefTrace
from parity.compare import Comparison
from parity.tolerances import tolerance


@dataclass
class CheckContext:
    """Everything one check shares: the decided network, the data, torch's reference."""

    net: Net
    style: str
    dtype: str
    X: np.ndarray  # (N, D) in dtype
    y: np.ndarray  # as passed to your code
    state: dict[str, np.ndarray]  # torch keys and layout, dtype
    state64: dict[str, np.ndarray]
    ref: RefTrace  # torch in dtype
    ref64: RefTrace  # torch in float64 (the same run when dtype is float64)
    seed: int

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.net.widths[-1])

    def user(self, key: str, arr: np.ndarray) -> np.ndarray:
        """A torch tensor (``"0.weight"``...) in your layout and shape (``Net.user``)."""
        return self.net.user(key, arr)

    def measure(self, yours: Any, v64: Any, v: Any, kind: str, problem: str = "") -> Comparison:
        """Yours against torch (float64, with torch-float32 ``v`` as yardstick in float32)."""
        if problem:
            return Comparison.failed("yours", judge(kind, self.dtype, None), problem)
        torch32 = v if self.dtype == "float32" else None
        return measure(yours, v64, kind, self.dtype, torch32=torch32)

    def evidence(self, yours: Any, v64: Any, kind: str, role: str, **context: Any) -> Evidence:
        """The evidence for a hypothesis, judged at ``tolerance(kind, dtype)``."""
        context.update(tol=tolerance(kind, self.dtype).value, n=self.n, d=self.d)
        return Evidence(yours, np.asarray(v64, dtype=np.float64), kind, role, context)


def where(key: str, at: str = "") -> str:
    """An error key as your call: ``"forward 2"`` -> ``"layers[2].forward"``; ``"loss_fn"``
    -> ``"your loss_fn at line 12: `...`"``; ``"loss_fn.backward"`` (``stages`` found the
    loss computed before it raised) -> ``"the backward half of your loss_fn (at ...)"``."""
    if " " in key:
        method, i = key.split()
        return f"layers[{i}].{method}"
    if key == "loss_fn":
        return f"your loss_fn at {at}" if at else "your loss_fn"
    if key == "loss_fn.backward":
        return f"the backward half of your loss_fn (at {at})"
    return {"loss": "loss.forward", "dloss": "loss.backward"}.get(key, key)


def problem(trace: YourTrace, key: str, order: list[str]) -> str:
    """Why a value of ``trace`` is missing: raised at ``key``, or an earlier call raised."""
    if key in trace.errors:
        at = trace.raised.at if trace.raised is not None else ""
        return f"raised in {where(key, at)}: {trace.errors[key]}"
    for earlier in order[: order.index(key)] if key in order else order:
        if earlier in trace.errors:
            return f"not run: {where(earlier)} raised"
    return ""


def e2e_order(n_layers: int) -> list[str]:
    """The calls of one end-to-end pass through ``n_layers`` layers, in order."""
    return (
        [f"forward {i}" for i in range(n_layers)]
        + ["loss", "dloss"]
        + [f"backward {i}" for i in reversed(range(n_layers))]
    )
