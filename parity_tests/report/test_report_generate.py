"""``nn-parity report``: a quick report end to end, its regeneration, and its atomic output.

The claim experiments are another module's (and its tests'); here the report's
``run_claims`` is replaced by a stub that honours its interface, so these tests time only the
report itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import parity.report as report
import parity.report.sections.activations as report_activations
import parity.report.sections.claims as report_claims
import parity.report.sections.grid as report_grid
from parity._util.atomic import publish, staging_dir
from parity.cli import main
from parity.data import DATASETS
from parity.report import QUICK_CELLS, report_cells, strip_timings
from parity.tolerances import KINDS


@dataclass
class _Section:
    title: str
    markdown: str
    passed: bool


def _stub_claims(figures_dir: Path, *, quick: bool = False, seed: int = 0, progress=None):
    (figures_dir / "claim_stub.png").write_bytes(b"\x89PNG stub")
    if progress is not None:
        progress(1, 1)
    body = f"Stub claim (quick={quick}, seed={seed}).\n\n![stub](figures/claim_stub.png)"
    return [_Section("Softmax rows sum to one", body, True)]


@pytest.fixture(scope="module")
def quick_reports(tmp_path_factory):
    """The quick report generated twice into the same directory: (dir, first, second text)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(report_claims, "run_claims", _stub_claims)
    out = tmp_path_factory.mktemp("rep") / "reports"
    texts, figures = [], []
    try:
        for _ in range(2):
            assert main(["report", "--quick", "--out", str(out)]) == 0
            texts.append((out / "REPORT.md").read_text(encoding="utf-8"))
            figures.append({p.name: p.read_bytes() for p in (out / "figures").iterdir()})
    finally:
        mp.undo()
    return out, texts, figures


def test_quick_report_lists_every_quick_cell(quick_reports):
    _, (text, _), _ = quick_reports
    cells = report_cells("cpu", ("float64", "float32"), quick=True)
    assert len(cells) == 2 * len(QUICK_CELLS)
    for c in cells:
        row = f"| {c.activation} | {c.depth} | {c.head} | {c.dtype} | {c.device} |"
        assert row in text, row
    assert text.count(" | cpu | ") == len(cells)
    assert f"**All {len(cells)} grid cells agree within tolerance**" in text
    assert "**Quick run**" in text and "nn-parity report --quick --out" in text


def test_quick_report_has_every_section_and_figure(quick_reports):
    out, (text, _), _ = quick_reports
    for heading in (
        "## Worst error per dtype and quantity",
        "## Training curves",
        "## Activations and their derivatives",
        "## Datasets: decision boundaries and test metrics",
        "## The seed's claims",
        "### Softmax rows sum to one",
        "## Every grid cell",
        "## Environment",
        "## Timings",
    ):
        assert heading in text, heading
    links = re.findall(r"\]\((figures/[^)]+\.png)\)", text)
    assert {"figures/activations.png", "figures/claim_stub.png"} <= set(links)
    assert {f"figures/boundary_{n}.png" for n in report.BOUNDARY_DATASETS} <= set(links)
    assert any(link.startswith("figures/curves_") for link in links)
    for link in links:
        assert (out / link).is_file(), link
    for name in DATASETS:  # every dataset has a metric row
        assert re.search(rf"^\| {name} \| ", text, re.M), name
    for kind in KINDS:  # the worst-error table covers every kind of quantity
        assert report.KIND_LABELS[kind] in text
    assert "torch intra-op threads | 1 |" in text
    assert not list(out.parent.glob("*.tmp-*"))  # the staging directory is gone


def test_contents_links_every_section_heading_in_order(quick_reports):
    _, (text, _), _ = quick_reports
    contents = next(line for line in text.splitlines() if line.startswith("Contents: "))
    anchors = re.findall(r"\]\(#([^)]+)\)", contents)
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert anchors == [report.anchor(h) for h in headings]
    assert anchors[-1] == "timings" and "the-seeds-claims" in anchors


def test_regeneration_changes_only_the_timings(quick_reports):
    _, (first, second), (figs1, figs2) = quick_reports
    assert strip_timings(first) == strip_timings(second)
    assert figs1.keys() == figs2.keys()
    for name in figs1:
        assert figs1[name] == figs2[name], f"{name} differs between regenerations"


def test_interrupted_report_keeps_the_previous_one(quick_reports, monkeypatch, capsys):
    out = quick_reports[0]
    before = (out / "REPORT.md").read_bytes()
    figures = sorted(p.name for p in (out / "figures").iterdir())

    def interrupted(curves, figures_dir):
        (figures_dir / "activations.png").write_bytes(b"half a figure")
        raise KeyboardInterrupt

    monkeypatch.setattr(report_grid, "report_cells", lambda *a, **k: [])
    monkeypatch.setattr(report_activations, "plot_activations", interrupted)
    assert main(["report", "--quick", "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert (out / "REPORT.md").read_bytes() == before
    assert sorted(p.name for p in (out / "figures").iterdir()) == figures
    assert (out / "figures" / "activations.png").read_bytes() != b"half a figure"
    assert not list(out.parent.glob("*.tmp-*"))


def test_report_out_must_be_a_directory(tmp_path, capsys):
    target = tmp_path / "REPORT"
    target.write_text("a file")
    assert main(["report", "--quick", "--out", str(target)]) == 2
    assert capsys.readouterr().err.startswith("nn-parity: error: --out")
    assert target.read_text() == "a file"


def test_publish_swaps_directories_and_keeps_other_entries(tmp_path):
    dest = tmp_path / "reports"
    (dest / "figures").mkdir(parents=True)
    (dest / "figures" / "old.png").write_text("old")
    (dest / "README.txt").write_text("keep me")
    with staging_dir(dest) as staged:
        (staged / "figures").mkdir()
        (staged / "figures" / "new.png").write_text("new")
        (staged / "REPORT.md").write_text("# new")
        publish(staged, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["README.txt", "REPORT.md", "figures"]
    assert [p.name for p in (dest / "figures").iterdir()] == ["new.png"]
    assert list(tmp_path.iterdir()) == [dest]  # staging (and the old figures) removed
