"""docs/DESIGN.md's layering, read from every import (``ast``: lazy imports, imports under
``TYPE_CHECKING`` and imports inside functions included).

One test lists every violation at once:

- scratch imports NumPy and the standard library only; torch_impl torch, NumPy and the
  standard library, never scratch or parity;
- inside parity the layers point down: core (``spec``, ``compare``, ``tolerances``,
  ``errors``, ``_util``) <- data <- harness <- check, experiments <- report <- cli, and the
  package's front door (``parity/__init__.py``) sees core, data and harness;
- no two modules import each other, directly or around a longer loop (an import cycle);
- no ``assert`` in library code (it vanishes under ``python -O``);
- a module holds one idea: no module over 1,000 lines (a generous guard, not a line cap).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ("parity.spec", "parity.compare", "parity.tolerances", "parity.errors", "parity._util")
LAYERS = {**dict.fromkeys(CORE, "core"), "parity.data": "data", "parity.harness": "harness",
          "parity.check": "check", "parity.experiments": "experiments",
          "parity.report": "report", "parity.cli": "cli"}  # fmt: skip
MAY_IMPORT = {
    "core": {"core"},
    "data": {"core", "data"},
    "harness": {"core", "data", "harness"},
    "check": {"core", "data", "harness", "check"},
    "experiments": {"core", "data", "harness", "experiments"},
    "report": {"core", "data", "harness", "experiments", "report"},
    "cli": {"core", "data", "harness", "check", "experiments", "report", "cli"},
    "front door": {"core", "data", "harness"},
}
TOP_LEVEL = {"scratch": {"numpy", "scratch"}, "torch_impl": {"torch", "numpy", "torch_impl"}}
TOP_LEVEL_MODULES = 8  # at most this many modules directly in parity/
MAX_MODULE_LINES = 1000
FILES = sorted(p for d in ("scratch", "torch_impl", "parity") for p in (ROOT / d).rglob("*.py"))


def layer(module: str) -> str | None:
    """The layer of a parity module: its longest matching prefix in ``LAYERS``."""
    if module == "parity":
        return "front door"
    hits = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    return LAYERS[max(hits, key=len)] if hits else None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports anywhere in its body, relative imports resolved."""
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
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``graph``: its strongly connected parts of two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def violations() -> list[str]:
    modules = {module_name(p): p for p in FILES}
    graph: dict[str, set[str]] = {}
    problems = []
    for module, path in modules.items():
        top = module.split(".")[0]
        names = imports(path)
        for name in sorted(names):
            head = name.split(".")[0]
            if top in TOP_LEVEL and head not in TOP_LEVEL[top] | sys.stdlib_module_names:
                problems.append(f"{module} imports {name}")
            if top == "parity" and head == "parity":
                theirs = layer(name)
                if theirs is not None and theirs not in MAY_IMPORT[layer(module) or "core"]:
                    problems.append(f"{module} ({layer(module)}) imports {name} ({theirs})")
        # an import names a module, or an attribute of one: keep the longest module prefix
        edges = set()
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                edges.add(name)
        graph[module] = edges
        text = path.read_text(encoding="utf-8")
        asserts = [n.lineno for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Assert)]
        if asserts:
            problems.append(f"{module}: assert on line(s) {asserts}")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            problems.append(f"{module}: over {MAX_MODULE_LINES} lines")
    problems += [f"import cycle: {' -> '.join(part)}" for part in cycles(graph)]
    top_level = sorted(p.name for p in (ROOT / "parity").glob("*.py"))
    if len(top_level) > TOP_LEVEL_MODULES:
        problems.append(f"parity/ holds {len(top_level)} modules: {top_level}")
    return problems


def test_layering():
    assert violations() == []


def test_the_cycle_finder_finds_a_loop():
    # the rule can fail: a three-module loop and a self-contained pair are found, a chain is not
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d"}, "f": {"a"}}
    assert sorted(cycles(graph)) == [["a", "b", "c"], ["d", "e"]]
