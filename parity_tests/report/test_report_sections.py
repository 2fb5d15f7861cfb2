"""The report's parts one at a time: sections, anchors, rendering, figures and environment,
without generating a whole report."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import parity.report as report
import parity.report.sections.claims as report_claims
import parity.report.sections.performance as report_performance
from parity.data import DATASETS
from parity.report import ReportContext, ReportOptions, ReportResult, Section
from parity.tolerances import KINDS


def test_claims_section_lists_every_claims_verdict_then_its_body(monkeypatch, tmp_path):
    sections = [  # what the report reads of the experiments' ClaimSection
        SimpleNamespace(title="Claim A", markdown="body of A", passed=True),
        SimpleNamespace(title="Claim B", markdown="body of B\n", passed=False),
    ]
    monkeypatch.setattr(report_claims, "run_claims", lambda *args, **kwargs: sections)
    ctx = ReportContext(ReportOptions(quick=True), tmp_path, stream=None)
    markdown, verdicts = report.claims_section(ctx).markdown, ctx.claims
    assert verdicts == [True, False]
    assert markdown.startswith("## The seed's claims")
    assert "(`parity/experiments/claims/`, one module per claim)" in markdown
    assert "| Claim A | holds |\n| Claim B | **does not hold** |" in markdown
    assert markdown.endswith("### Claim A\n\nbody of A\n\n### Claim B\n\nbody of B")


def test_activation_derivatives_agree():
    curves = report.activation_curves("cpu")
    assert set(curves) == {"sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"}
    for name, c in curves.items():
        np.testing.assert_allclose(c["d_scratch"], c["d_torch"], rtol=0, atol=1e-15, err_msg=name)
    x, y = curves["sigmoid"]["x"], curves["sigmoid"]["f_scratch"]
    np.testing.assert_allclose(curves["sigmoid"]["d_scratch"], y * (1 - y), rtol=1e-15)
    assert curves["relu"]["d_scratch"][x == 0] == 0  # torch's convention at the kink


def test_dataset_specs_cover_every_dataset():
    assert set(report.DATASET_SPECS) == set(DATASETS)
    assert set(report.TABLE_KINDS) == set(KINDS)
    quick = report.dataset_specs("float64", "cpu", 0, quick=True)
    full = report.dataset_specs("float64", "cpu", 0, quick=False)
    assert list(quick) == list(full) == list(DATASETS)
    assert all(q.epochs < f.epochs for q, f in zip(quick.values(), full.values(), strict=True))
    assert all(spec.task == DATASETS[name].task for name, spec in full.items())


def test_loss_difference_panel_draws_zeros_as_ticks_at_the_floor():
    """Nonzero differences are dots, exact zeros grey ticks at the floor (counted in the
    title), the tolerance a dotted line at tol × the largest loss: no line to the floor."""
    plt = report.use_agg()
    s = np.array([1.0, 0.5, 0.25, 0.125])
    t = s + np.array([0.0, 1e-16, 0.0, 0.0])
    fig, ax = plt.subplots()
    report.plot_loss_difference(ax, s, t, 1e-9)
    dots, ticks, limit = ax.get_lines()
    assert dots.get_linestyle() == "None" and dots.get_marker() == "."
    np.testing.assert_array_equal(dots.get_xdata(), [2])
    assert ticks.get_linestyle() == "None" and ticks.get_marker() == "|"
    np.testing.assert_array_equal(ticks.get_xdata(), [1, 3, 4])
    np.testing.assert_array_equal(ticks.get_ydata(), [report.CURVE_FLOOR] * 3)
    assert limit.get_linestyle() == ":" and limit.get_ydata()[0] == pytest.approx(1e-9)
    assert ax.get_title().endswith("bit-identical at 3 of 4 steps")
    plt.close(fig)


def test_environment_names_torchs_blas_from_its_build():
    import torch

    row = report.torch_cpu_blas()
    blas = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    assert blas is not None
    assert row.lower().startswith(blas.group(1).lower())
    assert "torch's own kernels" in row


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The seed's claims", "the-seeds-claims"),
        ("Datasets: decision boundaries and test metrics",
         "datasets-decision-boundaries-and-test-metrics"),
        ("Worst error per dtype and quantity", "worst-error-per-dtype-and-quantity"),
        ("Step 1 — read_file (float64)", "step-1--read_file-float64"),
    ],
)  # fmt: skip
def test_anchor_is_githubs_anchor_of_the_title(title, expected):
    assert report.anchor(title) == expected
    assert Section(title, "label", "body").anchor == expected


def test_section_markdown_is_heading_over_body_and_lists_its_figures():
    body = "Text.\n\n![a](figures/a.png)\n\n![b, more](figures/b_1.png) and [c](other/c.png)"
    section = Section("Training curves", "curves", body)
    assert section.markdown == f"## Training curves\n\n{body}"
    assert section.figures == ("a.png", "b_1.png")


def test_render_puts_header_then_sections_in_order_with_their_contents_links():
    sections = [Section("First part", "first", "one"), Section("Second: more", "second", "two")]
    sections.append(report.timings_section({"first": 1.25, "total": 1.25}))
    result = ReportResult(Path("r/REPORT.md"), cells=4, cells_failed=1, datasets_failed=0,
                          claims_failed=2, grid_cells=9, datasets=3, claims=5)  # fmt: skip
    text = report.render(ReportOptions(quick=True, command="nn-parity report --quick"), result,
                         sections)  # fmt: skip
    assert text.startswith("# nn-parity report\n")
    assert "**1 of 4 grid cells FAIL their tolerances**" in text
    assert "; 3 of 3 dataset runs agree; 3 of 5 of the seed's claims hold." in text
    assert "> **Quick run** (`--quick`): 4 of the grid's 9 cells" in text
    assert ("Contents: [first](#first-part) · [second](#second-more) · [timings](#timings)\n\n"
            "## First part\n\none\n\n## Second: more\n\ntwo\n\n## Timings\n\n") in text  # fmt: skip
    assert text.endswith("| first | 1.2 |\n| total | 1.2 |\n")
    assert report.strip_timings(text).endswith("## Second: more\n\ntwo\n")


def test_strip_timings_removes_the_performance_and_timings_sections():
    sections = [Section("First part", "first", "one"), Section("Performance", "perf", "1.2 ms")]
    sections.append(report.timings_section({"first": 1.25, "total": 1.25}))
    result = ReportResult(Path("r/REPORT.md"), cells=1, cells_failed=0, datasets_failed=0,
                          claims_failed=0)  # fmt: skip
    text = report.render(ReportOptions(), result, sections)
    assert report.MEASURED_SECTIONS == ("Performance", "Timings")
    assert "[perf](#performance)" in report.strip_timings(text)  # the contents line stays
    assert report.strip_timings(text).endswith("## First part\n\none\n")
    assert "1.2 ms" not in report.strip_timings(text)


def test_performance_section_is_the_bench_measured_now_and_comes_last(monkeypatch, tmp_path):
    """The real bench (its quick configuration), on the tiny size only to stay fast."""
    monkeypatch.setattr(report_performance, "QUICK_CONFIGS", ("tiny",))
    ctx = ReportContext(ReportOptions(quick=True), tmp_path, stream=None)
    section = report.performance_section(ctx)
    assert section.title == "Performance" and section.figures == report.MEASURED_FIGURES
    assert (tmp_path / "bench.png").read_bytes().startswith(b"\x89PNG")
    assert "| tiny | 2-16-16-2 | 32 |" in section.body and "| small |" not in section.body
    assert "**Speed goals**" in section.body and "change from run to run" in section.body
    assert "## " not in section.body  # no heading inside: strip_timings cuts at headings
    assert ctx.seconds["performance"] > 0
    assert report.SECTIONS[-1] is report.performance_section  # the measured part is last


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [("jobs", 0, ValueError), ("jobs", -2, ValueError), ("jobs", 1.5, TypeError),
     ("jobs", True, TypeError), ("threads", 0, ValueError), ("threads", "2", TypeError)],
)  # fmt: skip
def test_report_options_refuse_a_bad_count(field, value, error):
    with pytest.raises(error, match=rf"^{field} must be .*>= 1 .*got .*{value}"):
        ReportOptions(**{field: value})


def test_pending_batches_run_when_finished_each_wait_timed_in_order(tmp_path):
    """A section's figures left ``pending`` (the training curves) are drawn by the time
    ``finish_pending`` returns (with one job: then, here), each wait under its name, and the
    batch is gone; a failing call is raised there."""
    from parity.report.jobs import Workers

    ctx = ReportContext(ReportOptions(quick=True), tmp_path, stream=None)
    drawn: list[int] = []
    ctx.pending["a (figures)"] = Workers().start(drawn.append, [(1,), (2,)])
    ctx.pending["b (figures)"] = Workers().start(drawn.append, [(3,)])
    assert drawn == []  # one job: nothing runs until collected
    ctx.finish_pending()
    assert drawn == [1, 2, 3] and ctx.pending == {}
    assert list(ctx.seconds) == ["a (figures)", "b (figures)"]

    def broken(i: int) -> None:
        raise ValueError(f"figure {i} failed")

    ctx.pending["c (figures)"] = Workers().start(broken, [(4,)])
    with pytest.raises(ValueError, match="figure 4 failed"):
        ctx.finish_pending()
    assert ctx.pending == {}


def test_the_curves_section_leaves_its_figures_pending_under_their_file_names(tmp_path):
    ctx = ReportContext(ReportOptions(quick=True), tmp_path, stream=None)
    ctx.grid = report.run_grid(report.report_cells("cpu", ("float64",), quick=True), stream=None)
    section = report.curves_section(ctx)
    batch = ctx.pending["training curves (figures)"]
    activations = [args[0] for args in batch.items]
    assert activations and not list(tmp_path.iterdir())  # not drawn yet
    assert section.figures == tuple(f"curves_{a}.png" for a in activations)
    ctx.finish_pending()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(section.figures)


# --------------------------------------------------------------------------- digits agreed


def _cell_result(dtype: str, errors: dict[str, float]):
    """A grid result of one cell of ``dtype`` whose comparisons of each kind have ``errors``."""
    from parity.compare import Comparison
    from parity.harness.grid import Cell, CellResult

    cell = Cell("tanh", "shallow", "binary", dtype, "cpu", 0)
    comparisons = {
        kind: [Comparison(f"{kind}[0]", err, err, err, 1.0, True, None)]
        for kind, err in errors.items()
    }
    return CellResult(cell, comparisons)


@pytest.mark.parametrize(
    ("error", "digits"),
    [(2.4e-14, 13), (1e-13, 13), (9.9e-14, 13), (3.3e-6, 5), (2.4e-5, 4), (0.5, 0), (3.0, 0),
     (0.0, None)],
)  # fmt: skip
def test_digits_agreed_is_floor_of_minus_log10_of_the_error(error, digits):
    from parity.report.sections.grid import digits_agreed

    assert digits_agreed(error) == digits


@pytest.mark.parametrize("error", [-1e-16, float("nan"), float("inf")])
def test_digits_agreed_refuses_what_is_not_an_error(error):
    from parity.report.sections.grid import digits_agreed

    with pytest.raises(ValueError, match="error must be a finite number >= 0"):
        digits_agreed(error)


def test_digits_line_takes_the_worst_side_by_side_error_per_dtype():
    """Finite differences compare each side with an approximation, not with each other:
    their larger error does not count."""
    from parity.report.sections.grid import digits_line

    grid = [
        _cell_result("float64", {"forward": 4e-15, "gradient": 2.4e-14, "finite_difference": 1e-9}),
        _cell_result("float64", {"curve": 5e-16, "weights": 1.1e-15}),
        _cell_result("float32", {"forward": 3.3e-6, "outputs": 2.4e-5}),
    ]
    line = digits_line(grid, ("float64", "float32"))
    assert line == "float64: scratch and torch agree to 13 significant digits; float32: 4"
    assert digits_line(grid, ("float32",)) == (
        "float32: scratch and torch agree to 4 significant digits"
    )
    exact = [_cell_result("float64", {"forward": 0.0})]
    assert digits_line(exact, ("float64",)) == "float64: scratch and torch agree bit for bit"
    assert digits_line([], ("float64",)) == ""


def test_render_puts_the_digits_line_right_under_the_title_with_its_definition():
    from parity.report.sections.grid import DIGITS_DEFINITION

    result = ReportResult(Path("r/REPORT.md"), cells=1, cells_failed=0, datasets_failed=0,
                          claims_failed=0)  # fmt: skip
    digits = "float64: scratch and torch agree to 13 significant digits; float32: 4"
    lines = report.render(ReportOptions(), result, [], digits).splitlines()
    assert lines[:5] == ["# nn-parity report", "", f"**{digits}.**", "", DIGITS_DEFINITION]
    assert "⌊−log10 e⌋" in DIGITS_DEFINITION and "finite differences" not in DIGITS_DEFINITION


# --------------------------------------------------------------------------- activations figure


def test_activations_figure_shares_sigmoid_and_tanh_axes_and_zooms_on_leaky_relu(
    monkeypatch, tmp_path
):
    """Sigmoid's f' (at most 1/4) is drawn on tanh's scale (up to 1), and Leaky ReLU's slope
    0.01, flat at the panel's scale, shows in an inset of each of its two panels."""
    import parity.report.sections.activations as activations

    drawn = []
    monkeypatch.setattr(activations, "save_figure", lambda fig, path: drawn.append(fig))
    activations.plot_activations(report.activation_curves("cpu"), tmp_path)
    (fig,) = drawn
    by_title = {ax.get_title().split(":")[0]: ax for ax in fig.axes if ax.get_title()}
    for kind in ("sigmoid", "sigmoid derivative"):
        other = by_title[kind.replace("sigmoid", "tanh")]
        assert by_title[kind].get_ylim() == other.get_ylim()
    assert by_title["sigmoid derivative"].get_ylim()[1] > 0.9  # tanh's peak of 1 fits
    insets = [inset for ax in fig.axes for inset in ax.child_axes]
    assert len(insets) == 2
    assert {ax for ax in fig.axes if ax.child_axes} == {
        by_title["leaky_relu"], by_title["leaky_relu derivative"]}  # fmt: skip
    for inset in insets:
        low, high = inset.get_ylim()
        assert high - low < 0.1  # at this scale a slope or level of 0.01 is visible
        assert inset.get_xlim() == activations.LEAKY_ZOOM
    assert {inset.get_title() for inset in insets} == {
        "zoom: slope 0.01 for x < 0", "zoom: f'(x) = 0.01 for x < 0"}  # fmt: skip
    report.use_agg().close(fig)
