"""The bench's logic: what it measures, how it turns medians into ratios, goals and a page.

No test here asserts a timing: they pin the arithmetic (fused step = scratch step, bit for
bit), the bookkeeping (medians, rotation, ratios, verdicts, columns) and the outputs.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

import scratch
from parity.experiments import bench, bench_page
from parity.experiments.bench import BenchResult, BenchRow
from parity.experiments.bench_steps import LR, Step, batch_pool, initial_state
from parity.experiments.fused import FusedStep, GemmSet, gemm_flops

WIDTHS = (6, 9, 7, 4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_step_is_scratch_train_step_bit_for_bit(dtype):
    state, pool = initial_state(WIDTHS, dtype), batch_pool(WIDTHS, 16, dtype)
    model = scratch.build_model(6, [9, 7], 4, "relu", dtype=dtype)
    model.load_state_dict(state)
    loss_fn, opt = scratch.CrossEntropyLoss(), scratch.SGD(model.parameters(), lr=LR)
    fused = FusedStep(WIDTHS, 16, dtype, state, LR)
    for k in range(6):
        assert fused.step(*pool[k % 4]) == scratch.train_step(model, loss_fn, opt, *pool[k % 4])
    arrays = [a for pair in zip(fused.W, fused.b, strict=True) for a in pair]
    for a, p in zip(arrays, model.parameters(), strict=True):
        assert a.dtype == dtype and a.tobytes() == p.data.tobytes()


def test_gemm_set_is_the_steps_matrix_products():
    gemms = GemmSet(WIDTHS, 16, "float32")
    assert len(gemms.ops) == 3 * 3 - 1  # no input gradient in the first layer
    shapes = [(a.shape, b.shape, out.shape) for a, b, out in gemms.ops]
    assert shapes[:2] == [((16, 6), (6, 9), (16, 9)), ((9, 16), (16, 6), (9, 6))]
    assert shapes[4] == ((16, 7), (7, 9), (16, 9))  # layer 2's input gradient
    gemms.run()
    x, wt, out = gemms.ops[0]
    np.testing.assert_allclose(out, x @ wt, rtol=1e-6)
    assert gemm_flops(WIDTHS, 16) == 2 * 16 * (6 * 9 * 2 + 9 * 7 * 3 + 7 * 4 * 3)


class FakeClock:
    """A clock whose reading advances by ``tick`` per step that ran."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_time_block_cycles_the_pool_and_syncs_once():
    ran, synced, clock = [], [], FakeClock()

    def run(k: int) -> None:
        ran.append(k)
        clock.now += 0.5

    per_step = bench.time_block(Step(run, lambda: synced.append(1)), 6, clock)
    assert ran == [0, 1, 2, 3, 0, 1] and synced == [1] and per_step == 0.5


def test_interleave_reports_medians_the_gemm_peak_and_rotates_the_order(monkeypatch):
    order = []
    blocks = {"a": iter([3.0, 1.0, 2.0]), "gemm": iter([10.0, 30.0, 20.0])}
    monkeypatch.setattr(bench, "calibrate", lambda step, block: 1)

    def fake_block(step: Step, n: int) -> float:
        order.append(step.run(0))
        return next(blocks[step.run(0)])

    monkeypatch.setattr(bench, "time_block", fake_block)
    steps = {name: Step(lambda k, name=name: name) for name in ("a", "gemm")}
    assert bench.interleave(steps, 3, 0.01) == {"a": 2.0, "gemm": 10.0}  # median; best
    assert order == ["a", "gemm", "gemm", "a", "a", "gemm"]


def test_interleave_rests_only_when_the_thread_pool_changes(monkeypatch):
    ran, slept = [], []
    monkeypatch.setattr(bench, "calibrate", lambda step, block: 1)
    monkeypatch.setattr(bench, "time_block", lambda step, n: ran.append(step.run(0)) or 1.0)
    monkeypatch.setattr(bench.time, "sleep", lambda s: slept.append((len(ran), s)))
    pools = {"a": "numpy", "b": "numpy", "t": "torch"}
    steps = {n: Step(lambda k, n=n: n, pool=p) for n, p in pools.items()}
    bench.interleave(steps, 2, 0.01, pause=0.2)
    # calibration a b t, then rounds a b t | b t a: a rest at every numpy <-> torch switch
    assert ran == ["a", "b", "t", "b", "t", "a"]
    assert slept == [(0, 0.2), (0, 0.2), (2, 0.2), (3, 0.2), (4, 0.2), (5, 0.2)]


def test_calibrate_fills_the_block():
    clock_steps = itertools.count()
    step = Step(lambda k: next(clock_steps))
    assert 1 <= bench.calibrate(step, 1e-9) <= 2
    assert bench.calibrate(step, 10.0) == 10_000  # capped


def row(config: str, dtype: str = "float32", **seconds: float) -> BenchRow:
    base = {"scratch": 1.0, "fused": 1.0, "torch": 2.0, "sklearn": 10.0, "gemm": 0.5}
    widths, batch = bench.CONFIGS[config]
    return BenchRow(config, widths, batch, dtype, {**base, **seconds})


def test_ratios_and_shares_come_from_the_medians():
    r = row("large", scratch=0.012, fused=0.010, torch=0.016, sklearn=0.048, gemm=0.0096)
    assert r.ratio("fused") == pytest.approx(1.2)
    assert r.ratio("torch") == pytest.approx(0.75)
    assert r.ratio("sklearn") == pytest.approx(0.25)
    assert r.peak_share() == pytest.approx(0.8)
    assert r.peak_share("fused") == pytest.approx(0.96)
    assert r.gflops == pytest.approx(gemm_flops(*bench.CONFIGS["large"]) / 0.0096 / 1e9)
    assert r.parameters == 785 * 1024 + 1025 * 1024 + 1025 * 10


@pytest.mark.parametrize("cuda", [False, True], ids=["cpu", "cuda"])
def test_table_has_a_column_per_contestant_and_ratio(cuda):
    extra = {"torch_cuda": 0.5} if cuda else {}
    result = BenchResult([row("tiny", **extra), row("small", "float64", **extra)], 3,
                         ("cpu", "cuda") if cuda else ("cpu",), "env")  # fmt: skip
    text = bench_page.table(result, "float32")
    head, rule, *body = text.splitlines()
    cells = [c.strip() for c in head.strip("|").split("|")]
    expected = ["scratch", "fused NumPy", "torch CPU"] + (["torch CUDA"] if cuda else [])
    assert cells[3 : 3 + len(expected)] == [f"{n} (ms)" for n in expected]
    assert ("scratch / torch CUDA" in cells) == cuda
    assert cells[-3:] == ["GEMM share: scratch", "GEMM share: fused", "GEMM GFLOP/s"]
    assert len(body) == 1 and body[0].startswith("| tiny | 2-16-16-2 | 32 | 1000 | 1000 | 2000 |")
    assert rule.count("|") == len(cells) + 1
    values = dict(zip(cells, (c.strip() for c in body[0].strip("|").split("|")), strict=True))
    assert values["scratch / torch CPU"] == "0.50" and values["GEMM share: scratch"] == "50%"


def test_goals_mark_each_cell_and_count_what_is_met():
    rows = [
        row("tiny", scratch=50e-6, fused=40e-6, torch=300e-6, gemm=5e-6),  # 1.25, 0.17
        row("large", scratch=0.010, fused=0.0095, torch=0.0124, gemm=0.0079),  # 1.05, 0.81
    ]
    rows[1] = dataclasses.replace(rows[1], seconds={**rows[1].seconds, "fused": 0.0075})  # 1.33
    text = bench_page.goals_table(BenchResult(rows, 3, ("cpu",), "env"))
    lines = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()[2:]}
    fused = next(v for k, v in lines.items() if k.startswith("scratch / fused"))
    assert "| 1.25 | 1.33 ✗ | 0 of 1 |" in fused  # tiny: reported, not gated
    # plain scratch has one gated goal; scratch against torch, the GEMM peak and the step
    # time are reported beside it, unmarked
    torch = next(v for k, v in lines.items() if k.startswith("for reference: scratch / torch"))
    assert "| 0.17 | 0.81 | – |" in torch
    peak = next(v for k, v in lines.items() if k.startswith("for reference: share of the"))
    assert "| 10% | 79% | – |" in peak
    tiny = next(v for k, v in lines.items() if k.startswith("for reference: scratch step"))
    assert "| 50 µs | 10 ms | – |" in tiny


def test_each_round_is_a_row_of_that_rounds_blocks_with_the_peak_kept():
    rounds = {"scratch": [1.0, 3.0], "fused": [1.0, 2.0], "gemm": [0.5, 0.4]}
    r = dataclasses.replace(row("small"), rounds=rounds)
    first, second = r.each_round()
    assert (first.seconds["scratch"], second.seconds["scratch"]) == (1.0, 3.0)
    assert first.seconds["gemm"] == second.seconds["gemm"] == 0.5  # the median row's peak
    assert (first.ratio("fused"), second.ratio("fused")) == (1.0, 1.5)  # paired, per round
    assert row("small").each_round() == []
    uneven = dataclasses.replace(row("small"), rounds={"scratch": [1.0, 2.0], "fused": [1.0]})
    with pytest.raises(ValueError, match=r"the same rounds, got \[1, 2\]"):
        uneven.each_round()


def test_a_ratio_pairs_the_blocks_of_one_round():
    """Rounds 2 and 3 find the machine slower (both steps slow down, scratch stays 1.1x),
    round 1 has a hiccup in scratch's block: the paired median says 1.1, the ratio of the
    medians (2.2 / 1.5, from different rounds) would say 1.47."""
    rounds = {"scratch": [3.0, 2.2, 1.65], "fused": [1.0, 2.0, 1.5]}
    r = dataclasses.replace(row("small", scratch=2.2, fused=1.5), rounds=rounds)
    assert r.ratio("fused") == pytest.approx(1.1)
    assert row("small", scratch=2.2, fused=1.5).ratio("fused") == pytest.approx(2.2 / 1.5)


def test_goals_show_the_spread_over_rounds_and_count_misses_within_it():
    medium = dataclasses.replace(
        row("medium", scratch=1.6, fused=1.0),  # median ratio 1.6: missed ...
        rounds={"scratch": [1.4, 1.6, 1.7], "fused": [1.0, 1.0, 1.0], "torch": [2.0] * 3},
    )  # ... but one round gives 1.4, under the bound: within the spread
    large = dataclasses.replace(
        row("large", scratch=1.4, fused=1.0),  # missed in every round: not within
        rounds={"scratch": [1.4, 1.4, 1.5], "fused": [1.0, 1.0, 1.0], "torch": [2.0] * 3},
    )
    fused_goal = bench_page.GOALS[0]
    assert fused_goal.spread(medium) == pytest.approx((1.4, 1.7))
    assert fused_goal.cell(medium) == ("1.60 ✗ (1.40–1.70)", False, True)
    assert fused_goal.cell(large)[1:] == (False, False)
    assert fused_goal.cell(row("medium")) == ("1.00 ✓", True, False)  # no rounds, no spread
    result = BenchResult([medium, large], 3, ("cpu",), "env")
    line = bench_page.goals_table(result).splitlines()[2]
    assert line.endswith(
        "| 1.60 ✗ (1.40–1.70) | 1.40 ✗ (1.40–1.50) | 0 of 2; 1 miss within the spread |"
    )
    assert bench_page.SPREAD_NOTE in bench_page.render(result)
    assert bench_page.SPREAD_NOTE not in bench_page.render(BenchResult([row("tiny")], 3))


def test_interleave_rounds_keeps_every_round(monkeypatch):
    blocks = {"a": iter([3.0, 1.0, 2.0]), "gemm": iter([10.0, 30.0, 20.0])}
    monkeypatch.setattr(bench, "calibrate", lambda step, block: 1)
    monkeypatch.setattr(bench, "time_block", lambda step, n: next(blocks[step.run(0)]))
    steps = {name: Step(lambda k, name=name: name) for name in ("a", "gemm")}
    times = bench.interleave_rounds(steps, 3, 0.01)
    assert times == {"a": [3.0, 1.0, 2.0], "gemm": [10.0, 30.0, 20.0]}
    assert bench.summarize(times) == {"a": 2.0, "gemm": 10.0}


def test_goals_end_with_what_the_numpy_yardsticks_reach_against_torch():
    """No bound, no mark: a scratch / torch goal under these is out of any NumPy step's reach."""
    rows = [row("tiny", fused=1.0, torch=4.0, gemm=0.5), row("large", fused=1.0, torch=1.25)]
    lines = bench_page.goals_table(BenchResult(rows, 3, ("cpu",), "env")).splitlines()
    assert lines[-2] == (
        "| for reference: fused NumPy / torch CPU step (float32) | float32 | 0.25 | 0.80 | – |"
    )
    assert lines[-1] == (
        "| for reference: GEMMs alone / torch CPU step (float32) | float32 | 0.12 | 0.40 | – |"
    )
    float64_only = [row("tiny", "float64")]
    assert "for reference" not in bench_page.goals_table(BenchResult(float64_only, 3))


def test_goal_at_its_bound_is_met():
    at_bound = row("medium", scratch=1.5, fused=1.0)
    assert bench_page.GOALS[0].met(at_bound) is True
    assert bench_page.GOALS[0].met(row("large", scratch=1.31, fused=1.0)) is False
    assert bench_page.GOALS[0].met(row("small", scratch=9.0, fused=1.0)) is None  # not gated
    assert len(bench_page.GOALS) == 1  # the rest is reported, not gated
    assert all(ref.met(at_bound) is None for ref in bench_page.REFERENCES)


@pytest.mark.parametrize(
    ("device", "available", "expected"),
    [("cpu", False, ("cpu",)), ("cpu", True, ("cpu",)), ("cuda", True, ("cpu", "cuda"))],
)
def test_torch_devices(device, available, expected):
    assert bench.torch_devices(device, available) == expected


@pytest.mark.parametrize(
    ("device", "match"),
    [("cuda", r"--device cuda needs a CUDA device.*is_available\(\) is False.*--device cpu"),
     ("tpu", "unknown bench device 'tpu'; valid: cpu, cuda")],
)  # fmt: skip
def test_torch_devices_refuses(device, match):
    with pytest.raises(ValueError, match=match):
        bench.torch_devices(device, False)


def test_a_cuda_step_syncs_the_device(monkeypatch):
    """The torch contestant on ``cuda`` ends each block with ``torch.cuda.synchronize``
    (checked without a GPU: the model is built on the CPU, only the device name is cuda)."""
    import torch

    import torch_impl
    from parity.experiments import bench_steps

    build = torch_impl.build_model
    monkeypatch.setattr(torch_impl, "build_model", lambda *a, device, **k: build(*a, **k))
    as_tensor = torch.as_tensor
    monkeypatch.setattr(torch, "as_tensor", lambda x, *a, device=None, **k: as_tensor(x, *a, **k))
    monkeypatch.setattr(torch.cuda, "synchronize", lambda: calls.append("sync"))
    calls: list[str] = []
    state, pool = initial_state(WIDTHS, "float32"), batch_pool(WIDTHS, 8, "float32")
    step = bench_steps.torch_step(WIDTHS, state, pool, "cuda")
    bench.time_block(step, 3)
    assert calls == ["sync"]
    cpu = bench_steps.torch_step(WIDTHS, state, pool, "cpu")
    bench.time_block(cpu, 3)
    assert calls == ["sync"]


def test_every_contestant_runs_from_the_same_start():
    steps = bench.contestants(WIDTHS, 8, "float64", ("cpu",))
    assert list(steps) == ["scratch", "fused", "gemm", "torch", "sklearn"]
    first = {name: steps[name].run(0) for name in ("scratch", "fused", "torch")}
    assert first["scratch"] == first["fused"]
    assert float(first["torch"]) == pytest.approx(first["scratch"], rel=1e-12)
    steps["sklearn"].run(1)
    steps["gemm"].run(2)


def test_page_and_section_write_the_figure(tmp_path, monkeypatch):
    result = BenchResult([row(n, d) for d in bench.DTYPES for n in bench.CONFIGS], 5,
                         ("cpu",), "env line")  # fmt: skip
    (tmp_path / "out").mkdir()
    bench_page.write_page(result, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["BENCH.md", "bench.png"]
    md = (tmp_path / "out" / "BENCH.md").read_text(encoding="utf-8")
    assert "env line" in md and "**float64**" in md and "](bench.png)" in md
    assert (tmp_path / "out" / "bench.png").read_bytes()[:4] == b"\x89PNG"
    monkeypatch.setattr(bench_page, "run_bench", lambda *a, **k: result)
    page = bench_page.performance_section(tmp_path / "figures")
    assert page.figure == tmp_path / "figures" / "bench.png" and page.figure.exists()
    assert "](figures/bench.png)" in page.markdown and "**Speed goals**" in page.markdown


def test_figure_shades_each_line_from_its_fastest_to_its_slowest_round(monkeypatch):
    """Each contestant's median line carries a band over its rounds' min and max; rows
    without rounds draw the lines alone."""
    from parity.experiments import roofline

    drawn = []
    monkeypatch.setattr(roofline, "save_figure", lambda fig, path: drawn.append(fig))
    rounds = {"scratch": [1.0, 1.5, 3.0], "fused": [0.9, 1.0, 1.1], "torch": [2.0, 2.0, 4.0],
              "sklearn": [9.0, 10.0, 11.0], "gemm": [0.5, 0.6, 0.7]}  # fmt: skip
    rows = [dataclasses.replace(row(n), rounds={w: [t * k for t in ts] for w, ts in rounds.items()})
            for k, n in enumerate(bench.CONFIGS, start=1)]  # fmt: skip
    assert roofline.spread(rows, "scratch") == ([1e3 * k for k in (1, 2, 3, 4)],
                                                [3e3 * k for k in (1, 2, 3, 4)])  # fmt: skip
    assert roofline.spread([row("tiny")], "scratch") is None
    roofline.plot_bench(BenchResult(rows, 3), None)
    roofline.plot_bench(BenchResult([row(n) for n in bench.CONFIGS], 3), None)
    with_rounds, without = drawn
    (ax,) = with_rounds.axes
    bands = ax.collections
    assert len(bands) == len(rounds)  # one per contestant
    scratch = bands[0].get_paths()[0].vertices
    assert scratch[:, 1].min() == pytest.approx(1e3) and scratch[:, 1].max() == pytest.approx(12e3)
    assert "band: fastest to slowest" in ax.get_title()
    assert not without.axes[0].collections and "band" not in without.axes[0].get_title()
    assert "spans its fastest to its slowest round" in bench_page.render(
        BenchResult(rows, 3), figure="bench.png")  # fmt: skip
