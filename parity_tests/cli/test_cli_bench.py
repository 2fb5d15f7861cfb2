"""``nn-parity bench``: the performance page, its files, and the errors of its options."""

from __future__ import annotations

import pytest

from parity.cli import main


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_bench_prints_the_page_and_writes_it(capsys, tmp_path):
    argv = ["bench", "--configs", "tiny", "--dtype", "float32", "--repeats", "1", "--quick"]
    assert main([*argv, "--out", str(tmp_path / "bench")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    head = _cells(next(line for line in lines if line.startswith("| size |")))
    row = dict(
        zip(head, _cells(next(ln for ln in lines if ln.startswith("| tiny |"))), strict=True)
    )
    scratch_ms, torch_ms = float(row["scratch (ms)"]), float(row["torch CPU (ms)"])
    assert scratch_ms > 0 and torch_ms > 0
    # both printed to 2-3 significant digits: the rounding alone can move the ratio by 5%
    assert float(row["scratch / torch CPU"]) == pytest.approx(scratch_ms / torch_ms, rel=0.06)
    assert "**float64**" not in out and "**Speed goals**" in out
    assert f"wrote {tmp_path / 'bench' / 'BENCH.md'}" in out
    assert (tmp_path / "bench" / "bench.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--configs", "huge"],
            "unknown bench config(s) ['huge']; valid: tiny, small, medium, large",
        ),
        (
            ["--configs", "tiny,,small"],
            "empty bench config name in 'tiny,,small'; valid: tiny, small, medium, large",
        ),
        (["--configs", "tiny,"], "empty bench config name in 'tiny,'"),
        (["--configs", "tiny,small,tiny"], "bench config(s) ['tiny'] given more than once"),
        (["--device", "cuda"], "--device cuda needs a CUDA device"),
    ],
    ids=["config", "empty-config", "trailing-comma", "config-twice", "cuda-without-gpu"],
)
def test_bench_bad_option_exits_2_before_measuring(argv, message, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["bench", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("nn-parity: error: ") and message in err
