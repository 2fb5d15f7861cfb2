"""``nn-parity bench``: the performance page; the work is ``parity.experiments.bench``."""

from __future__ import annotations

import argparse
import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from parity._util.publish import output_dir
from parity.cli.common import add_command, check_out_dir, output_path, positive_int, user_input
from parity.experiments.bench import CONFIGS


def add_parser(subparsers: Any) -> None:
    """Register ``bench`` on ``nn-parity``'s ``subparsers``."""
    configs = ", ".join(
        f"{name} ({'-'.join(map(str, widths))}, batch {batch})"
        for name, (widths, batch) in CONFIGS.items()
    )
    be = add_command(
        subparsers,
        "bench",
        help="time a training step: scratch, fused NumPy, torch, scikit-learn, GEMM peak",
        description="Median time per training step (ReLU MLP, cross-entropy, SGD) of scratch, "
        "a hand-fused NumPy step, torch eager, scikit-learn's MLPClassifier.partial_fit and "
        "the step's matrix products alone, interleaved round by round; prints milliseconds, "
        "ratios, the share of the GEMM peak and the speed goals (with their spread over "
        f"the rounds). Configs: {configs}.",
    )
    be.add_argument(
        "--configs", default=",".join(CONFIGS), help=f"comma list of configs: {', '.join(CONFIGS)}"
    )
    be.add_argument(
        "--repeats", type=positive_int, default=5, metavar="N", help="interleaved repeats"
    )
    be.add_argument(
        "--dtype", choices=("float32", "float64", "both"), default="both", help="parameter dtype"
    )
    be.add_argument(
        "--device", choices=("cpu", "cuda"), default="cpu",
        help="cuda: torch also on the GPU, against the CPU (refused without a CUDA device)",
    )  # fmt: skip
    be.add_argument(
        "--out", type=output_path, metavar="DIR", help="also write DIR/BENCH.md and bench.png"
    )
    be.add_argument("--quick", action="store_true", help="short timed blocks (for tests)")
    cores = os.cpu_count() or 1
    for action in be._actions:  # the bench measures the machine: every core by default
        if action.dest == "threads":
            action.default = cores
            action.help = f"torch and BLAS threads (default: {cores}, every core)"
    be.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """``nn-parity bench``: see ``parity.experiments.bench``."""
    from parity.experiments.bench import check_configs, check_device, run_bench
    from parity.experiments.bench_page import render, write_page

    names = [n.strip() for n in args.configs.split(",")]
    dtypes = ("float32", "float64") if args.dtype == "both" else (args.dtype,)
    with user_input():
        check_configs(names, args.repeats)
        check_device(args.device)
    with ExitStack() as stack:  # --out: writable and ours alone before the minutes of timing
        if args.out is not None:
            out = check_out_dir(Path(args.out))
            staging = stack.enter_context(output_dir(out, "--out", "bench"))
        result = run_bench(
            names, dtypes=dtypes, repeats=args.repeats, device=args.device,
            quick=args.quick, threads=args.threads,
        )  # fmt: skip
        print(render(result))
        if args.out is not None:
            write_page(result, staging.staged)
            for name in staging.commit()[0]:
                print(f"wrote {out / name}")
    return 0
