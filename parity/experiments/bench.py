"""The performance page: one training step of scratch against its yardsticks, in one run.

Per network size (``CONFIGS``) and dtype, five contestants do the same step (ReLU MLP,
softmax cross-entropy, plain SGD; ``bench_steps``): scratch (one step through its public
API: ``zero_grad``, forward, loss, backward, ``step``), the
hand-fused NumPy step, torch eager (on the CPU; also on CUDA with ``device="cuda"``),
scikit-learn's ``MLPClassifier.partial_fit`` on one batch, and the step's matrix products
alone (the GEMM peak: the floor of a step on this machine). They run interleaved, round by
round, so that all see the same machine state; the median seconds per step of each are
reported beside the ratios, which are what repeat from run to run (absolute times do not).
A ratio is the median over the rounds of the two steps' ratio within one round.

    nn-parity bench [--configs tiny,small,medium,large] [--dtype both] [--repeats 5]
                    [--device cpu|cuda] [--threads N] [--out DIR] [--quick]
"""

from __future__ import annotations

import dataclasses
import math
import os
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

from parity.experiments.bench_steps import (
    POOL,
    Step,
    batch_pool,
    fused_step,
    gemm_step,
    initial_state,
    scratch_step,
    sklearn_step,
    torch_step,
)
from parity.experiments.fused import gemm_flops

# name -> (widths (in, *hidden, classes), batch size)
CONFIGS: dict[str, tuple[tuple[int, ...], int]] = {
    "tiny": ((2, 16, 16, 2), 32),
    "small": ((64, 128, 128, 10), 64),
    "medium": ((784, 256, 256, 10), 128),
    "large": ((784, 1024, 1024, 10), 256),
}
DTYPES = ("float32", "float64")
# scratch step / hand-fused step, by size: the price of plain code (tiny and small reported,
# not gated: there the step is overhead, not arithmetic)
FUSED_GOALS = {"medium": 1.5, "large": 1.3}
BLOCK = {False: 0.025, True: 0.002}  # seconds a timed block aims at (full, quick)
# seconds of rest when the next block runs on another thread pool than the last (quick
# runs too): OpenBLAS's threads spin ~0.1 s after a call, OpenMP's (torch's) a while too,
# and a pool still spinning on these 2 cores slows the other library's step by up to 10x
PAUSE = 0.2


@dataclass(frozen=True)
class BenchRow:
    """One size and dtype: the seconds per step of every contestant (``seconds``: the
    median of ``scratch``, ``fused``, ``torch``, ``sklearn`` and, on a GPU, ``torch_cuda``;
    the best of ``gemm``, the GEMM peak)."""

    config: str
    widths: tuple[int, ...]
    batch: int
    dtype: str
    seconds: Mapping[str, float]
    rounds: Mapping[str, Sequence[float]] = field(default_factory=dict)  # every round's

    def each_round(self) -> list[BenchRow]:
        """One row per interleaved round, from that round's blocks (the GEMM peak kept): a
        measure over these rows is its round-to-round spread. Empty without ``rounds``."""
        counts = {len(t) for t in self.rounds.values()}
        if len(counts) > 1:
            raise ValueError(f"every contestant needs the same rounds, got {sorted(counts)}")
        n = counts.pop() if counts else 0
        return [
            dataclasses.replace(self, rounds={}, seconds={**self.seconds, **{
                who: t[i] for who, t in self.rounds.items() if who != "gemm"}})
            for i in range(n)
        ]  # fmt: skip

    def ratio(self, other: str, who: str = "scratch") -> float:
        """``who``'s step time over ``other``'s (< 1: ``who`` is faster): the median over
        the rounds of the two blocks' ratio in the same round, when the row has rounds (a
        round that finds the machine slower slows both, and cancels), else the ratio of
        the medians."""
        mine, theirs = self.rounds.get(who), self.rounds.get(other)
        if mine and theirs:
            return statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
        return self.seconds[who] / self.seconds[other]

    def peak_share(self, who: str = "scratch") -> float:
        """The GEMM peak's share of ``who``'s step: GEMM-only time / step time."""
        return self.seconds["gemm"] / self.seconds[who]

    @property
    def gflops(self) -> float:
        """GFLOP/s of the GEMMs alone: the peak this step is measured against."""
        return gemm_flops(self.widths, self.batch) / self.seconds["gemm"] / 1e9

    @property
    def parameters(self) -> int:
        """Trainable parameters of the network: its size on the figure's x axis."""
        return sum((i + 1) * o for i, o in zip(self.widths[:-1], self.widths[1:], strict=False))


@dataclass
class BenchResult:
    """Every row of a run, and how it was run (for the header)."""

    rows: list[BenchRow] = field(default_factory=list)
    repeats: int = 5
    devices: tuple[str, ...] = ("cpu",)
    environment: str = ""
    load: tuple[float, float] = (math.nan, math.nan)  # 1-min load average at start and end


def torch_devices(device: str, cuda_available: bool) -> tuple[str, ...]:
    """The devices torch runs on: ``("cpu",)``, or ``("cpu", "cuda")`` for ``"cuda"``.

    ValueError for ``"cuda"`` without a CUDA device (never a silent fall-back to the CPU),
    and for any other name."""
    if device == "cpu":
        return ("cpu",)
    if device == "cuda":
        if not cuda_available:
            raise ValueError(
                "--device cuda needs a CUDA device, and torch sees none "
                "(torch.cuda.is_available() is False); run on a GPU machine or use --device cpu"
            )
        return ("cpu", "cuda")
    raise ValueError(f"unknown bench device {device!r}; valid: cpu, cuda")


def check_device(device: str) -> tuple[str, ...]:
    """``torch_devices`` for this machine (imports torch to ask it for CUDA)."""
    import torch

    return torch_devices(device, torch.cuda.is_available())


def check_configs(names: Sequence[str], repeats: int) -> None:
    """ValueError unless ``names`` are one or more of ``CONFIGS``, each once, and
    ``repeats`` >= 1."""
    if "" in names:
        raise ValueError(f"empty bench config name in {','.join(names)!r}; valid: "
                         f"{', '.join(CONFIGS)}")  # fmt: skip
    unknown = [n for n in names if n not in CONFIGS]
    if unknown or not names:
        raise ValueError(f"unknown bench config(s) {unknown}; valid: {', '.join(CONFIGS)}")
    twice = sorted({n for n in names if list(names).count(n) > 1})
    if twice:
        raise ValueError(f"bench config(s) {twice} given more than once")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")


def time_block(step: Step, n: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds per step of ``n`` steps in a row (cycling through the pool), ``sync`` included."""
    t0 = clock()
    for i in range(n):
        step.run(i % POOL)
    step.sync()
    return (clock() - t0) / n


def calibrate(step: Step, block: float) -> int:
    """Warm ``step`` up (first calls import and allocate), then the number of steps that
    fill a timed block of about ``block`` seconds (at least 1, at most 10000)."""
    for _ in range(2):
        step.run(0)
    step.sync()
    once = time_block(step, 1)
    return max(1, min(10_000, math.ceil(block / max(once, 1e-9))))


def interleave(
    steps: Mapping[str, Step], repeats: int, block: float, pause: float = 0.0
) -> dict[str, float]:
    """Seconds per step of each contestant over ``repeats`` rounds (``interleave_rounds``):
    the median, but for the GEMMs alone the best round (the peak)."""
    return summarize(interleave_rounds(steps, repeats, block, pause))


def summarize(times: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Every contestant's median round, but the GEMMs' best (the peak)."""
    return {name: min(t) if name == "gemm" else statistics.median(t) for name, t in times.items()}


def interleave_rounds(
    steps: Mapping[str, Step], repeats: int, block: float, pause: float = 0.0
) -> dict[str, list[float]]:
    """Seconds per step of each contestant in each of ``repeats`` rounds. In each round
    every contestant runs one block, the order rotating so that none is always first;
    before a block on another thread pool than the block before it (``Step.pool``),
    ``pause`` seconds of rest."""
    last = [""]

    def rest(step: Step) -> None:
        if last[0] and step.pool != last[0]:
            time.sleep(pause)
        last[0] = step.pool

    sizes = {}
    for name, step in steps.items():
        rest(step)
        sizes[name] = calibrate(step, block)
    times: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            rest(steps[name])
            times[name].append(time_block(steps[name], sizes[name]))
    return times


def contestants(
    widths: Sequence[int], batch: int, dtype: str, devices: Sequence[str]
) -> dict[str, Step]:
    """Every contestant's step for one size and dtype, from one state dict and batch pool."""
    state, pool = initial_state(widths, dtype), batch_pool(widths, batch, dtype)
    steps = {
        "scratch": scratch_step(widths, state, pool),
        "fused": fused_step(widths, state, pool),
        "gemm": gemm_step(widths, batch, dtype),
    }
    for device in devices:
        steps["torch" if device == "cpu" else f"torch_{device}"] = torch_step(
            widths, state, pool, device
        )
    steps["sklearn"] = sklearn_step(widths, pool)
    return steps


def run_bench(
    names: Sequence[str] = tuple(CONFIGS),
    *,
    dtypes: Sequence[str] = DTYPES,
    repeats: int = 5,
    device: str = "cpu",
    quick: bool = False,
    threads: int | None = None,
) -> BenchResult:
    """Measure every config in ``names`` in every dtype; ``threads`` sets torch's and the
    BLAS pools' threads for the run (``None``: leave them as they are)."""
    check_configs(names, repeats)
    from parity._util.threads import limit_threads

    devices = check_device(device)
    result = BenchResult(repeats=repeats, devices=devices)
    with limit_threads(threads) if threads is not None else nullcontext():
        result.environment, start = environment_line(devices), _load()
        for dtype in dtypes:
            for name in names:
                widths, batch = CONFIGS[name]
                steps = contestants(widths, batch, dtype, devices)
                rounds = interleave_rounds(steps, repeats, BLOCK[quick], PAUSE)
                result.rows.append(BenchRow(name, widths, batch, dtype, summarize(rounds), rounds))
    result.load = (start, _load())
    return result


def _load() -> float:
    """The 1-minute load average (NaN where the OS has none): other processes' demand."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan


def environment_line(devices: Sequence[str]) -> str:
    """NumPy's BLAS (library, kernel, threads), torch's version and threads, the devices."""
    import numpy as np
    import torch
    from threadpoolctl import threadpool_info

    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    numpy_blas = ", ".join(
        f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}), "
        f"{i.get('num_threads')} thread(s)"
        for i in blas[:1]
    )
    gpu = f"; GPU: {torch.cuda.get_device_name()}" if "cuda" in devices else ""
    return (
        f"NumPy {np.__version__} on {numpy_blas or 'an unknown BLAS'}; torch {torch.__version__} "
        f"with {torch.get_num_threads()} thread(s){gpu}; {os.cpu_count()} cores"
    )
