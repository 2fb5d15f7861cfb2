"""Speed of the two implementations, measured as ratios within one run.

This machine's timings are noisy, so absolute seconds mean little; what is reported is the
ratio scratch/torch of the median time per training step (and per inference pass), with
the two sides interleaved repeat by repeat so that both see the same machine state.

    nn-parity bench [--configs small,medium,large] [--repeats 5] [--dtype float64]
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# name -> (hidden widths, batch size)
CONFIGS: dict[str, tuple[tuple[int, ...], int]] = {
    "small": ((16,), 32),
    "medium": ((64, 64), 64),
    "large": ((256, 256, 256), 256),
}


@dataclass(frozen=True)
class BenchRow:
    """Median seconds per training step and per inference pass, each side, and the ratios."""

    config: str
    hidden: tuple[int, ...]
    batch_size: int
    scratch_step: float
    torch_step: float
    scratch_infer: float
    torch_infer: float

    @property
    def step_ratio(self) -> float:
        return self.scratch_step / self.torch_step

    @property
    def infer_ratio(self) -> float:
        return self.scratch_infer / self.torch_infer


def _times(fn: Callable[[], object], repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def bench_config(
    name: str, *, dataset: str = "digits", epochs: int = 2, repeats: int = 5, dtype: str = "float64"
) -> BenchRow:
    """Time ``epochs`` of training and one inference pass on ``dataset`` for both sides."""
    import torch

    import scratch
    import torch_impl

    from ..data import DATASETS
    from ..runner import build_networks, make_optimizers, targets
    from ..spec import RunSpec

    hidden, batch_size = CONFIGS[name]
    spec = RunSpec(task=DATASETS[dataset].task, hidden=hidden, activation="relu",
                   batch_size=batch_size, epochs=epochs, dtype=dtype, lr=0.01)  # fmt: skip
    nets = build_networks(spec, dataset)
    data = nets.data
    y = targets(spec, data, data.y_train)
    batches = scratch.batch_order(len(y), batch_size, epochs, np.random.default_rng(0))
    steps = sum(len(e) for e in batches)
    s_opt, t_opt = make_optimizers(spec, nets)
    s_loss, t_loss = scratch.make_loss(spec.loss), torch_impl.make_loss(spec.loss)
    X_t = torch.as_tensor(data.X_test)

    def s_train() -> None:
        scratch.fit(nets.scratch_model, s_loss, s_opt, data.X_train, y, batches=batches)

    def t_train() -> None:
        torch_impl.fit(nets.torch_model, t_loss, t_opt, data.X_train, y, batches=batches)

    def s_infer() -> None:
        nets.scratch_model(data.X_test)

    def t_infer() -> None:
        with torch.inference_mode():
            nets.torch_model(X_t)

    t_train()  # warm-up: torch's first optimizer step imports torch._dynamo (~1 s)
    s_train()
    times: dict[str, list[float]] = {"s": [], "t": [], "si": [], "ti": []}
    for _ in range(repeats):  # interleaved so both sides see the same machine state
        times["s"] += _times(s_train, 1)
        times["t"] += _times(t_train, 1)
        times["si"] += _times(s_infer, 20)
        times["ti"] += _times(t_infer, 20)
    med = {k: statistics.median(v) for k, v in times.items()}
    return BenchRow(name, hidden, batch_size, med["s"] / steps, med["t"] / steps,
                    med["si"], med["ti"])  # fmt: skip


def format_table(rows: Sequence[BenchRow]) -> str:
    """A Markdown table of the rows."""
    lines = [
        "| config | hidden | batch | scratch step (ms) | torch step (ms) | step ratio "
        "scratch/torch | inference ratio scratch/torch |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.config} | {'x'.join(map(str, r.hidden))} | {r.batch_size} | "
            f"{1e3 * r.scratch_step:.3f} | {1e3 * r.torch_step:.3f} | {r.step_ratio:.2f} | "
            f"{r.infer_ratio:.2f} |"
        )
    return "\n".join(lines)


def check_configs(names: Sequence[str], repeats: int) -> None:
    """ValueError unless ``names`` are one or more of ``CONFIGS`` and ``repeats`` >= 1."""
    unknown = [n for n in names if n not in CONFIGS]
    if unknown or not names:
        raise ValueError(f"unknown bench config(s) {unknown}; valid: {', '.join(CONFIGS)}")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")


def bench(names: Sequence[str], *, repeats: int = 5, dtype: str = "float64") -> str:
    """Benchmark the named ``CONFIGS`` and return a header line plus the Markdown table."""
    check_configs(names, repeats)
    import torch

    rows = [bench_config(n, repeats=repeats, dtype=dtype) for n in names]
    header = (
        f"digits, relu, SGD, {dtype}, torch threads={torch.get_num_threads()}; median of "
        f"{repeats} interleaved repeats; a ratio > 1 means scratch is slower"
    )
    return header + "\n" + format_table(rows)
