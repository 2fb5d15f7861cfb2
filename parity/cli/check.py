"""``nn-parity check``: verify your implementation against PyTorch from the command line.

::

    nn-parity check FILE.py[:NAME] [--against PORT.py[:NAME]]
                    (--dataset D | --data F --target T) [--rows N]
                    [--steps N --lr LR --optimizer sgd|adam|adamw|rmsprop|adagrad]
                    [--momentum M] [--opt KEY=VALUE ...] [--batch-size N]
                    [--oracle full|quick|off]
                    [--dtype float64|float32] [--seed N] [--out DIR] [--json FILE]
    nn-parity check --self [--dataset D] [...]
    nn-parity check --demo [NAME]

``NAME`` (default ``implementation``) is a zero-argument callable in ``FILE`` returning a
``parity.check.Functional``, ``Layers`` or ``Torch``; ``--against`` compares a second one
(your port) with it, as ``check(original, against=port)`` does. Exit status: 0 when
everything agrees, 1 on a mismatch, 2 on bad input (one ``nn-parity: error:`` line; for a
structure that does not fit, the mapping is printed as a tree with the bad row marked).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity._util.publish import output_dir, output_file
from parity.cli.common import HelpFormatter, seed
from parity.errors import InputError, OptionError

if TYPE_CHECKING:
    from parity.check.report import CheckReport


def add_parser(subparsers: Any) -> None:
    """Register the ``check`` sub-command on the ``nn-parity`` parser's ``subparsers``."""
    p = subparsers.add_parser(
        "check",
        help="check your own network against PyTorch, layer by layer",
        description="Check your implementation (FILE.py[:NAME] returning a "
        "parity.check.Functional, Layers or Torch) against torch: structure, forward, backward, "
        "finite differences of your own loss, training steps. Exit 0: agrees; 1: mismatch "
        "(the first divergence is named and diagnosed); 2: bad input.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "file",
        nargs="?",
        metavar="FILE.py[:NAME]",
        help="your file and the callable in it (default NAME: implementation)",
    )
    p.add_argument(
        "--against",
        metavar="PORT.py[:NAME]",
        help="compare your port with FILE's implementation, from the same weights and rows "
        "(check(original, against=port))",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--self",
        dest="self_check",
        action="store_true",
        help="check this project's scratch through the same adapters",
    )
    mode.add_argument(
        "--demo",
        nargs="?",
        const="",
        default=None,
        metavar="NAME",
        help="run a shipped example (without NAME: the correct ones; --demo list: the names)",
    )
    _data_options(p)
    _run_options(p)
    p.add_argument("--out", metavar="DIR", help="write REPORT.md, check.json and figures here")
    p.add_argument("--json", metavar="FILE", help="write the report as JSON here (- : stdout)")
    p.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="stop a check that runs longer (SIGTERM, then SIGKILL)",
    )
    p.set_defaults(handler=run)


def _data_options(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--dataset",
        metavar="D",
        help="a built-in dataset (default: the head's: digits, breast_cancer or diabetes)",
    )
    src.add_argument("--data", metavar="F", help="your .csv or .npz (with --target)")
    p.add_argument("--target", metavar="T", help="with --data: the column to predict")
    p.add_argument(
        "--rows",
        type=int,
        default=None,
        metavar="N",
        help="rows to check on (default: 64, or all of --data)",
    )


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--steps", type=int, default=0, metavar="N", help="lock-step training steps")
    p.add_argument("--lr", type=float, default=0.1, help="learning rate of the steps")
    p.add_argument(
        "--optimizer",
        choices=("sgd", "adam", "adamw", "rmsprop", "adagrad"),
        default="sgd",
        help="torch.optim rule",
    )
    p.add_argument("--momentum", type=float, default=0.0, metavar="M", help="SGD momentum")
    p.add_argument(
        "--opt",
        type=_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a torch.optim hyper-parameter by torch's name, repeatable: --opt eps=1e-7 "
        "--opt betas=0.9,0.99 --opt nesterov=true",
    )
    p.add_argument(
        "--oracle",
        choices=("full", "quick", "off"),
        default="full",
        help="finite differences of your loss: a dozen entries per parameter, three, or none "
        "(for slow code; the report says how many calls it made)",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        metavar="N",
        help="minibatch per step (default: all rows)",
    )
    p.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="dtype of your run (float32 is also judged against float64 torch)",
    )
    p.add_argument(
        "--seed",
        type=seed,
        default=0,
        metavar="N",
        help="seed of the data split, the random upstream gradients and the batch order",
    )


def _check_options(args: argparse.Namespace) -> None:
    """The options' ranges, refused naming the option (as the other commands do)."""
    import math

    def bad(text: str) -> OptionError:
        return OptionError(text, "check")

    if args.rows is not None and args.rows < 1:
        raise bad(f"--rows must be at least 1, got {args.rows}")
    if args.steps < 0:
        raise bad(f"--steps must be 0 or more, got {args.steps}")
    if args.batch_size is not None and args.batch_size < 1:
        raise bad(f"--batch-size must be at least 1, got {args.batch_size}")
    if not math.isfinite(args.lr) or args.lr <= 0:
        raise bad(f"--lr must be a positive finite number, got {args.lr}")
    if not 0 <= args.momentum < 1:
        raise bad(f"--momentum must be in [0, 1), got {args.momentum}")
    if args.momentum and args.optimizer not in ("sgd", "rmsprop"):
        raise bad(
            f"--momentum applies to --optimizer sgd or rmsprop, not {args.optimizer} (it has "
            "its own betas); drop it"
        )
    if not math.isfinite(args.timeout) or args.timeout <= 0:
        raise bad(f"--timeout must be a positive number of seconds, got {args.timeout}")
    if args.data and not args.target:
        raise bad("--data needs --target (the column to predict)")
    if args.target and not args.data:
        raise bad("--target goes with --data")
    if args.against and not args.file:
        raise bad("--against goes with FILE.py[:NAME] (the original it is compared with)")


def _option(text: str) -> tuple[str, Any]:
    """An argparse type: ``KEY=VALUE``, the value a number, ``a,b`` (betas) or true/false."""
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    if value.lower() in ("true", "false"):
        return key, value.lower() == "true"
    try:
        numbers = tuple(float(v) for v in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{key}: expected a number, got {value!r}") from None
    return key, numbers if len(numbers) > 1 else numbers[0]


def _check_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "rows": args.rows,
        "steps": args.steps,
        "optimizer": args.optimizer,
        "lr": args.lr,
        "momentum": args.momentum,
        "optimizer_options": dict(args.opt),
        "oracle": args.oracle,
        "batch_size": args.batch_size,
        "dtype": args.dtype,
        "seed": args.seed,
    }


def _absolute(spec: str) -> tuple[str, str]:
    """``FILE.py[:NAME]`` as (the file's absolute path, ``/abs/FILE.py:NAME``); the child's
    loader refuses a missing file or one that is not Python."""
    from parity.check.adapters.loader import split_spec

    path, name = split_spec(spec)
    file = str(path.resolve() if path.exists() else path)
    return file, f"{file}:{name}" if path.suffix == ".py" else file


def _request(args: argparse.Namespace) -> dict[str, Any]:
    """What the child process checks; every path absolute (your code may change directory)."""
    request: dict[str, Any] = {"kw": _check_kwargs(args), "dataset": args.dataset}
    if args.file:
        request.update(file=_absolute(args.file)[0], spec=_absolute(args.file)[1])
    if args.against:
        request.update(against=_absolute(args.against)[1])
    request.update({"self": args.self_check, "demo": args.demo})
    if args.data:
        request.update(data=str(Path(args.data).resolve()), target=args.target)
    return request


def _inputs(args: argparse.Namespace) -> dict[str, Path]:
    """What an output must not be, nor hold: FILE.py and the --data file."""
    from parity.check.adapters.loader import split_spec

    inputs = {}
    if args.file:
        inputs["your FILE.py"] = split_spec(args.file)[0]
    if args.against:
        inputs["your --against file"] = split_spec(args.against)[0]
    if args.data:
        inputs["the --data file"] = Path(args.data)
    return inputs


@contextmanager
def _reserved_outputs(args: argparse.Namespace) -> Iterator[None]:
    """``--out`` and ``--json`` checked before any work (``parity._util.publish``: not empty,
    not a device or FIFO, not an input, writable; ``--out`` empty or an earlier check's),
    locked for the command: ``args.out_dir`` is the staging, ``args.json_file`` the
    temporary twin (both committed by :func:`_publish`)."""
    args.json_file = args.out_dir = None
    inputs = _inputs(args)
    with ExitStack() as stack:
        if args.out is not None:  # (an existing file, such as FILE.py, is refused there)
            inside = {f"{what} {str(path)!r}": path for what, path in inputs.items()}
            args.out_dir = stack.enter_context(output_dir(args.out, "--out", "check", inside))
        if args.json is not None and args.json != "-":
            args.json_file = stack.enter_context(
                output_file("--json", args.json, inputs, parents=True)
            )
        yield


def _combined(reports: dict[str, CheckReport]) -> dict[str, Any]:
    """Several reports as one document of the check schema (rows carry their ``config``)."""
    first = next((r for r in reports.values() if not r.ok), None)
    rows = [{**row.to_json(), "config": name} for name, r in reports.items() for row in r.rows]
    return {
        "ok": all(r.ok for r in reports.values()),
        "first_divergence": None
        if first is None or first.first_divergence is None
        else first.first_divergence.to_json(),
        "configs": {name: r.ok for name, r in reports.items()},
        "rows": rows,
    }


def _publish(reports: dict[str, CheckReport], args: argparse.Namespace) -> int:
    """Write --out and --json from the child's reports; the exit status."""
    if not reports:  # --demo list
        return 0
    single = reports.get("")
    if args.out_dir is not None:
        if single is not None:
            single.write_into(args.out_dir.staged)
        else:
            for name, r in reports.items():
                (args.out_dir.staged / name).mkdir()
                r.write_into(args.out_dir.staged / name)
        args.out_dir.commit()
        said = sys.stderr if args.json == "-" else sys.stdout  # --json -: stdout is the JSON
        if single is not None:
            print(f"wrote {args.out}/REPORT.md, check.json and figures/", file=said)
        else:
            print(f"wrote {len(reports)} reports into {args.out}/", file=said)
    if args.json is not None:
        text = (
            single.to_json()
            if single is not None
            else json.dumps(_combined(reports), indent=2, allow_nan=False)
        )
        if args.json == "-":
            print(text)
        else:
            args.json_file.commit(text + "\n")
    if single is not None and single.structure_error:
        raise InputError(
            f"structure does not fit: {single.structure_error} (the tree above marks the row)"
        )
    return 0 if all(r.ok for r in reports.values()) else 1


def run(args: argparse.Namespace) -> int:
    """Run ``nn-parity check``: the check in a child process, the outputs here."""
    from parity.check.supervisor import STDOUT_CLOSED, run_check

    modes = [bool(args.file), args.self_check, args.demo is not None]
    if sum(modes) != 1:
        raise OptionError("give FILE.py[:NAME], --self or --demo (exactly one)", "check")
    _check_options(args)
    request = _request(args)
    with _reserved_outputs(args):  # errors: one line from parity.cli.main's handler
        with contextlib.redirect_stdout(sys.stderr if args.json == "-" else sys.stdout):
            reports = run_check(request, args.timeout)  # (--json -: the tables to stderr)
        closed = reports.pop(STDOUT_CLOSED, False) is None
        if closed:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = _publish(reports, args)
        if closed:  # `check ... | head -1`: stop quietly, as train does (parity.cli.main)
            raise BrokenPipeError(32, "stdout was closed")
        return status
