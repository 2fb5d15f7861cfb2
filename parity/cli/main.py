"""The ``nn-parity`` entry point: the parser built from the command modules, and ``main``.

Each command is a module in ``COMMANDS`` with ``add_parser(subparsers)``, which adds its
sub-command and sets its ``handler`` (``run(args) -> exit status``); a new command is one
more module here. ``main`` runs the handler and turns the command's own usage error
(``UsageError``) and an OSError into one line ``nn-parity: error: ...`` and exit status 2,
a ``Failure`` (a diverged training run) into one such line and exit status 1, Ctrl-C and
SIGTERM into one line and exit status 130 / 143; any other exception is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import shlex
import signal
import sys
from collections.abc import Sequence

from parity._util.outputs import OutputError
from parity._util.signals import exit_on_signal, signal_number, sigterm_as_interrupt
from parity.cli import bench, check, predict, report, train
from parity.cli.common import PROG, Failure, HelpFormatter, Parser, UsageError, one_line
from parity.errors import ParityError

COMMANDS = (report, train, predict, bench, check)  # in the order `nn-parity --help` lists them


def installed_version() -> str:
    """The installed ``nn-parity`` distribution's version, or ``"unknown"``."""
    import importlib.metadata

    try:
        return importlib.metadata.version("nn-parity")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> Parser:
    """The ``nn-parity`` argument parser with one sub-command per module of ``COMMANDS``."""
    parser = Parser(
        prog=PROG,
        description="One feed-forward network written twice (NumPy from scratch, PyTorch), "
        "proven equal.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    sub = parser.add_subparsers(dest="command_name", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    parser.commands = tuple(sub.choices)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``nn-parity`` with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    ``argv`` None means the process's own command line: the program (the console script,
    ``python -m parity.cli``), which exits next. Then, once the command has finished, a late
    SIGINT/SIGTERM ends the process with a line, and the live objects are frozen
    (``gc.freeze``) for a fast exit: for the program, not for a caller that goes on
    (pass ``argv`` from Python)."""
    entry = argv is None  # the console script (or python -m parity.cli)
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in parser.commands:
        # errors the main parser reports (an unknown option) belong to the command
        parser.help_hint = f"{PROG} {argv[0]} --help"
    args = parser.parse_args(argv)  # exits 2 with one line on a bad option (Parser.error)
    args.command = shlex.join([PROG, *argv])
    with sigterm_as_interrupt():  # SIGTERM cleans up as Ctrl-C does
        status = 0
        try:
            status = _run(args)
            if entry:  # the process exits next: a late signal must not kill it silently
                _finish(status)
        except KeyboardInterrupt as err:  # after the command's own handling: it has finished
            print(finished_line(signal_number(err), status), file=sys.stderr)
            return 128 + signal_number(err)
    return status


def _finish(status: int) -> None:
    """Flush what the command printed, with SIGINT and SIGTERM ending the process with one
    line (its output is complete) from now on, so that a signal after the last line (which a
    pipe's reader sees only now) still exits 130 / 143 with a line, not by the signal."""
    exit_on_signal(lambda signum: finished_line(signum, status))
    with contextlib.suppress(OSError, ValueError):  # a closed stdout: the exit reports it
        sys.stdout.flush()
    # The interpreter's shutdown ends with garbage collections over every live object: with
    # torch loaded (and torch._dynamo, which torch.optim imports) ~1 s of a 4 s `train
    # --backend both` on 2 cores. Frozen objects are left to the OS; atexit still runs.
    gc.freeze()


def finished_line(signum: int, status: int) -> str:
    """The line for a signal that arrives once the command has finished with ``status``."""
    what = "terminated" if signum == signal.SIGTERM else "interrupted"
    done = f"exit status {status}; its output is complete"
    return f"{PROG}: {what} after the command had finished ({done})"


def _run(args: argparse.Namespace) -> int:
    """The command's handler; its errors and interrupts as one line and an exit status."""
    try:
        return int(args.handler(args))
    except BrokenPipeError:  # stdout closed early (`| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (UsageError, OutputError, OSError) as err:
        print(f"{PROG}: error: {one_line(err)}", file=sys.stderr)
        return 2
    except ParityError as err:  # parity.errors: the status is the error's
        print(f"{PROG}: error: {one_line(err)}", file=sys.stderr)
        return err.exit_status
    except Failure as err:
        print(f"{PROG}: error: {one_line(err)}", file=sys.stderr)
        return 1
    except FloatingPointError as err:
        if not hasattr(err, "step"):  # not a diverged training run: a bug
            raise
        print(f"{PROG}: error: {one_line(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:
        print(f"{PROG}: {interrupted_line(err)}", file=sys.stderr)
        return 128 + signal_number(err)


def interrupted_line(err: KeyboardInterrupt) -> str:
    """What an interrupt (Ctrl-C, SIGTERM) left: nothing, or an output already in place."""
    what = "terminated" if signal_number(err) == signal.SIGTERM else "interrupted"
    written = getattr(err, "written", None)
    if written:
        return f"{what} after writing {written}"
    return f"{what}; nothing was written"
