"""The measured maxima: ``measured_plugin`` writes one entry per grid cell, atomically, and
``summarize`` reduces them to the worst per (dtype, kind); the suite's hook writes the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import measured_plugin as measured
import pytest
import torch

from parity.compare import compare
from parity.harness.grid import Cell, CellResult
from parity.tolerances import tolerance

ROOT = Path(__file__).resolve().parents[2]


def _result(cell: Cell, errors: dict[str, list[float]]) -> CellResult:
    """A CellResult whose comparisons have the given absolute errors against a 1.0 reference."""
    comparisons = {
        kind: [
            compare(f"{kind}{i}", [1.0 + e], [1.0], tolerance(kind, cell.dtype))
            for i, e in enumerate(errs)
        ]
        for kind, errs in errors.items()
    }
    return CellResult(cell, comparisons)


TANH = Cell("tanh", "deep", "binary", "float64")
RELU = Cell("relu", "shallow", "regression", "float64")
RELU32 = Cell("relu", "shallow", "regression", "float32")


def test_cell_entry_holds_coordinates_verdict_and_maxima_per_kind():
    entry = measured.cell_entry(_result(TANH, {"forward": [1e-15, 4e-15], "curve": [2e-3]}))
    coordinates = [entry[k] for k in ("activation", "depth", "head", "dtype", "device")]
    assert coordinates == ["tanh", "deep", "binary", "float64", "cpu"]
    assert entry["ok"] is False  # a curve off by 2e-3
    assert set(entry["kinds"]) == {"forward", "curve"}
    forward = entry["kinds"]["forward"]
    assert forward["worst"] == "forward1"
    assert forward["scaled"] == pytest.approx(4e-15, rel=1e-3)
    assert forward["max_abs"] == pytest.approx(4e-15, rel=1e-3)
    assert forward["max_rel"] == pytest.approx(4e-15, rel=1e-3)
    assert forward["tol"] == tolerance("forward", "float64").value


def test_write_is_atomic_and_creates_directories(tmp_path):
    path = tmp_path / "a" / "b" / "measured.json"
    cells = {c.id: measured.cell_entry(_result(c, {"forward": [1e-16]})) for c in (TANH, RELU)}
    assert measured.write(path, cells) == path
    assert measured.load(path) == cells
    measured.write(path, {TANH.id: cells[TANH.id]})  # replaces, never appends
    assert list(measured.load(path)) == [TANH.id]
    assert sorted(os.listdir(path.parent)) == ["measured.json"]  # no temporary file left


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "measured.json"
    measured.write(path, {TANH.id: measured.cell_entry(_result(TANH, {"forward": [1e-16]}))})
    before = path.read_text()

    def interrupted(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(measured.os, "replace", interrupted)
    with pytest.raises(OSError, match="disk full"):
        measured.write(path, {RELU.id: measured.cell_entry(_result(RELU, {"forward": [1e-16]}))})
    assert path.read_text() == before
    assert sorted(os.listdir(tmp_path)) == ["measured.json"]  # the temporary file is gone


def test_summarize_gives_the_worst_per_dtype_and_kind(tmp_path):
    results = [
        _result(TANH, {"forward": [1e-15], "curve": [1e-12, 3e-10]}),
        _result(RELU, {"forward": [5e-15], "curve": [2e-11]}),
        _result(RELU32, {"forward": [3e-7]}),
    ]
    path = measured.write(tmp_path / "m.json", {r.cell.id: measured.cell_entry(r) for r in results})
    summary = measured.summarize(path)
    assert list(summary) == [("float32", "forward"), ("float64", "curve"), ("float64", "forward")]
    assert summary[("float64", "forward")]["cell"] == RELU.id
    assert summary[("float64", "forward")]["scaled"] == pytest.approx(5e-15, rel=1e-3)
    assert summary[("float64", "curve")]["cell"] == TANH.id
    assert summary[("float64", "curve")]["worst"] == "curve1"
    assert summary[("float32", "forward")]["max_abs"] == pytest.approx(3e-7, rel=1e-6)


@pytest.mark.parametrize("text", ["not json", '{"cells": {}}', "[1, 2]"])
def test_load_refuses_other_files(tmp_path, text):
    path = tmp_path / "m.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="not a measured-maxima JSON file"):
        measured.summarize(path)


def test_pytest_writes_one_entry_per_grid_cell_run(tmp_path):
    """The real thing: a pytest run of two grid cells (and a CUDA one, skipped without CUDA)."""
    cells = [
        "none-nohidden-regression-float64-cpu",
        "none-nohidden-binary-float32-cpu",
        "none-nohidden-regression-float64-cuda",
    ]
    ran = cells if torch.cuda.is_available() else cells[:2]
    path = tmp_path / "out" / "measured.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    grid_tests = ROOT / "parity_tests" / "harness" / "test_harness_grid.py"
    command += [str(grid_tests), "-k", " or ".join(cells)]
    command += ["--parity-json", str(path)]
    pythonpath = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": pythonpath}
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(path.read_text())
    assert sorted(data["cells"]) == sorted(ran)
    for cell_id, entry in data["cells"].items():
        assert entry["ok"] is True
        assert cell_id == "-".join(
            entry[k] for k in ("activation", "depth", "head", "dtype", "device")
        )
        expected = {"forward", "gradient", "curve", "weights", "outputs"}
        assert set(entry["kinds"]) == expected | (
            {"finite_difference"} if entry["dtype"] == "float64" else set()
        )
