"""``nn-parity bench``: time scratch against torch; the work is ``parity.experiments.bench``."""

from __future__ import annotations

import argparse
from typing import Any

from .._util.threads import limit_threads
from ..experiments.bench import CONFIGS
from .common import add_command, positive_int, user_input


def add_parser(subparsers: Any) -> None:
    """Register ``bench`` on ``nn-parity``'s ``subparsers``."""
    configs = ", ".join(
        f"{name} (hidden {'x'.join(map(str, hidden))}, batch {batch})"
        for name, (hidden, batch) in CONFIGS.items()
    )
    be = add_command(
        subparsers,
        "bench",
        help="time scratch against torch (ratios within one run)",
        description="Median time per training step and per inference pass of both "
        "implementations on digits (relu, SGD), interleaved repeat by repeat; prints the "
        f"scratch/torch ratios. Configs: {configs}.",
    )
    be.add_argument(
        "--configs", default=",".join(CONFIGS), help=f"comma list of configs: {', '.join(CONFIGS)}"
    )
    be.add_argument(
        "--repeats", type=positive_int, default=5, metavar="N", help="interleaved repeats"
    )
    be.add_argument(
        "--dtype", choices=("float64", "float32"), default="float64", help="parameter dtype"
    )
    be.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """``nn-parity bench``: see ``parity.experiments.bench``."""
    from ..experiments.bench import bench, check_configs

    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    with user_input():
        check_configs(names, args.repeats)
    with limit_threads(args.threads):
        print(bench(names, repeats=args.repeats, dtype=args.dtype))
    return 0
