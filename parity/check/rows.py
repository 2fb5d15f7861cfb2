"""The records a check produces: one ``Row`` per compared quantity, in execution order.

A row holds up to two measurements of the same quantity: end to end (your network run on its
own) and teacher-forced (your layer fed torch's input and torch's upstream gradient). The
first row whose teacher-forced measurement fails is the root cause; a row that fails only
end to end inherited its error from further up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from parity.compare import Comparison

STAGES = ("structure", "forward", "backward", "oracle", "training")
# statuses
OK, ROOT, ALSO, INHERITED, FAILS = "ok", "FIRST DIVERGENCE", "also wrong", "inherited", "fails"
NOT_RUN = "not run"  # an earlier call of yours raised, so this value was never computed
NOT_COUNTED = "not counted"  # an oracle row disagreeing where torch agrees with you row for row
ROUNDING = "float32 rounding"  # fails only by the float32 rounding the first divergence names
# diagnoses whose evidence is the layer's own (teacher-forced) agreement with torch
IN_THE_CHAIN = ("raised", "wrong_only_in_chain")


@dataclass(frozen=True)
class Diagnosis:
    """A named mistake, verified: with ``fix`` applied, yours is within ``tol`` of torch.

    ``pattern`` is a short id (``"factor"``, ``"transposed"``, ``"relu_mask"``...;
    ``"no_known_pattern"`` when no hypothesis is verified, with the error statistics in
    ``text``); ``pitfall`` links the docs/PORTING.md entry that explains it.
    """

    pattern: str
    text: str
    fix: str = ""
    residual: float | None = None
    tol: float | None = None
    pitfall: str = ""

    def __str__(self) -> str:
        return self.text

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "text": self.text,
            "fix": self.fix,
            "residual": self.residual,
            "tol": self.tol,
            "pitfall": self.pitfall,
        }


@dataclass
class Evidence:
    """What a hypothesis needs: your value, torch's (float64), and the row's context.

    ``role`` says what the quantity is (``"loss"``, ``"dloss"``, ``"weight_grad"``,
    ``"bias_grad"``, ``"linear_dx"``, ``"act_dx"``, ``"linear_out"``, ``"train_grad"``,
    ``"train_param"``...); ``context`` holds role-specific arrays (the layer's input, the
    upstream gradient, candidate variants).
    """

    yours: Any
    torch: np.ndarray
    kind: str
    role: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    """One compared quantity; ``name`` is yours (``"W1"``, ``"layers[3]"``)."""

    stage: str
    name: str
    what: str
    torch: str
    e2e: Comparison | None
    tf: Comparison | None = None
    status: str = ""
    diagnosis: Diagnosis | None = None
    evidence: Evidence | None = None  # for the teacher-forced value when there is one

    @property
    def ok(self) -> bool:
        return all(m is None or m.ok for m in (self.e2e, self.tf))

    @property
    def scaled(self) -> float:
        """The worst of the row's measurements."""
        return max(m.scaled for m in (self.e2e, self.tf) if m is not None)

    @property
    def tol(self) -> float:
        return next(m.tol for m in (self.tf, self.e2e) if m is not None)

    @property
    def problem(self) -> str:
        return next((m.problem for m in (self.tf, self.e2e) if m is not None and m.problem), "")

    @property
    def note(self) -> str:
        """A remark on a value that was measured (the oracle's entries at a kink)."""
        return next((m.note for m in (self.tf, self.e2e) if m is not None and m.note), "")

    @property
    def raised(self) -> bool:
        """Your code raised while computing this row's own value (not an earlier call)."""
        return any(m is not None and m.problem.startswith("raised") for m in (self.e2e, self.tf))

    @property
    def not_run(self) -> bool:
        """Every failing measurement of this row was never computed: an earlier call raised."""
        failing = [m for m in (self.e2e, self.tf) if m is not None and not m.ok]
        return bool(failing) and all(m.problem.startswith("not run") for m in failing)

    @property
    def label(self) -> str:
        return f"{self.name} {self.what}".strip()

    def to_json(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return float(x) if np.isfinite(x) else None

        return {
            "stage": self.stage,
            "name": self.name,
            "what": self.what,
            "torch": self.torch,
            "scaled": num(self.scaled),
            "tol": self.tol,
            "ok": self.ok,
            "status": self.status,
            "end_to_end": None if self.e2e is None else self.e2e.to_json(),
            "teacher_forced": None if self.tf is None else self.tf.to_json(),
            "problem": self.problem,
            "note": self.note,
            "diagnosis": None if self.diagnosis is None else self.diagnosis.to_json(),
        }


@dataclass(frozen=True)
class Divergence:
    """The first divergence: its ``stage``, your ``name`` for it and its ``diagnosis``."""

    stage: str
    name: str
    what: str
    diagnosis: Diagnosis
    row: int  # index into the report's rows

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "name": self.name,
            "what": self.what,
            "diagnosis": self.diagnosis.text,
            "pattern": self.diagnosis.pattern,
            "fix": self.diagnosis.fix,
            "pitfall": self.diagnosis.pitfall,
        }


class Findings(Protocol):
    """What a check found, as the figures read it (``CheckReport`` is one)."""

    rows: list[Row]
    first_divergence: Divergence | None
    curves: dict[str, np.ndarray]
