"""``nn-parity bench``: the ratio table, and an unknown config's error."""

from __future__ import annotations

import pytest

from parity.cli import main


def test_bench_prints_ratios_for_each_config(capsys):
    assert main(["bench", "--configs", "small", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| small |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    scratch_ms, torch_ms, step_ratio = (float(c) for c in cells[3:6])
    assert scratch_ms > 0 and torch_ms > 0
    assert step_ratio == pytest.approx(scratch_ms / torch_ms, rel=0.02)


def test_bench_unknown_config_exits_2(capsys):
    assert main(["bench", "--configs", "huge"]) == 2
    err = capsys.readouterr().err
    assert "unknown bench config" in err and "huge" in err
