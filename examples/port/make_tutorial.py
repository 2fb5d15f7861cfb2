"""Regenerate the generated parts of docs/TUTORIAL.md from the scripts in this folder.

    python examples/port/make_tutorial.py          # rewrite docs/TUTORIAL.md in place
    python examples/port/make_tutorial.py --check  # exit 1, with a diff, if the page is stale
    python examples/port/make_tutorial.py --json   # the fresh outputs, for the tests

The page marks each generated part with a comment that says what it holds::

    <!-- generated: diff step1_numpy.py step2_tensors.py -->   the diff between two scripts
    <!-- generated: excerpt step1_numpy.py forward -->         one function of a script
    <!-- generated: output step1_numpy.py -->                  what the script prints
    <!-- generated: check check_numpy.py ARGS -->              nn-parity check's output
    ...
    <!-- end generated -->

Everything between the two comments is rewritten; the prose around them is not touched.
The steps run in this one process, each as ``__main__`` in a fresh namespace (one torch
import for all six). The check's table holds scaled errors near 1e-16 that another BLAS
kernel changes, a timing and torch's version: :func:`comparable` masks those three when the
page is compared with a fresh run, and a page that differs only there is left as it is.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import json
import os
import re
import runpy
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PAGE = ROOT / "docs" / "TUTORIAL.md"
STEPS = (
    "step1_numpy.py",
    "step2_tensors.py",
    "step3_autograd.py",
    "step4_module.py",
    "step5_optim.py",
    "step6_dataloader.py",
)
PART = re.compile(r"(<!-- generated: (.+?) -->\n)(.*?)(<!-- end generated -->)", re.DOTALL)
SHOWN = "examples/port"  # how a script's path is written on the page


def run_script(name: str) -> str:
    """What ``python examples/port/NAME`` prints, run here as ``__main__``."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))  # as python does for the script's own folder
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(HERE / name), run_name="__main__")
    return out.getvalue()


def run_check(args: list[str]) -> str:
    """What ``nn-parity check ARGS`` prints, with its exit status when it is not 0."""
    from parity.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["check", *args])
    return out.getvalue() + (f"(exit status {status})\n" if status else "")


def _check_args(spec: str) -> list[str]:
    file, *options = spec.split()
    return [f"{SHOWN}/{file}", *options]


def fresh_outputs(page: str) -> dict[str, str]:
    """Every output the page shows (``output`` and ``check`` parts), from a fresh run."""
    import torch

    # One thread, as nn-parity's own commands default to: on a busy machine with a few
    # cores, thread pools spinning up for these tiny matrices make torch many times slower.
    torch.set_num_threads(1)
    outputs = {}
    for match in PART.finditer(page):
        kind, _, spec = match.group(2).partition(" ")
        if kind == "output":
            outputs[match.group(2)] = run_script(spec)
        elif kind == "check":
            outputs[match.group(2)] = run_check(_check_args(spec))
    return outputs


def _diff(a: str, b: str) -> str:
    lines = difflib.unified_diff(
        (HERE / a).read_text().splitlines(),
        (HERE / b).read_text().splitlines(),
        f"{SHOWN}/{a}",
        f"{SHOWN}/{b}",
        lineterm="",
    )
    return "```diff\n" + "\n".join(lines) + "\n```\n"


def _excerpt(file: str, name: str) -> str:
    """One top-level function of ``file``, as a ``py`` excerpt (parity_tests/test_docs.py
    checks that it still quotes the file)."""
    text = (HERE / file).read_text()
    node = next(
        n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == name
    )
    body = text.splitlines()[node.lineno - 1 : node.end_lineno]
    return "```py\n" + "\n".join([f"# {SHOWN}/{file}: {name}", *body]) + "\n```\n"


def _part(spec: str, outputs: dict[str, str]) -> str:
    kind, _, rest = spec.partition(" ")
    if kind == "diff":
        return _diff(*rest.split())
    if kind == "excerpt":
        return _excerpt(*rest.split())
    if kind == "output":
        return f"```text\n$ python {SHOWN}/{rest}\n{outputs[spec]}```\n"
    if kind == "check":
        command = " ".join(["nn-parity check", *_check_args(rest)])
        return f"```text\n$ {command}\n{outputs[spec]}```\n"
    raise ValueError(f"unknown generated part {spec!r}: diff, excerpt, output or check")


def render(page: str, outputs: dict[str, str]) -> str:
    """``page`` with every generated part rebuilt from the scripts and ``outputs``."""
    return PART.sub(lambda m: m.group(1) + _part(m.group(2), outputs) + m.group(4), page)


def comparable(page: str) -> str:
    """``page`` with what differs between machines masked: scaled errors in scientific
    notation (BLAS kernels), the check's timing and torch's version."""
    page = re.sub(r"\d\.\de[-+]\d\d", "#.#e-##", page)
    page = re.sub(r"\(checked in [\d.]+ s\)", "(checked in # s)", page)
    return re.sub(r"torch \d[\w.+]*", "torch #", page)


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file renamed over it)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    if argv not in ([], ["--check"], ["--json"]):
        print(f"usage: python {SHOWN}/make_tutorial.py [--check | --json]", file=sys.stderr)
        return 2
    page = PAGE.read_text(encoding="utf-8")
    outputs = fresh_outputs(page)
    if argv == ["--json"]:
        print(json.dumps(outputs, indent=1))
        return 0
    fresh = render(page, outputs)
    if comparable(fresh) == comparable(page):
        print(f"{PAGE.relative_to(ROOT)} is current")
        return 0
    if argv == ["--check"]:
        diff = difflib.unified_diff(page.splitlines(), fresh.splitlines(), "committed", "fresh")
        print("\n".join(diff))
        print(f"{PAGE.relative_to(ROOT)} is stale: run python {SHOWN}/make_tutorial.py")
        return 1
    _write(PAGE, fresh)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
