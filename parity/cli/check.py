"""``nn-parity check``: verify your implementation against PyTorch from the command line.

::

    nn-parity check FILE.py[:NAME] (--dataset D | --data F --target T) [--rows N]
                    [--steps N --lr LR --optimizer sgd|adam|adamw|rmsprop|adagrad]
                    [--momentum M] [--opt KEY=VALUE ...] [--batch-size N]
                    [--oracle full|quick|off]
                    [--dtype float64|float32] [--seed N] [--out DIR] [--json FILE]
    nn-parity check --self [--dataset D] [...]
    nn-parity check --demo [NAME]

``NAME`` (default ``implementation``) is a zero-argument callable in ``FILE`` returning a
``parity.check.Functional``, ``Layers`` or ``Torch``. Exit status: 0 when everything agrees, 1 on a
mismatch, 2 on bad input (one ``nn-parity: error:`` line; for a structure that does not fit,
the mapping is printed as a tree with the bad row marked).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity._util.outputs import OutputError, locked_output, reserved_output
from parity.spec import check_seed

if TYPE_CHECKING:
    from parity.check.report import CheckReport

PROG = "nn-parity"


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """``(default: X)`` only where there is a default to show (as the other commands)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def add_parser(subparsers: Any) -> None:
    """Register the ``check`` sub-command on the ``nn-parity`` parser's ``subparsers``."""
    p = subparsers.add_parser(
        "check",
        help="check your own network against PyTorch, layer by layer",
        description="Check your implementation (FILE.py[:NAME] returning a "
        "parity.check.Functional or Layers) against torch: structure, forward, backward, "
        "finite differences of your own loss, training steps. Exit 0: agrees; 1: mismatch "
        "(the first divergence is named and diagnosed); 2: bad input.",
        formatter_class=_Formatter,
    )
    p.add_argument(
        "file",
        nargs="?",
        metavar="FILE.py[:NAME]",
        help="your file and the callable in it (default NAME: implementation)",
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
    p.add_argument("--json", metavar="FILE", help="write the report as JSON here")
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
        type=_seed,
        default=0,
        metavar="N",
        help="seed of the data split, the random upstream gradients and the batch order",
    )


def _seed(text: str) -> int:
    """An argparse type: a seed in 0 .. 2**32 - 1 (``parity.spec``), refused naming --seed."""
    try:
        return check_seed(int(text), "--seed")
    except ValueError as err:  # int() of a non-number, or out of range
        raise argparse.ArgumentTypeError(
            f"expected a seed, an integer in 0 .. 2**32 - 1, got {text!r}"
        ) from err


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


def _error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


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


def _inputs(args: argparse.Namespace) -> dict[str, Path]:
    """What an output must not be: FILE.py and the --data file."""
    from parity.check.adapters.loader import split_spec

    inputs = {}
    if args.file:
        inputs["your FILE.py"] = split_spec(args.file)[0]
    if args.data:
        inputs["the --data file"] = Path(args.data)
    return inputs


@contextmanager
def _reserved_outputs(args: argparse.Namespace) -> Iterator[None]:
    """``--out`` and ``--json`` checked before any work (``parity._util.outputs``: not empty,
    not a device or FIFO, not an input, writable), locked for the command, ``--json``'s
    temporary twin made (``args.json_file``, committed by :func:`_write_json`)."""
    args.json_file = None
    with ExitStack() as stack:
        if args.out is not None:  # (an existing file, such as FILE.py, is refused there)
            stack.enter_context(locked_output(args.out, "--out"))
        if args.json is not None:
            args.json_file = stack.enter_context(
                reserved_output("--json", args.json, _inputs(args), parents=True)
            )
        yield


def _write_json(args: argparse.Namespace, text: str) -> None:
    """Put ``text`` in ``--json`` (reserved by :func:`_reserved_outputs`), by a rename."""
    args.json_file.commit(text + "\n")


def _outputs(report: Any, args: argparse.Namespace) -> int:
    """Print the table, write --out and --json; the exit status of one report."""
    print(report.table())
    print(f"(checked in {report.seconds:.2f} s)")
    if args.out:
        report.write(args.out)
        print(f"wrote {args.out}/REPORT.md, check.json and figures/")
    if args.json is not None:
        _write_json(args, report.to_json())
    if report.structure_error:
        return _error(
            f"structure does not fit: {report.structure_error} (the tree above marks the row)"
        )
    return 0 if report.ok else 1


def _file_check(args: argparse.Namespace) -> int:
    from parity.check.adapters.loader import load_implementation
    from parity.check.api import check

    impl = load_implementation(args.file)
    kw = _check_kwargs(args)
    if args.data:
        if not args.target:
            return _error("--data needs --target (the column to predict)")
        from parity.data.files import load_arrays

        try:
            X, y, _, _ = load_arrays(args.data, target=args.target, task=impl.head)
        except ValueError as err:  # the file's problem, named by the reader
            return _error(str(err))
        return _outputs(check(impl, X=X, y=y, **kw), args)
    if args.target:
        return _error("--target goes with --data")
    return _outputs(check(impl, args.dataset, **kw), args)


def run(args: argparse.Namespace) -> int:
    """Run ``nn-parity check``; returns the exit status."""
    from parity import errors
    from parity.check.inputs import InputError, InputTypeError

    modes = [bool(args.file), args.self_check, args.demo is not None]
    if sum(modes) != 1:
        return _error(
            "give FILE.py[:NAME], --self or --demo (exactly one) (see nn-parity check --help)"
        )
    try:
        with _reserved_outputs(args):
            if args.self_check:
                return self_check(args, _check_kwargs(args), _outputs)
            if args.demo is not None:
                return demo(args, _outputs)
            return _file_check(args)
    except (InputError, InputTypeError, errors.InputError, errors.InputTypeError, OutputError,
            OSError) as err:  # a bug keeps its traceback  # fmt: skip
        return _error(str(err))


# ------------------------------------------------- the built-in runs: --self and --demo
Outputs = Callable[["CheckReport", argparse.Namespace], int]


def _worst(report: CheckReport) -> str:
    row = max(report.rows, key=lambda r: r.scaled / r.tol)
    return f"worst {row.scaled:.1e} (tol {row.tol:.0e}) at {row.stage} {row.label}"


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


def _finish(reports: dict[str, CheckReport], args: argparse.Namespace) -> int:
    if args.out:
        for name, r in reports.items():
            r.write(Path(args.out) / name)
        print(f"wrote {len(reports)} reports into {args.out}/")
    if args.json is not None:
        _write_json(args, json.dumps(_combined(reports), indent=2, allow_nan=False))
    return 0 if all(r.ok for r in reports.values()) else 1


def self_check(args: argparse.Namespace, kw: dict[str, Any], outputs: Outputs) -> int:
    """scratch, every activation on every head, through the same path as your code."""
    from parity.check.api import check
    from parity.check.selfcheck import configs, label, scratch_layers

    kw = {**kw, "steps": kw["steps"] or 3}
    reports = {}
    for c in configs(args.dataset):
        impl = scratch_layers(
            c["head"], c["n_in"], c["n_out"], c["hidden"], c["activation"], seed=args.seed
        )
        report = check(impl, c["dataset"], **kw)
        reports[label(c)] = report
        print(f"{'ok      ' if report.ok else 'MISMATCH'}  {label(c):28s} {_worst(report)}")
        if not report.ok:
            print(report.table())
    status = _finish(reports, args)
    n_bad = sum(not r.ok for r in reports.values())
    print(
        f"--self: scratch {'agrees with torch in all' if not n_bad else 'disagrees in'} "
        f"{n_bad or len(reports)} of {len(reports)} configurations"
    )
    return status


def demo(args: argparse.Namespace, outputs: Outputs) -> int:
    """``--demo``: the correct examples; ``--demo NAME``: that one; ``--demo list``."""
    from parity.check.examples import CORRECT, EXAMPLES
    from parity.check.inputs import InputError

    if args.demo == "list":
        for e in EXAMPLES.values():
            print(f"{e.name:38s} {e.planted or '(correct)'}")
        return 0
    names = [args.demo] if args.demo else CORRECT
    for name in names:
        if name not in EXAMPLES:
            raise InputError(f"unknown demo {name!r}; valid: {', '.join(EXAMPLES)}")
    if len(names) == 1:
        e = EXAMPLES[names[0]]
        print(f"demo {e.name}: {e.planted or 'a correct implementation'}")
        return outputs(e.run(dtype=args.dtype), args)
    reports = {}
    for name in names:
        e = EXAMPLES[name]
        reports[name] = e.run(dtype=args.dtype)
        print(f"demo {name}:\n{reports[name].table()}\n")
    print("more: nn-parity check --demo list")
    return _finish(reports, args)
