"""``nn-parity report``: run the parity grid, the dataset runs and the claims; write the report.

Exit status 1 when a parity check failed (the report is still written: it says what failed),
0 otherwise. The work is ``parity.report.generate``, which checks and locks ``--out`` before
any work, stages the report and publishes it (``parity._util.publish.output_dir``).
``--jobs N`` spreads the measurements over N worker processes (``parity.report.jobs``); it
does not change the report, so the command the report records leaves it out.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from parity._util.threads import limit_threads
from parity.cli.common import (
    DEVICES,
    add_command,
    check_out_dir,
    output_path,
    positive_int,
    resolve_device,
    seed,
)

DEFAULT_OUT = "out/report"  # under /out/, which .gitignore lists: the checkout stays clean


def add_parser(subparsers: Any) -> None:
    """Register ``report`` on ``nn-parity``'s ``subparsers``."""
    rep = add_command(
        subparsers,
        "report",
        help=f"run the parity grid and write {DEFAULT_OUT}/REPORT.md",
        description="Run the parity grid, the dataset runs, the claim experiments and a "
        "quick bench; write REPORT.md and figures/ into --out (atomically). The default --out, "
        f"{DEFAULT_OUT}/, is ignored by git, so a checkout stays clean; the committed "
        "reports/ is regenerated with --out reports. The full report takes minutes on a "
        "2-core machine, --quick a fraction of that; the Timings section at its end says "
        "how long each part took.",
    )
    rep.add_argument(
        "--quick",
        action="store_true",
        help="a representative subset of the grid with fewer steps and shorter dataset runs",
    )
    rep.add_argument(
        "--out",
        type=output_path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"output directory (default: {DEFAULT_OUT}, ignored by git)",
    )
    rep.add_argument(
        "--device",
        choices=DEVICES,
        default="cpu",
        help="where the torch side runs (auto: CUDA if available, else cpu)",
    )
    rep.add_argument(
        "--dtype",
        choices=("float64", "float32", "both"),
        default="both",
        help="the grid's dtype(s); the dataset runs use the first",
    )
    rep.add_argument("--seed", type=seed, default=0, help="seed of weights, batches and data")
    rep.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        metavar="N",
        help="worker processes for the grid, the dataset runs and the claims; the report is "
        "the same for every N (default: 1, no workers)",
    )
    rep.set_defaults(handler=run)


def without_jobs(command: str) -> str:
    """``command`` without its ``--jobs N`` (also ``--jobs=N`` and argparse's abbreviations
    such as ``--jo N``): the command the report records, the same for every N."""
    words, kept = shlex.split(command), []
    skip = False
    for word in words:
        name = word.split("=", 1)[0]
        if skip:
            skip = False
        elif len(name) >= 3 and "--jobs".startswith(name):
            skip = "=" not in word  # the value is the next word
        else:
            kept.append(word)
    return shlex.join(kept)


def run(args: argparse.Namespace) -> int:
    """``nn-parity report``: see ``parity.report``."""
    out = check_out_dir(Path(args.out))
    dtypes = ("float64", "float32") if args.dtype == "both" else (args.dtype,)
    with limit_threads(args.threads):
        device = resolve_device(args.device)
        from parity.report import ReportOptions, generate

        options = ReportOptions(
            out=out,
            quick=args.quick,
            device=device,
            dtypes=dtypes,
            seed=args.seed,
            command=without_jobs(args.command),
            jobs=args.jobs,
            threads=args.threads,
        )
        # --out is checked writable and ours, and locked, before any work (generate)
        result = generate(options, stream=sys.stderr)
    verdict = "all agree" if result.ok else "PARITY FAILURES, see the report"
    print(
        f"wrote {result.path} and {result.path.parent / 'figures'}/ "
        f"({result.cells} grid cells: {verdict}; {result.seconds['total']:.0f}s)"
    )
    return 0 if result.ok else 1
