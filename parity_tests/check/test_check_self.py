"""``scratch`` through the same path as your code (``nn-parity check --self``): every
activation on every head (binary, multiclass, regression) agrees at the float64 tolerances;
and the package keeps to its layer of the design."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from parity.check import check
from parity.check.selfcheck import configs, label, scratch_layers

PACKAGE = Path(__file__).resolve().parents[2] / "parity" / "check"


@pytest.mark.parametrize("config", configs(), ids=label)
def test_scratch_agrees_everywhere(config):
    impl = scratch_layers(config["head"], config["n_in"], config["n_out"], config["hidden"],
                          config["activation"])  # fmt: skip
    report = check(impl, config["dataset"], steps=3)
    assert report.ok, report.table()
    assert {r.stage for r in report.rows} == {"forward", "backward", "oracle", "training"}
    assert all(r.scaled <= r.tol for r in report.rows)


def test_heads_are_all_covered():
    assert {c["head"] for c in configs()} == {"binary", "multiclass", "regression"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_check_imports_only_the_core_scratch_and_torch_impl():
    forbidden = ("parity.report", "parity.cli", "parity.experiments", "parity.claims",
                 "parity.pitfalls", "parity.bench")  # fmt: skip
    for path in PACKAGE.rglob("*.py"):
        bad = [m for m in _imports(path) if m.startswith(forbidden)]
        assert not bad, f"{path.name} imports {bad}"


def test_importing_parity_check_stays_light():
    code = (
        "import sys, parity.check; "
        "print('torch' in sys.modules, 'matplotlib' in sys.modules, 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]
