"""The one assertion every example of ``parity.check`` goes through (a module with a unique
name: ``from conftest import ...`` would find another folder's conftest in a full run)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from parity.check import CheckReport
from parity.check.examples import Example
from parity.check.rows import IN_THE_CHAIN


def assert_finds(example: Example) -> CheckReport:
    """A correct example passes; a buggy one names its first divergence (stage and your name)
    and its diagnosis, verified within the tolerance, with a pitfall link (or, for a layer
    wrong only in the chain, its teacher-forced agreement as the evidence)."""
    report = example.run()
    if example.expect is None:
        assert report.ok, report.table()
        assert report.first_divergence is None
        return report
    assert not report.ok, report.table()
    d = report.first_divergence
    assert d is not None, report.table()
    assert (d.stage, d.name, d.diagnosis.pattern) == example.expect, report.table()
    assert d.diagnosis.residual is not None and d.diagnosis.tol is not None
    assert d.diagnosis.residual <= d.diagnosis.tol
    if d.diagnosis.pattern in IN_THE_CHAIN:  # evidence: the layer agrees on its own
        row = report.rows[d.row]
        assert row.tf is not None and row.tf.ok and row.tf.scaled == d.diagnosis.residual
    else:
        assert d.diagnosis.pitfall.startswith("docs/PORTING.md#")
    return report


def load_cases(folder: str) -> ModuleType:
    """``parity_tests/check/FOLDER/cases.py``, a catalogue of external networks (``CASES``),
    loaded by path (the folders are not packages)."""
    path = Path(__file__).resolve().parent / folder / "cases.py"
    spec = importlib.util.spec_from_file_location(f"_{folder}_cases", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
