"""The report: the table, the JSON schema, REPORT.md and figures written atomically, zero
shares instead of meaningless relative errors, "yours" and "torch" (never "scratch"), short
table cells with the full text in the summary and the JSON, readable figures."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from parity.check import check
from parity.check.examples import EXAMPLES
from parity.check.report import ellipsize, short
from parity.check.rows import STAGES

PNG = b"\x89PNG\r\n\x1a\n"
EXTERNAL = Path(__file__).resolve().parent / "external"


def _run(name, **kw):
    example = EXAMPLES[name]
    return check(example.build(), **{**example.check, **kw})


def test_json_schema_of_a_mismatch():
    doc = json.loads(_run("layers-relu-mask").to_json())
    assert doc["ok"] is False
    assert set(doc["first_divergence"]) >= {"stage", "name", "diagnosis"}
    assert doc["first_divergence"]["stage"] == "backward"
    assert doc["first_divergence"]["name"] == "layers[3]"
    assert doc["first_divergence"]["diagnosis"].startswith("ReLU mask")
    for row in doc["rows"]:
        assert {"stage", "name", "scaled", "tol", "ok"} <= set(row)
        assert row["stage"] in STAGES and isinstance(row["ok"], bool)
        assert row["scaled"] is None or isinstance(row["scaled"], float)
    assert [r["status"] for r in doc["rows"]].count("FIRST DIVERGENCE") == 1


def test_json_schema_of_an_agreement():
    doc = json.loads(_run("functional").to_json())
    assert doc["ok"] is True and doc["first_divergence"] is None
    assert all(r["ok"] for r in doc["rows"])
    assert doc["verdict"].startswith("agrees")


def test_the_table_marks_the_first_divergence_and_says_yours_and_torch():
    report = _run("layers-tanh-from-input")
    text = report.table()
    assert text.count(">> FIRST DIVERGENCE") == 1
    assert "diagnosis: tanh derivative taken from the input" in text
    assert "fix:" in text and "docs/PORTING.md#" in text
    assert "inherited" in text  # rows below the root fail only end to end
    everything = (text + report.to_json()).lower()
    assert "yours" in everything and "torch" in everything and "scratch" not in everything


def test_where_torch_is_exactly_zero_the_share_of_nonzero_is_reported():
    report = _run("layers-relu-mask")
    row = report.rows[report.first_divergence.row]
    assert 0 < row.tf.zero_share < 1
    assert row.tf.max_rel < 1e6  # over torch's non-zero entries only: no 1e+298


def test_write_is_complete_and_replaces_the_previous_output(tmp_path):
    out = tmp_path / "check"
    _run("functional-ema-momentum").write(out)
    names = {p.name for p in (out / "figures").iterdir()}
    assert names == {"scaled_error.png", "divergence_scatter.png", "divergence_heatmap.png",
                     "loss_curves.png"}  # fmt: skip
    for png in (out / "figures").iterdir():
        assert png.read_bytes().startswith(PNG)
    md = (out / "REPORT.md").read_text()
    assert all(f"figures/{n}" in md for n in names) and "FIRST DIVERGENCE" in md
    assert json.loads((out / "check.json").read_text())["ok"] is False
    _run("functional", steps=0).write(out)  # no steps, no divergence: one figure stays
    assert {p.name for p in (out / "figures").iterdir()} == {"scaled_error.png"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["check"]  # no staging left behind


def test_a_failed_write_leaves_the_previous_output_intact(tmp_path, monkeypatch):
    out = tmp_path / "check"
    _run("functional").write(out)
    before = (out / "REPORT.md").read_text()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("parity.check.figures.write_figures", broken)
    with pytest.raises(OSError, match="disk full"):
        _run("layers-relu-mask").write(out)
    assert (out / "REPORT.md").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["check"]


def test_a_check_records_its_own_duration():
    # timings belong to the benchmark (nn-parity bench), not to a test on a loaded machine
    start = time.perf_counter()
    report = _run("layers", steps=10)  # 64 rows of digits, 64-32-16-10, 10 training steps
    seconds = time.perf_counter() - start
    assert report.ok
    assert 0 < report.seconds <= seconds
    assert json.loads(report.to_json())["seconds"] == round(report.seconds, 3)


def test_a_first_check_does_not_import_sympy_sklearn_or_matplotlib():
    """torch's ``y.backward(G)`` imports sympy (~0.7 s) for a symbolic shape check the first
    time an explicit gradient is passed; the teacher-forced reference and the ``Torch``
    adapter avoid that call (torch.optim's torch._dynamo imports it anyway: the floor of any
    training step). The default multiclass dataset (digits) is read without scikit-learn,
    and no figure is drawn."""
    code = (
        "import sys, numpy as np\n"
        "from parity.check import Functional, check\n"
        "from parity.check.examples import layers_net as L\n"
        "from torch import nn\n"
        "from parity.check import Torch\n"
        "from parity.check.examples import functional_net as F, torch_port as T\n"
        "from parity.check import Layers\n"
        "rng = np.random.default_rng(0)\n"
        "r = check(Layers(L.build((6, 5, 3)), L.SoftmaxCrossEntropy()),\n"
        "          X=rng.normal(size=(16, 6)), y=rng.integers(0, 3, 16))\n"
        "port = Torch(T.model_from(F.init_params((64, 32, 10))), nn.CrossEntropyLoss())\n"
        "assert r.ok and check(port, dataset='digits').ok\n"
        "print(sorted(m for m in ('sympy', 'sklearn', 'matplotlib') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def _external(name):
    from parity.check.adapters.loader import load_implementation

    return load_implementation(f"{EXTERNAL}/{name}")


def test_an_exception_is_the_root_cause_in_full_and_later_rows_are_not_run():
    report = check(_external("nnfs_deep.py:bug_relu_class_cache"))
    d = report.first_divergence
    message = "size of corresponding boolean axis is 16"
    assert (d.name, d.diagnosis.pattern) == ("layers[3]", "raised")
    assert d.diagnosis.text.startswith("your code raised IndexError: boolean index")
    assert message in d.diagnosis.text and "only in the chain" in d.diagnosis.text
    doc = json.loads(report.to_json())
    assert message in doc["first_divergence"]["diagnosis"]
    table = report.table()
    assert "raised IndexError" in table and "raised in layers[3].back " not in table
    not_run = [r for r in report.rows if r.status == "not run"]
    assert len(not_run) == 7 and all(r.diagnosis is None for r in not_run)
    assert "no known pattern" not in table


def test_a_layer_wrong_only_in_the_chain_is_described_with_end_to_end_numbers():
    report = check(_external("nnfs_deep.py:bug_relu_class_cache_same_widths"))
    d = report.first_divergence
    assert d.diagnosis.pattern == "wrong_only_in_chain"
    assert d.diagnosis.text.startswith("correct on its own, wrong only in the chain")
    assert "max abs 0," not in d.diagnosis.text  # the teacher-forced numbers are all zero
    assert "yours non-zero at 51% of torch's exact zeros" in d.diagnosis.text


@pytest.mark.parametrize(
    ("problem", "cell"),
    [("raised in layers[3].backward: IndexError: boolean index did not match (a.py:9)",
      "raised IndexError"),
     ("not run: layers[3].backward raised", "not run"),
     ("shape (64, 48) where torch's is (1, 48)", "shape (64, 48)"),
     ("your gradient has shape (3,), the parameter (1, 3)", "shape (3,)"),
     ("yours is not numeric (dtype object)", "yours is not numeric…"),
     ("every probed entry sits at a kink of your loss", "every probed entry sits…")],
)  # fmt: skip
def test_table_cells_are_short_and_cut_at_a_word(problem, cell):
    assert short(problem) == cell
    assert len(cell) <= 24


def test_ellipsize_never_cuts_a_word():
    assert ellipsize("1 entries at a kink skipped", 24) == "1 entries at a kink…"
    assert ellipsize("short", 24) == "short"


def test_scatter_tick_labels_do_not_overlap():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from parity.check.figures import _readable_ticks

    torch_values = np.linspace(-0.0125, 0.0075, 10)  # default ticks: "-0.0150" ... overlap
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(torch_values, 0.5 * torch_values)
    _readable_ticks(ax)
    fig.tight_layout()
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.get_xticklabels() if t.get_text()]
    plt.close(fig)
    assert len(boxes) <= 6
    assert not any(a.overlaps(b) for a, b in itertools.pairwise(boxes))


def test_scaled_errors_are_finite_numbers_on_agreement():
    report = _run("layers")
    assert all(np.isfinite(r.scaled) and r.scaled <= r.tol for r in report.rows)


def test_scaled_error_figure_labels_every_row_in_full(monkeypatch, tmp_path):
    """One line per row, top to bottom in the table's order, each label whole (the longest,
    "... gradient vs your own loss", included)."""
    from parity.check import figures

    drawn = []
    monkeypatch.setattr(figures, "_save", lambda fig, path: drawn.append(fig) or "")
    report = _run("layers-relu-mask")
    figures.scaled_errors(report, tmp_path / "scaled_error.png")
    (fig,) = drawn
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [r.label for r in report.rows]
    assert any(label.endswith("vs your own loss") for label in labels)
    low, high = ax.get_ylim()
    assert high < low  # the first row at the top
    figures._plt().close(fig)
