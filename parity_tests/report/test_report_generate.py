"""``nn-parity report``: a quick report end to end, its regeneration (with ``--jobs 2``), and
its atomic output, also when interrupted with workers running.

The claim experiments and the bench are other modules' (and their tests'); here the report's
``run_claims`` and ``measure_performance`` are replaced by stubs that honour their interfaces,
so these tests time only the report itself. The claims stub is a module-level function: with
``--jobs 2`` it runs in a worker process, which imports this module to find it.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

import parity.report as report
import parity.report.jobs as report_jobs
import parity.report.sections.activations as report_activations
import parity.report.sections.claims as report_claims
import parity.report.sections.grid as report_grid
import parity.report.sections.performance as report_performance
from parity._util.publish import MARKER, output_dir, read_marker
from parity.cli import main
from parity.cli.report import without_jobs
from parity.data import DATASETS
from parity.report import MEASURED_FIGURES, QUICK_CELLS, report_cells, strip_timings
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


_BENCH_RUNS = itertools.count()


def _stub_performance(figures: Path, *, quick: bool, device: str) -> str:
    """Like the bench, a different figure and different numbers on every run."""
    run = next(_BENCH_RUNS)
    (figures / "bench.png").write_bytes(b"\x89PNG bench %d" % run)
    return f"| tiny | {0.05 + run} ms |\n\n![bench](figures/bench.png)"


@pytest.fixture(scope="module")
def quick_reports(tmp_path_factory):
    """The quick report generated twice into the same directory, the second time with
    ``--jobs 2``: (dir, (first, second text), (first, second figures))."""
    mp = pytest.MonkeyPatch()
    mp.setattr(report_claims, "run_claims", _stub_claims)
    mp.setattr(report_performance, "measure_performance", _stub_performance)
    out = tmp_path_factory.mktemp("rep") / "reports"
    texts, figures = [], []
    try:
        for jobs in ("1", "2"):
            assert main(["report", "--quick", "--out", str(out), "--jobs", jobs]) == 0
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


def test_quick_report_opens_with_the_digits_its_worst_errors_table_gives(quick_reports):
    """The line under the title is ⌊−log10⌋ of each dtype's worst scaled error in the
    first table, over the kinds that compare the two sides (not finite differences)."""
    _, (text, _), _ = quick_reports
    first = text.splitlines()[2]
    found = re.fullmatch(
        r"\*\*float64: scratch and torch agree to (\d+) significant digits; float32: (\d+)\.\*\*",
        first,
    )
    assert found, first
    side_labels = {report.KIND_LABELS[k] for k in report.TABLE_KINDS if k != "finite_difference"}
    for dtype, digits in zip(("float64", "float32"), found.groups(), strict=True):
        worst = max(
            float(row[2])
            for row in (line.split(" | ") for line in text.splitlines())
            if len(row) > 2 and row[0] == f"| {dtype}" and row[1] in side_labels
        )
        # the table prints two digits: the exact error lies within 5% of what it shows
        bounds = {math.floor(-math.log10(worst * f)) for f in (0.95, 1.05)}
        assert int(digits) in bounds, (dtype, worst)


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
        "## Performance",
        "## Timings",
    ):
        assert heading in text, heading
    links = re.findall(r"\]\((figures/[^)]+\.png)\)", text)
    assert {"figures/activations.png", "figures/claim_stub.png", "figures/bench.png"} <= set(links)
    assert {f"figures/boundary_{n}.png" for n in report.BOUNDARY_DATASETS} <= set(links)
    assert any(link.startswith("figures/curves_") for link in links)
    for link in links:
        assert (out / link).is_file(), link
    for name in DATASETS:  # every dataset has a metric row
        assert re.search(rf"^\| {name} \| ", text, re.M), name
    for kind in KINDS:  # the worst-error table covers every kind of quantity
        assert report.KIND_LABELS[kind] in text
    assert "torch intra-op threads | 1 |" in text
    assert not list(out.parent.glob(".*.nn-parity*"))  # the staging directory is gone


def test_contents_links_every_section_heading_in_order(quick_reports):
    _, (text, _), _ = quick_reports
    contents = next(line for line in text.splitlines() if line.startswith("Contents: "))
    anchors = re.findall(r"\]\(#([^)]+)\)", contents)
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert anchors == [report.anchor(h) for h in headings]
    assert anchors[-2:] == ["performance", "timings"] and "the-seeds-claims" in anchors


def test_regeneration_with_jobs_2_changes_only_the_measured_times(quick_reports):
    """Markdown apart from Performance and Timings, and every figure but the bench's, are
    byte-identical between ``--jobs 1`` and a regeneration with ``--jobs 2``."""
    _, (first, second), (figs1, figs2) = quick_reports
    assert first != second  # the stubbed bench and the timings did change...
    assert strip_timings(first) == strip_timings(second)  # ...and only they
    assert "| tiny |" not in strip_timings(first) and "## Environment" in strip_timings(first)
    assert "--jobs" not in strip_timings(second)  # the recorded command leaves it out
    assert figs1.keys() == figs2.keys()
    for name in figs1.keys() - set(MEASURED_FIGURES):
        assert figs1[name] == figs2[name], f"{name} differs between regenerations"


@pytest.mark.parametrize(
    ("command", "recorded"),
    [
        ("nn-parity report --jobs 2 --quick", "nn-parity report --quick"),
        ("nn-parity report --quick --jobs=4", "nn-parity report --quick"),
        ("nn-parity report --jo 3 --out 'a b'", "nn-parity report --out 'a b'"),
        ("nn-parity report --out /tmp/r", "nn-parity report --out /tmp/r"),
    ],
)
def test_recorded_command_leaves_out_jobs(command, recorded):
    assert without_jobs(command) == recorded


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_jobs_must_be_a_positive_integer(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["report", "--quick", "--out", str(tmp_path / "r"), "--jobs", value])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        f"nn-parity: error: argument --jobs: expected a positive integer, got '{value}' "
        "(see nn-parity report --help)\n"
    )
    assert not (tmp_path / "r").exists()


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
    assert not list(out.parent.glob(".*.nn-parity*"))


def test_interrupt_with_workers_running_keeps_the_report_and_leaves_no_process(
    quick_reports, monkeypatch, capsys
):
    """Ctrl-C (or SIGTERM, which ``main`` turns into the same KeyboardInterrupt) while the
    workers run the grid: exit 130, the previous report intact, every worker gone."""
    out = quick_reports[0]
    before = (out / "REPORT.md").read_bytes()
    spawned = []

    def interrupted(futures):
        spawned.extend(multiprocessing.active_children())
        raise KeyboardInterrupt

    monkeypatch.setattr(report_jobs, "as_completed", interrupted)
    assert main(["report", "--quick", "--out", str(out), "--jobs", "2"]) == 130
    assert "interrupted; nothing was written" in capsys.readouterr().err
    assert len(spawned) >= 2  # the workers were running when the interrupt came
    assert not any(p.is_alive() for p in spawned)
    assert multiprocessing.active_children() == []
    assert (out / "REPORT.md").read_bytes() == before
    assert not list(out.parent.glob(".*.nn-parity*"))


def test_report_out_must_be_a_directory(tmp_path, capsys):
    target = tmp_path / "REPORT"
    target.write_text("a file")
    assert main(["report", "--quick", "--out", str(target)]) == 2
    assert capsys.readouterr().err.startswith("nn-parity: error: --out")
    assert target.read_text() == "a file"


def test_publish_swaps_figures_whole_and_keeps_other_entries(tmp_path):
    dest = tmp_path / "reports"
    for figure in ("old.png", "new.png"):
        with output_dir(dest, "--out", "report") as staging:
            (staging.staged / "figures").mkdir()
            (staging.staged / "figures" / figure).write_text(figure)
            (staging.staged / "REPORT.md").write_text("# report")
            staging.commit()
        (dest / "README.txt").write_text("keep me")  # the user's: not in the marker
    assert sorted(p.name for p in dest.iterdir()) == [MARKER, "README.txt", "REPORT.md",
                                                       "figures"]  # fmt: skip
    assert [p.name for p in (dest / "figures").iterdir()] == ["new.png"]
    assert list(tmp_path.iterdir()) == [dest]  # staging (and the old figures) removed


def test_the_committed_reports_are_marked_as_a_reports_output():
    """``nn-parity report --out reports`` (the maintainer's command) replaces the committed
    ``reports/``: it carries the marker of a report, as does ``reports/cuda``."""
    for path in (ROOT / "reports", ROOT / "reports" / "cuda"):
        marker = read_marker(path)
        assert marker is not None and marker["command"] == "report", path
        assert marker["files"] == ["REPORT.md", "figures"]
        assert {"REPORT.md", "figures"} <= {p.name for p in path.iterdir()}


def test_defect9_report_into_a_directory_of_the_users_is_refused(tmp_path, capsys):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "thesis_plot.txt").write_text("mine")
    assert main(["report", "--quick", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nn-parity: error: --out '{tmp_path}' holds files nn-parity did not "
                          "write ('figures'; no .nn-parity.json)")  # fmt: skip
    assert (tmp_path / "figures" / "thesis_plot.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures"]


ROOT = Path(__file__).resolve().parents[2]


def test_without_out_the_report_goes_to_the_git_ignored_out_report(tmp_path, monkeypatch):
    """The README's set-up command (``nn-parity report``, no ``--out``) must not rewrite the
    committed ``reports/``: it writes ``out/report`` under the working directory."""
    from parity.cli.report import DEFAULT_OUT
    from parity.report import ReportOptions, ReportResult

    asked = []

    def fake_generate(options, *, stream=None):
        asked.append(options)
        return ReportResult(Path(options.out) / "REPORT.md", 0, 0, 0, 0, {"total": 0.0})

    monkeypatch.setattr(report, "generate", fake_generate)
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--quick"]) == 0
    (options,) = asked
    assert options.out == Path(DEFAULT_OUT) == Path("out/report") == ReportOptions().out
    assert not (tmp_path / "reports").exists()
    assert main(["report", "--quick", "--out", "reports"]) == 0  # the maintainer's command
    assert asked[-1].out == Path("reports")


def test_the_default_out_is_ignored_by_git_and_reports_is_not():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    git = ["git", "-C", str(ROOT), "check-ignore", "-q", "--no-index"]
    try:
        ignored = subprocess.run([*git, "out/report/REPORT.md"], check=False).returncode
    except FileNotFoundError:
        pytest.skip("git is not installed")
    assert ignored == 0
    assert subprocess.run([*git, "reports/REPORT.md"], check=False).returncode == 1


def test_report_help_states_no_durations(capsys):
    """Durations depend on the machine and its load: the help says "minutes on a 2-core
    machine" and points at the Timings section, never a number of seconds."""
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert not re.search(r"\d+\s*(s|sec|seconds|min|minutes)\b", text), text
    assert "minutes on a 2-core machine" in text and "out/report" in text
