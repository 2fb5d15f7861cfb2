"""The planted-mistakes table: for each example, was the mistake localised and diagnosed?

``python -m parity.check.examples --table`` prints it for the shipped examples;
``--external DIR`` adds the cases of ``DIR/cases.py`` (a list ``CASES`` of ``Example``).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from parity.check.examples import Example


@dataclass(frozen=True)
class Outcome:
    """What the check found for one example, against what it should find."""

    example: Example
    found: str
    localised: bool
    diagnosed: bool
    seconds: float

    @property
    def as_expected(self) -> bool:
        return self.localised and self.diagnosed


def outcome(example: Example) -> Outcome:
    """Run the check on ``example`` and compare with its expectation."""
    start = time.perf_counter()
    report = example.run()
    seconds = time.perf_counter() - start
    d = report.first_divergence
    if example.expect is None:
        found = "passes" if report.ok else f"FAILS: {d.stage} {d.name}" if d else "FAILS"
        return Outcome(example, found, report.ok, report.ok, seconds)
    if d is None:
        return Outcome(example, "no divergence", False, False, seconds)
    stage, name, pattern = example.expect
    found = f"{d.stage} {d.name}: {d.diagnosis.pattern}"
    return Outcome(
        example, found, (d.stage, d.name) == (stage, name), d.diagnosis.pattern == pattern, seconds
    )


def table(examples: Iterable[Example]) -> tuple[str, bool]:
    """A Markdown table of the outcomes, and whether every one is as expected."""
    lines = [
        "| example | planted mistake | first divergence found | localised? | diagnosed? |",
        "|---|---|---|---|---|",
    ]
    all_ok = True
    for o in map(outcome, examples):
        all_ok &= o.as_expected
        planted = o.example.planted or "(none: correct)"
        yes = {True: "yes", False: "NO"}
        lines.append(
            f"| {o.example.name} | {planted} | {o.found} | {yes[o.localised]} | "
            f"{yes[o.diagnosed]} |"
        )
    return "\n".join(lines), all_ok


def external_cases(directory: Path) -> list[Example]:
    """``CASES`` from ``directory/cases.py``."""
    path = Path(directory) / "cases.py"
    spec = importlib.util.spec_from_file_location("_nn_parity_external_cases", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise FileNotFoundError(f"no cases.py in {directory}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.CASES)
