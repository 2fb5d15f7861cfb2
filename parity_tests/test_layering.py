"""docs/DESIGN.md's layering, read from every import (``ast``, lazy ones included).

scratch imports NumPy and the standard library only; torch_impl torch, NumPy and the standard
library, never scratch or parity. Inside parity the layers point down: core (``parity/*.py``,
``parity/_util``) <- check <- experiments <- report <- cli, where check and experiments may
import the core only. A module's layer is its longest matching prefix in ``LAYERS``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"parity": "core", "parity.check": "check", "parity.experiments": "experiments",
          "parity.report": "report", "parity.cli": "cli"}  # fmt: skip
MAY_IMPORT = {"core": {"core"}, "check": {"core", "check"},
              "experiments": {"core", "experiments"},
              "report": {"core", "experiments", "report"}, "cli": set(LAYERS.values())}  # fmt: skip
TOP_LEVEL = {"scratch": {"numpy", "scratch"}, "torch_impl": {"torch", "numpy", "torch_impl"}}


def layer(module: str) -> str:
    return LAYERS[max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)]


def imports(path: Path) -> tuple[str, set[str]]:
    """The module name of ``path`` and every module it imports, relative ones resolved."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    package = parts[:-1]  # the package a relative import starts from (also for __init__.py)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = [*package[: len(package) - node.level + 1]] if node.level else []
            base += [node.module] if node.module else []
            found |= {".".join([*base, alias.name]) for alias in node.names}
    return ".".join(p for p in parts if p != "__init__"), found


FILES = sorted(p for d in ("scratch", "torch_impl", "parity") for p in (ROOT / d).rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path):
    module, found = imports(path)
    top = module.split(".")[0]
    for name in found:
        head = name.split(".")[0]
        if top in TOP_LEVEL:
            assert head in TOP_LEVEL[top] | sys.stdlib_module_names, f"{module} imports {name}"
        elif head == "parity":
            assert layer(name) in MAY_IMPORT[layer(module)], f"{module} imports {name}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_assert_in_library_code(path):
    # an assert vanishes under python -O: runtime checks raise, type narrowing uses cast
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    assert not lines, f"{path.relative_to(ROOT)}: assert on line(s) {lines}"


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """A function's length in lines, its docstring not counted."""
    body = node.body
    first = body[0]
    has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    has_doc = has_doc and isinstance(first.value.value, str)  # type: ignore[attr-defined]
    start = body[1].lineno if has_doc and len(body) > 1 else body[0].lineno
    return (node.end_lineno or start) - start + 1


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_small_modules_and_functions(path):
    # issue 9's bar: a reader keeps the thread of a module of <= 400 lines, a function of <= 60
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 400, f"{path.relative_to(ROOT)} has over 400 lines"
    funcs = [
        n
        for n in ast.walk(ast.parse(text))
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    long = {n.name: _body_lines(n) for n in funcs if _body_lines(n) > 60}
    assert not long, f"{path.relative_to(ROOT)}: functions over 60 lines: {long}"
