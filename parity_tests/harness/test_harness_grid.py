"""The full parity grid: every activation x depth x head x dtype x device, one test per cell.

``parity.harness.grid.check_cell`` makes every comparison of a cell (forward, every gradient, the
three-way float64 check against central differences, and a lock-step run of at least
``MIN_STEPS`` steps: loss at every step, final weights, test-set outputs); this file only
asserts them and records the measured maxima (``record_measured``, see ``measured_plugin``).
CUDA cells run where a CUDA device is present and are skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import pytest
import torch

from parity.harness.grid import MIN_STEPS, check_cell, grid_cells

_CUDA = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device in this machine"),
]
CELLS = [
    pytest.param(cell, id=cell.id, marks=_CUDA if cell.device == "cuda" else [])
    for cell in grid_cells(devices=("cpu", "cuda"))
]


@pytest.mark.parametrize("cell", CELLS)
def test_cell(cell, record_measured):
    result = check_cell(cell)
    record_measured(result)
    failures = "\n".join(c.message for c in result.failures())
    assert result.ok, (
        f"{cell.id}: {len(result.failures())} comparison(s) over tolerance:\n{failures}"
    )
    kinds = {"forward", "gradient", "curve", "weights", "outputs"}
    if cell.dtype == "float64":
        kinds.add("finite_difference")
    assert set(result.comparisons) == kinds
    assert result.run is not None
    assert len(result.run.candidate.losses) == len(result.run.reference.losses) >= MIN_STEPS
