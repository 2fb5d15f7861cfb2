"""The report: the table, the JSON schema, REPORT.md and figures written atomically, zero
shares instead of meaningless relative errors, "yours" and "torch" (never "scratch"), and a
digits-sized check in well under a few seconds."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from parity.check import check
from parity.check.examples import EXAMPLES
from parity.check.rows import STAGES

PNG = b"\x89PNG\r\n\x1a\n"


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


def test_a_digits_sized_check_takes_well_under_a_few_seconds():
    _run("layers")  # torch imported and warm
    start = time.perf_counter()
    report = _run("layers", steps=10)  # 64 rows of digits, 64-32-16-10, 10 training steps
    seconds = time.perf_counter() - start
    assert report.ok and seconds < 3.0, seconds
    assert report.seconds == pytest.approx(seconds, abs=0.2)


def test_scaled_errors_are_finite_numbers_on_agreement():
    report = _run("layers")
    assert all(np.isfinite(r.scaled) and r.scaled <= r.tol for r in report.rows)
