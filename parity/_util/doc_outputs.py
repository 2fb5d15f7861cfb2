"""What the teaching pages' code prints, committed under each block and kept true.

Every ```` ```python ```` block of a page runs, in order, in one fresh namespace per page,
with its standard output captured. A block that prints is followed in the page by its
output, as the reader would see it::

    <!-- output -->
    ```text
    ...
    ```

``python -m parity._util.doc_outputs`` runs every page of ``docs/`` and rewrites those
output blocks from the fresh run (adding, updating or removing them); ``--check`` rewrites
nothing and exits 1 naming every block whose committed output differs.
``parity_tests/test_docs.py`` runs each page once, through :func:`run_blocks`, both to
check that the blocks run and that their committed outputs match.

A committed output matches a fresh one when the texts are equal after :func:`normalized`:
numbers below ``1e-6`` in e-notation (rounding noise, which another BLAS kernel changes; a
page prints such a value as an order of magnitude, this is a safety net for library
tables) all read ``~0``, and torch's version string reads ``torch X``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity._util.publish import output_file

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*\n?", re.MULTILINE | re.DOTALL)
MARK = "<!-- output -->"
OUTPUT = re.compile(r"\n*" + re.escape(MARK) + r"\n```text\n(.*?)^```[ \t]*\n?", re.M | re.S)
COMMAND = "python -m parity._util.doc_outputs"


@dataclass(frozen=True)
class Block:
    """One ```` ```python ```` block of a page, and the output block under it (if any)."""

    code: str
    line: int  # 1-based page line of the block's first code line
    end: int  # offset just after the block's closing fence (and its newline)
    output: str | None  # the committed output, None where the page shows none
    output_end: int  # offset just after the output block; ``end`` where there is none


def python_blocks(text: str) -> list[Block]:
    """The ```` ```python ```` blocks of a page's ``text``, with their committed outputs."""
    found = []
    for match in FENCE.finditer(text):
        if match.group(1) != "python":
            continue
        line = text.count("\n", 0, match.start(2)) + 1
        out = OUTPUT.match(text, match.end())
        output, output_end = (out.group(1), out.end()) if out else (None, match.end())
        found.append(Block(match.group(2), line, match.end(), output, output_end))
    return found


def shown(page: Path) -> str:
    """``page`` relative to the repository, for a message."""
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else str(page)


def run_blocks(page: Path) -> list[str]:
    """Exec ``page``'s python blocks in order in one fresh namespace; each block's stdout.

    Raises ``AssertionError`` naming ``page:line`` of the failing statement (and the line
    where its block starts) when a block raises or asserts.
    """
    namespace: dict[str, Any] = {"__name__": f"docs.{page.stem}"}
    outputs = []
    for block in python_blocks(page.read_text(encoding="utf-8")):
        # pad with blank lines so that tracebacks carry the page's own line numbers
        code = compile("\n" * (block.line - 1) + block.code, str(page), "exec")
        captured = io.StringIO()
        try:
            with contextlib.redirect_stdout(captured):
                exec(code, namespace)
        except Exception as err:
            tb = traceback.extract_tb(err.__traceback__)
            line = next((f.lineno for f in reversed(tb) if f.filename == str(page)), block.line)
            raise AssertionError(
                f"{shown(page)}:{line}: the python block starting at line {block.line} "
                f"failed: {type(err).__name__}: {err}"
            ) from err
        outputs.append(captured.getvalue())
    return outputs


def normalized(output: str) -> str:
    """``output`` with rounding noise and torch's version masked (see the module's doc)."""
    output = re.sub(r"torch \d+\.\d+\S*", "torch X", output)

    def tiny(match: re.Match[str]) -> str:
        return "~0" if abs(float(match.group(0))) < 1e-6 else match.group(0)

    return re.sub(r"(?<![\w.])-?\d(?:\.\d+)?e[-+]\d+", tiny, output)


def stale(page: Path, outputs: list[str]) -> list[str]:
    """One line per block of ``page`` whose committed output is not ``outputs``' (fresh)."""
    problems = []
    for block, fresh in zip(python_blocks(page.read_text(encoding="utf-8")), outputs, strict=True):
        where = f"{shown(page)}:{block.line}"
        if block.output is None and fresh:
            problems.append(f"{where}: the block prints, and the page shows no output")
        elif block.output is not None and not fresh:
            problems.append(f"{where}: the page shows an output, and the block prints nothing")
        elif block.output is not None and normalized(block.output) != normalized(fresh):
            problems.append(
                f"{where}: the committed output is not a fresh run's:\n"
                f"--- committed\n{block.output}--- fresh\n{fresh}"
            )
    return problems


def rendered(text: str, outputs: list[str]) -> str:
    """The page ``text`` with each python block followed by its output (none if empty); a
    committed output that matches the fresh one (:func:`normalized`) is kept as it is."""
    parts, start = [], 0
    for block, output in zip(python_blocks(text), outputs, strict=True):
        parts.append(text[start : block.end])
        if block.output is not None and normalized(block.output) == normalized(output):
            output = block.output
        if output:
            parts.append(f"\n{MARK}\n```text\n{output.rstrip()}\n```\n")
        start = block.output_end
    parts.append(text[start:])
    return "".join(parts)


def pages() -> list[Path]:
    """The teaching pages whose outputs are committed: ``docs/*.md``."""
    return sorted(DOCS.glob("*.md"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=COMMAND, description="Rewrite the output block under every python block of docs/."
    )
    parser.add_argument("--check", action="store_true", help="rewrite nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    problems = []
    for page in pages():
        outputs = run_blocks(page)
        if args.check:
            problems += stale(page, outputs)
            continue
        text = page.read_text(encoding="utf-8")
        new = rendered(text, outputs)
        if new != text:
            with output_file("page", page) as f:
                f.commit(new)
            print(f"rewrote {shown(page)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} stale output block(s): run {COMMAND}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
