"""Every error nn-parity raises on purpose, each with the exit status the CLI gives it.

The base :class:`ParityError` carries ``exit_status``; the one CLI handler
(``parity.cli.main``) prints any of them as one ``nn-parity: error: ...`` line and exits with
that status. Anything else that escapes a command is a bug and keeps its traceback.

=====================  ====  ==========================================================
class                  exit  meaning
=====================  ====  ==========================================================
``InputError``         2     a wrong value: an option, a file, an argument (a ValueError)
``InputTypeError``     2     a wrong type given to the Python API (a TypeError)
``OptionError``        2     a bad command-line option, with the ``--help`` to read
``InUseError``         2     an output another command holds (a BlockingIOError)
``StructureError``     2     a checked network whose tensors do not fit torch's network
``Failure``            1     valid input, but the work could not be done
``Diverged``           1     a training run diverged (a ``Failure``)
``Interrupted``        130   Ctrl-C, or 143 for SIGTERM (a KeyboardInterrupt)
=====================  ====  ==========================================================

``UsageError``, ``OutputError`` and ``LoadError`` are other names of ``InputError``, kept
for code written against earlier versions. The twins' ``TrainingDiverged``
(``scratch`` and ``torch_impl``) are ``FloatingPointError`` subclasses of their own: the
twins import nothing from parity, and the harness turns them into a ``Failure``.
"""

from __future__ import annotations

import math
import signal


class ParityError(Exception):
    """The base of every error nn-parity raises on purpose; ``exit_status`` for the CLI."""

    exit_status = 1


class InputError(ParityError, ValueError):
    """A wrong value given to nn-parity: an option, a file, an argument."""

    exit_status = 2


class InputTypeError(ParityError, TypeError):
    """A wrong type given to the Python API."""

    exit_status = 2


class OptionError(InputError):
    """A bad command-line option value, with the hint ``(see nn-parity COMMAND --help)``."""

    def __init__(self, message: str, command: str) -> None:
        super().__init__(f"{message} (see nn-parity {command} --help)")


class InUseError(ParityError, BlockingIOError):
    """An output that another nn-parity command holds (its lock is taken)."""

    exit_status = 2


class StructureError(InputError):
    """A checked network whose tensors cannot be mapped onto torch's network; ``tree`` shows
    the mapping with the bad row marked."""

    def __init__(self, message: str, tree: str) -> None:
        super().__init__(message)
        self.message = message
        self.tree = tree


class Failure(ParityError):
    """Valid input, but the command could not do its work (a training run diverged)."""

    exit_status = 1


class Diverged(Failure):
    """A training run whose loss became non-finite or exploded: ``side`` names the
    implementation, ``step`` and ``loss`` say where (from the twin's ``TrainingDiverged``)."""

    def __init__(self, side: str, cause: FloatingPointError) -> None:
        self.side = side
        self.step: int | None = getattr(cause, "step", None)
        self.loss: float = float(getattr(cause, "loss", math.nan))
        where = "" if self.step is None else f" at step {self.step} (loss {self.loss:.3g})"
        super().__init__(f"{side} diverged{where}")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM: exit status 128 + the signal's number (130, 143).

    ``written`` names an output already in place when the interrupt arrived, if any.
    """

    def __init__(self, signum: int, written: str | None = None) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum, self.written = int(signum), written

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


UsageError = InputError
OutputError = InputError
LoadError = InputError
