"""``CheckReport``: what a check found, as a terminal table, JSON and a directory of files.

``table()`` lists the rows in execution order with the first divergence marked and its
diagnosis under the table; ``to_json()`` follows the documented schema (``ok``,
``first_divergence``, ``rows`` with ``stage, name, scaled, tol, ok`` and more);
``write(out_dir)`` writes ``REPORT.md``, ``check.json`` and the figures as one transaction
(``parity._util.publish``: an existing ``out_dir`` must be empty or an earlier check's).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from parity.check.rows import ALSO, IN_THE_CHAIN, ROOT, Divergence, Row

SCHEMA = "nn-parity-check/1"


CELL = 24  # widest problem text in a table cell


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    return "inf" if not math.isfinite(x) else f"{x:.1e}"


def ellipsize(text: str, width: int = CELL) -> str:
    """``text`` cut to ``width`` characters at a word boundary, with an ellipsis if cut."""
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if text[width - 1] != " " and " " in cut:  # the cut falls inside a word: drop it
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def short(problem: str) -> str:
    """A measurement's problem for a table cell (the full text is in the summary and JSON):
    ``raised IndexError``, ``not run``, ``shape (64, 10)``."""
    head, _, rest = problem.partition(": ")
    shape = re.search(r"shape (\([^)]*\))", problem)
    if head.startswith("raised"):
        text = "raised " + rest.split(":")[0]
    elif head.startswith("not run"):
        text = "not run"
    elif shape:
        text = f"shape {shape.group(1)}"
    else:
        text = problem
    return ellipsize(text)


@dataclass
class CheckReport:
    """The outcome of ``check``: ``ok``, the rows, the first divergence and the verdict."""

    ok: bool
    rows: list[Row]
    first_divergence: Divergence | None
    verdict: str
    header: str
    settings: dict[str, Any]
    tree: str = ""
    structure_error: str = ""
    notes: list[str] = field(default_factory=list)
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0
    trained: Any = field(default=None, repr=False)  # your side of the training steps

    def table(self) -> str:
        """The rows as a table in execution order, then the first divergence and verdict."""
        lines = [self.header]
        if self.structure_error:
            return "\n".join([*lines, f"structure: {self.structure_error}", self.tree])
        lines += self.notes
        f32 = self.settings.get("dtype") == "float32"
        cols = ["#", "stage", "yours", "torch", "end-to-end", "teacher-f.", "tol"]
        cols += ["torch f32"] if f32 else []
        body = [[*self._cells(i, r, f32)] for i, r in enumerate(self.rows, 1)]
        widths = [max(len(str(c)) for c in col) for col in zip(cols, *body, strict=False)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
        lines.append(fmt.format(*cols, "status"))
        for r, cells in zip(self.rows, body, strict=True):
            status = r.status + (
                f" (step {r.e2e.first_bad_step})"
                if r.stage == "training" and r.e2e and r.e2e.first_bad_step is not None
                else ""
            )
            mark = ">> " if r.status == ROOT else ""
            lines.append(fmt.format(*cells, mark + status))
        lines += self._summary()
        return "\n".join(lines)

    def _cells(self, i: int, r: Row, f32: bool) -> list[str]:
        def value(m: Any) -> str:
            if m is None:
                return "-"
            return short(m.problem) if m.problem else _num(m.scaled)

        cells = [str(i), r.stage, r.label, r.torch, value(r.e2e), value(r.tf), _num(r.tol)]
        if f32:
            ref = next((m.ref_err for m in (r.tf, r.e2e) if m is not None), None)
            cells.append(_num(ref))
        return cells

    def _summary(self) -> list[str]:
        d = self.first_divergence
        out = [""]
        if d is None:
            out.append("no divergence: yours agrees with torch at every row")
        else:
            row = self.rows[d.row]
            out.append(f"first divergence: {d.stage} {row.label} (row {d.row + 1})")
            if row.problem and d.diagnosis.pattern != "raised":
                out.append(f"  problem: {row.problem}")
            judged = row.tf if row.tf is not None and not row.tf.ok else row.e2e
            if judged is not None and judged.zero_share:
                out.append(f"  where torch's value is exactly 0, yours is not at "
                           f"{judged.zero_share:.0%} of those entries")  # fmt: skip
            out.append(f"  diagnosis: {d.diagnosis.text}")
            if d.diagnosis.fix:
                out.append(f"  fix: {d.diagnosis.fix}")
            if d.diagnosis.residual is not None:
                how = (
                    "on its own (teacher-forced), yours and torch agree"
                    if d.diagnosis.pattern in IN_THE_CHAIN
                    else "with this mistake named, yours and torch agree"
                )
                out.append(
                    f"  verified: {how} to a scaled error of {d.diagnosis.residual:.1e} "
                    f"(tol {d.diagnosis.tol:.0e})"
                )
            if d.diagnosis.pitfall:
                out.append(f"  see {d.diagnosis.pitfall}")
        for row in self.rows:
            if row.status == ALSO and row.diagnosis is not None:
                out.append(f"also wrong on its own: {row.stage} {row.label}: {row.diagnosis}")
            if row.stage == "oracle" and row.note:
                out.append(f"oracle, {row.name}: {row.note}")
        out.append(f"verdict: {self.verdict}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON schema as a dict."""
        return {
            "schema": SCHEMA,
            "ok": self.ok,
            "first_divergence": None
            if self.first_divergence is None
            else self.first_divergence.to_json(),
            "verdict": self.verdict,
            "structure_error": self.structure_error or None,
            "structure": self.tree,
            "settings": self.settings,
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
            "rows": [r.to_json() for r in self.rows],
        }

    def to_json(self) -> str:
        """``to_dict()`` as JSON text (no NaN or Infinity: those become null)."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def write(self, out_dir: str | os.PathLike[str]) -> list[Path]:
        """Write REPORT.md, check.json and figures/*.png into ``out_dir`` as one transaction
        (``parity._util.publish.output_dir``); returns the paths written."""
        from parity._util.publish import output_dir

        with output_dir(out_dir, "out_dir", "check") as staging:
            self.write_into(staging.staged)
            written, _ = staging.commit()
        return [staging.target / name for name in written]

    def write_into(self, directory: Path) -> None:
        """Write REPORT.md, check.json and figures/*.png into the existing ``directory``."""
        from parity.check.figures import write_figures

        figures = write_figures(self, Path(directory) / "figures")
        (Path(directory) / "check.json").write_text(self.to_json() + "\n", encoding="utf-8")
        (Path(directory) / "REPORT.md").write_text(self.markdown(figures), encoding="utf-8")

    def markdown(self, figures: list[str]) -> str:
        """REPORT.md: the settings, the table, the diagnosis and the figures."""
        lines = ["# nn-parity check", "", "```text", self.table(), "```", ""]
        if self.tree and not self.structure_error:
            lines += ["## Structure", "", "```text", self.tree, "```", ""]
        lines += ["## Settings", ""] + [f"- {k}: `{v}`" for k, v in self.settings.items()]
        lines += [""] + [f"![{Path(f).stem}]({f})" for f in figures]
        return "\n".join(lines) + "\n"
