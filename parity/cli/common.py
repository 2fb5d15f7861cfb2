"""What every ``nn-parity`` command shares: the usage error, the parser classes, option types.

A command module (``report``, ``train``...) adds its sub-command with :func:`add_command`,
which gives it the shared ``--threads`` option and the help formatter, and raises
:class:`UsageError` (or lets an OSError through) for bad input; ``parity.cli.main`` prints
either as one ``nn-parity: error:`` line with exit status 2.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from parity.errors import OptionError, UsageError
from parity.spec import SEED_LIMIT, seed_problem

PROG = "nn-parity"
DEVICES = ("auto", "cpu", "cuda")


def one_line(message: object) -> str:
    """``message`` as one line: control characters (a newline in a file name) shown escaped,
    as ``repr`` writes them (``\\n``, ``\\r``, ``\\x1b``), so an error stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(message))


@contextmanager
def user_input() -> Iterator[None]:
    """Around a library call that checks what the user gave (an option's value, a file): its
    ValueError becomes a :class:`UsageError`; any other exception stays a bug."""
    try:
        yield
    except UsageError:
        raise
    except ValueError as err:
        raise UsageError(str(err)) from err


# --------------------------------------------------------------------------------------------
# parser classes


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose option errors are one line, as every other error of the
    command: ``nn-parity: error: MESSAGE (see nn-parity COMMAND --help)``, exit status 2."""

    help_hint: str | None = None  # the help to point to; default: this parser's own
    commands: tuple[str, ...] = ()  # the sub-commands' names (set by build_parser)

    def error(self, message: str) -> NoReturn:
        hint = self.help_hint or f"{self.prog} --help"
        self.exit(2, f"{PROG}: error: {one_line(message)} (see {hint})\n")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: X)`` after each option's help, except where there is no default
    to show (None, a flag) or the help already explains it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def add_command(subparsers: Any, name: str, *, help: str, description: str) -> Parser:
    """A sub-command's parser on ``nn-parity``'s ``subparsers``, with the option every
    command takes (``--threads N``) and the help formatter that shows defaults."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--threads",
        type=positive_int,
        default=1,
        metavar="N",
        help="torch and BLAS threads (default: 1, the fastest for these small networks)",
    )
    parser: Parser = subparsers.add_parser(
        name, help=help, description=description, parents=[common], formatter_class=HelpFormatter
    )
    return parser


# --------------------------------------------------------------------------------------------
# option values


def _int_at_least(text: str, minimum: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def output_path(text: str) -> str:
    """An argparse type: a path to write to, not empty (``Path('')`` would be the current
    directory, and an empty ``--out`` is a slip, not a choice)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a path to write to, got {text!r}")
    return text


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    return _int_at_least(text, 1, "a positive integer")


def seed(text: str) -> int:
    """An argparse type: a seed, an integer in 0 .. 2**32 - 1 (``parity.spec``)."""
    value = _int_at_least(text, 0, "a seed, an integer in 0 .. 2**32 - 1")
    if seed_problem(value) is not None:
        raise argparse.ArgumentTypeError(
            f"expected a seed, an integer in 0 .. 2**32 - 1 ({SEED_LIMIT - 1}), got {text!r}"
        )
    return value


def parse_hidden(text: str, command: str = "train") -> tuple[int, ...]:
    """``"16,16"`` -> ``(16, 16)``; ``"none"`` -> ``()`` (no hidden layer). An empty value is
    refused (it is more often a shell variable that was not set than a choice)."""
    if text.strip().lower() == "none":
        return ()
    if not text.strip():
        raise OptionError(
            f"--hidden {text!r} is empty; give sizes like 16,16, or 'none' for no hidden layer",
            command,
        )
    sizes = []
    for part in text.split(","):
        try:
            size = int(part)
        except ValueError:
            size = 0
        if size < 1:
            raise OptionError(
                f"--hidden must be comma-separated positive sizes like 16,16 (or 'none'), "
                f"got {text!r}",
                command,
            )
        sizes.append(size)
    return tuple(sizes)


def parse_activation(
    text: str, hidden: tuple[int, ...], command: str = "train"
) -> str | tuple[str, ...]:
    """``"tanh"`` -> ``"tanh"`` for every layer; ``"relu,tanh"`` -> one name per layer of
    ``hidden``. OptionError for an unknown name or a count that does not match."""
    from parity.spec import ACTIVATIONS

    names = tuple(n.strip() for n in text.split(","))
    for name in names:
        if name not in ACTIVATIONS:
            raise OptionError(
                f"--activation: unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}",
                command,
            )
    if len(names) > 1 and len(names) != len(hidden):
        raise OptionError(
            f"--activation {text!r} has {len(names)} names for {len(hidden)} hidden layers "
            f"(--hidden {','.join(map(str, hidden)) or 'none'}); give one name, or one per layer",
            command,
        )
    return names[0] if len(names) == 1 else names


def check_number(
    option: str, value: float, command: str, *, minimum: float = 0.0, strict: bool = False
) -> None:
    """OptionError unless ``value`` is finite and ``> minimum`` (``strict``) or ``>= minimum``."""
    relation = ">" if strict else ">="
    ok = math.isfinite(value) and (value > minimum if strict else value >= minimum)
    if not ok:
        raise OptionError(
            f"{option} must be a finite number {relation} {minimum:g}, got {value!r}", command
        )


def check_out_dir(path: Path, option: str = "--out") -> Path:
    """``path`` unless it exists as something other than a directory (UsageError)."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {str(path)!r} exists and is not a directory")
    return path


def resolve_device(name: str) -> str:
    """``auto`` -> ``cuda`` when available else ``cpu``; ``cuda`` without CUDA -> UsageError
    worded for the command line (``--device``), not for the Python API. ``cpu`` is answered
    without importing torch (a scratch-only command never needs it)."""
    if name == "cpu":
        return "cpu"
    import torch

    import torch_impl

    try:
        return torch_impl.resolve_device(name).type
    except ValueError as err:
        if not name.startswith("cuda") or torch.cuda.is_available():
            raise UsageError(str(err)) from err
    why = (
        f"this torch {torch.__version__} is a CPU-only build"
        if torch.version.cuda is None
        else f"torch {torch.__version__} (CUDA {torch.version.cuda}) finds no GPU"
    )
    raise UsageError(
        f"--device {name}: no CUDA device is available ({why}); use --device cpu, "
        f"or --device auto to take CUDA only where there is one"
    )
