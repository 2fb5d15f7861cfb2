"""The teaching pages in ``docs/`` cannot drift from the code.

* Every ```` ```python ```` block in ``docs/*.md`` and the README runs, in order, in one
  fresh namespace per page; a failure names the page and the line of the failing statement.
  Under ``docs/`` each block that prints shows its output in the page, and that output is
  the one the same run prints (``python -m parity._util.doc_outputs`` rewrites them).
* CHECK.md's ``mynet.py`` is a whole file: the page's command line checks it.
* Every ```` ```py ```` block is an excerpt: its first line is ``# path: Name`` and its other
  non-blank lines must appear, in order and contiguously (``...`` marks an elision; blank
  lines and indentation are not compared), in that function, class or assignment of that
  file.
* Every relative link (``[text](path)``, ``![alt](path)``, ``#anchor``) outside code points
  to a file or folder that exists, and an anchor to a heading of its page.
* Every dotted code name in the glossary (``scratch.Linear.weight``, ``nn.Linear.weight``...)
  resolves, and the glossary has every term the seed uses.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from parity._util import doc_outputs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]  # the README's API example runs too
FENCE = doc_outputs.FENCE


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language tag, its code and the page line of its code."""

    page: Path
    lang: str
    code: str
    line: int  # 1-based line number of the block's first code line

    @property
    def where(self) -> str:
        return f"{_shown(self.page)}:{self.line}"


def blocks(page: Path, lang: str) -> list[Block]:
    """The blocks of ``page`` fenced with ```` ```lang ````."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        if match.group(1) == lang:
            line = text.count("\n", 0, match.start(2)) + 1
            found.append(Block(page, lang, match.group(2), line))
    return found


def test_pages_exist():
    names = {p.name for p in PAGES}
    assert {"PORTING.md", "GLOSSARY.md", "DESIGN.md", "README.md"} <= names
    for page in PAGES:
        if page.name in ("PORTING.md", "GLOSSARY.md", "README.md"):
            assert blocks(page, "python"), f"{page.name} has no executed block"


# --------------------------------------------------------------------------- executed blocks


def _shown(page: Path) -> str:
    return doc_outputs.shown(page)


def run_python_blocks(page: Path) -> list[str]:
    """Exec ``page``'s python blocks in order in one fresh namespace; each block's stdout
    (``parity._util.doc_outputs.run_blocks``: a failure names ``page:line``)."""
    return doc_outputs.run_blocks(page)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_blocks_run(page):
    """Each page runs once: its blocks must run, and under docs/ each block that prints
    shows its output, the one a fresh run prints."""
    outputs = run_python_blocks(page)
    if page.parent == DOCS:
        problems = doc_outputs.stale(page, outputs)
        assert not problems, "\n".join(problems) + f"\nrun {doc_outputs.COMMAND}"


def test_a_failing_block_names_its_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n```python\nx = 1\n```\n\ntext\n\n```python\ny = x + 1\nassert y == 3, y\n```\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match=r"page\.md:11: the python block starting at line 10"):
        run_python_blocks(page)


def test_outputs_are_written_under_their_block_and_checked(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n```python\nx = 2\n```\n\ntext\n\n```python\nprint(x * 21)\n```\n\nend\n",
        encoding="utf-8",
    )
    outputs = run_python_blocks(page)
    assert outputs == ["", "42\n"]
    assert doc_outputs.stale(page, outputs) == [
        f"{page}:10: the block prints, and the page shows no output"
    ]
    text = doc_outputs.rendered(page.read_text(encoding="utf-8"), outputs)
    assert "```python\nprint(x * 21)\n```\n\n<!-- output -->\n```text\n42\n```\n\nend\n" in text
    assert doc_outputs.rendered(text, outputs) == text  # a second run changes nothing
    page.write_text(text, encoding="utf-8")
    assert doc_outputs.stale(page, outputs) == []
    page.write_text(text.replace("\n42\n", "\n41\n"), encoding="utf-8")
    (problem,) = doc_outputs.stale(page, outputs)
    assert "committed output is not a fresh run's" in problem and "41" in problem
    page.write_text(text.replace("print(x * 21)", "x * 21"), encoding="utf-8")
    assert "the block prints nothing" in doc_outputs.stale(page, run_python_blocks(page))[0]


def test_rounding_noise_and_torch_version_do_not_make_an_output_stale():
    same = doc_outputs.normalized
    assert same("err 1.9e-16, torch 2.13.0+cpu") == same("err 3.2e-16, torch 2.14.1")
    assert same("err 2e-07") == same("err 9e-08")
    assert same("ratio 3.0e+00") != same("ratio 2.0e+00")
    assert same("loss 7.0e-01") != same("loss 7.1e-01")


# --------------------------------------------------------------------------------- excerpts


def _source_of(path: Path, name: str) -> list[str]:
    """The source lines of the top-level (or ``Class.method``) ``name`` defined in ``path``."""
    text = path.read_text(encoding="utf-8")
    nodes: list[ast.AST] = list(ast.parse(text).body)
    node = None
    for part in name.split("."):
        node = next(
            (
                n
                for n in nodes
                if (isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part)
                or (
                    isinstance(n, (ast.Assign, ast.AnnAssign))
                    and part
                    in [
                        t.id
                        for t in getattr(n, "targets", [getattr(n, "target", None)])
                        if isinstance(t, ast.Name)
                    ]
                )
            ),
            None,
        )
        assert node is not None, f"{name} is not defined in {path.relative_to(ROOT)}"
        nodes = list(getattr(node, "body", []))
    assert node is not None
    return text.splitlines()[node.lineno - 1 : node.end_lineno]  # whole lines, comments too


def _excerpts() -> list[Block]:
    return [b for page in PAGES for b in blocks(page, "py")]


@pytest.mark.parametrize("excerpt", _excerpts(), ids=lambda b: b.where)
def test_excerpts_quote_the_source(excerpt):
    header, *body = excerpt.code.splitlines()
    match = re.fullmatch(r"# (\S+\.py): ([\w.]+)", header.strip())
    assert match, f"{excerpt.where}: an excerpt starts with '# path.py: Name', got {header!r}"
    path, name = ROOT / match.group(1), match.group(2)
    assert path.is_file(), f"{excerpt.where}: no file {match.group(1)}"
    source = [line.strip() for line in _source_of(path, name) if line.strip()]
    chunks: list[list[str]] = [[]]
    for line in body:
        if line.strip() == "...":
            chunks.append([])
        elif line.strip():
            chunks[-1].append(line.strip())
    start = 0
    for chunk in filter(None, chunks):
        hits = [
            i
            for i in range(start, len(source) - len(chunk) + 1)
            if source[i : i + len(chunk)] == chunk
        ]
        assert hits, (
            f"{excerpt.where}: these lines are not (any more) in {match.group(1)}: {name}:\n"
            + "\n".join(chunk)
        )
        start = hits[0] + len(chunk)


# ------------------------------------------------------------------------------------ links

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _prose(page: Path) -> str:
    """``page`` without its fenced blocks and inline code, where a link is not a link."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives ``page``'s headings: lower case, punctuation dropped, spaces
    as hyphens, a repeated heading numbered (``-1``, ``-2``...)."""
    found: set[str] = set()
    for heading in re.findall(r"^#+ (.+)$", FENCE.sub("", page.read_text(encoding="utf-8")), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        n, unique = 0, slug
        while unique in found:
            n += 1
            unique = f"{slug}-{n}"
        found.add(unique)
    return found


def broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` whose file or anchor does not exist."""
    broken = []
    for target in LINK.findall(_prose(page)):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:...
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target} (no such heading)")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page):
    assert not broken_links(page), f"{_shown(page)}: broken links: {broken_links(page)}"


def test_a_broken_link_is_found(tmp_path):
    (tmp_path / "other.md").write_text("# A heading\n\n## Twice\n\n## Twice\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#a-heading) [ok](other.md#twice-1) [ok](#top) [web](https://x.org/y)\n"
        "`[code](nowhere.md)`\n\n# Top\n\n"
        "[gone](missing.md) [no heading](other.md#nope) ![img](fig.png)\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "missing.md (no such file)",
        "other.md#nope (no such heading)",
        "fig.png (no such file)",
    ]


# --------------------------------------------------------------------------------- glossary

GLOSSARY = DOCS / "GLOSSARY.md"
SEED_TERMS = (
    "神经元", "权重", "偏置", "激活函数", "隐藏层", "前向传播", "反向传播", "损失", "梯度下降",
    "推理", "输入层", "输出层", "线性", "非线性", "回归", "二分类", "多分类", "概率分布",
    "梯度消失", "学习率", "训练", "批次", "小批量", "轮次", "参数", "收敛", "死亡 ReLU",
    "泄漏 ReLU", "Softmax",
)  # fmt: skip
ROOTS = {"nn": "torch.nn", "torch": "torch", "scratch": "scratch", "torch_impl": "torch_impl",
         "parity": "parity"}  # fmt: skip


def _resolves(dotted: str) -> bool:
    """Whether ``dotted`` names a module, class, function or attribute that exists.

    An attribute set on instances (``scratch.Linear.weight``, assigned in ``__init__``; or
    a dataclass field / annotated attribute such as ``nn.Linear.weight``) counts when the
    class declares it, as long as it is the last part of the name.
    """
    head, *parts = dotted.split(".")
    obj: Any = importlib.import_module(ROOTS[head])
    for i, part in enumerate(parts):
        if hasattr(obj, part):
            obj = getattr(obj, part)
        elif isinstance(obj, ModuleType):
            try:
                obj = importlib.import_module(f"{obj.__name__}.{part}")
            except ImportError:
                return False
        elif inspect.isclass(obj) and i == len(parts) - 1:
            annotated = any(part in getattr(c, "__annotations__", {}) for c in obj.__mro__)
            return annotated or f"self.{part} =" in inspect.getsource(obj)
        else:
            return False
    return True


def test_glossary_code_names_resolve():
    text = GLOSSARY.read_text(encoding="utf-8")
    names = sorted(set(re.findall(r"`((?:scratch|torch_impl|parity|nn|torch)\.[\w.]+)`", text)))
    assert len(names) > 40
    missing = [name for name in names if not _resolves(name)]
    assert not missing, f"glossary names that do not exist: {missing}"


def test_glossary_has_the_seed_terms():
    text = GLOSSARY.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    first_cells = " ".join(row.split("|")[1] for row in rows)
    missing = [term for term in SEED_TERMS if term not in first_cells]
    assert not missing, f"seed terms missing from the glossary: {missing}"


def test_resolver_rejects_what_does_not_exist():
    assert _resolves("scratch.Linear.weight") and _resolves("nn.Linear.weight")
    assert not _resolves("scratch.Linear.no_such_thing")
    assert not _resolves("nn.NoSuchLayer")


# ----------------------------------------------------------------------- CHECK.md's mynet.py


def test_check_md_mynet_runs_as_a_file(tmp_path, monkeypatch, capsys):
    """CHECK.md section 7's ``mynet.py`` is a whole file: saved as it is, the page's first
    ``nn-parity check mynet.py ...`` command line passes on it (exit 0)."""
    page = DOCS / "CHECK.md"
    (file,) = [b for b in blocks(page, "python") if b.code.startswith("# mynet.py\n")]
    (tmp_path / "mynet.py").write_text(file.code, encoding="utf-8")
    command = next(
        line for line in page.read_text(encoding="utf-8").splitlines()
        if line.startswith("nn-parity check mynet.py ")
    )  # fmt: skip
    monkeypatch.chdir(tmp_path)
    from parity.cli.main import main

    status = main(shlex.split(command)[1:])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "verdict: agrees" in out
