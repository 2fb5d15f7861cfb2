"""SIGTERM handled like Ctrl-C, and both held off while an output is being put in place.

Python turns SIGINT into ``KeyboardInterrupt``, so ``finally`` blocks run and a staging
directory is removed; SIGTERM's default ends the process on the spot, leaving it behind.
:func:`sigterm_as_interrupt` makes SIGTERM raise :class:`Interrupted` (a KeyboardInterrupt)
too. :func:`signals_held` records SIGINT and SIGTERM instead of acting on them for the few
renames that publish an output, so that an interrupt can never land between two of them;
the caller then raises ``Interrupted(signum, written=...)``, which says the output is in place.

:func:`exit_on_signal` is for a finished command that is only exiting: a late signal ends
it with one line and status 128 + signum (not a silent death by the signal).

Python runs signal handlers in the main thread only; elsewhere both are no-ops.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from parity.errors import Interrupted

HELD = (signal.SIGINT, signal.SIGTERM)


def signal_number(err: KeyboardInterrupt) -> int:
    """The signal behind ``err``: its ``signum``, SIGINT for a plain KeyboardInterrupt."""
    return int(getattr(err, "signum", signal.SIGINT))


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def _restore(previous: dict[signal.Signals, Any]) -> None:
    for signum, handler in previous.items():
        if handler is not None:  # None: installed from C, cannot be reinstalled from Python
            signal.signal(signum, handler)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Interrupted` (cleanup runs as for Ctrl-C);
    the previous handler is restored on exit, unless the block installed another one
    (:func:`exit_on_signal`)."""
    if not _in_main_thread():
        yield
        return
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, _raise_interrupted)}
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGTERM) is _raise_interrupted:  # (not replaced meanwhile)
            _restore(previous)


@contextmanager
def signals_held() -> Iterator[list[int]]:
    """Within the block SIGINT and SIGTERM are recorded, not acted on; yields the list they
    are recorded in (in arrival order). The previous handlers are restored on exit; acting on
    a recorded signal is the caller's job (raise ``Interrupted(signum, written=...)``)."""
    received: list[int] = []
    if not _in_main_thread():
        yield received
        return

    def record(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {s: signal.signal(s, record) for s in HELD}
    try:
        yield received
    finally:
        _restore(previous)


def exit_on_signal(line: Callable[[int], str]) -> None:
    """From now on SIGINT and SIGTERM end the process at once, with status 128 + signum,
    after writing ``line(signum)`` to stderr: for a command that has finished and is only
    exiting (its output flushed), so a late signal still ends it with a line saying so
    rather than killing it silently. For a process's entry point only: never undone."""
    if not _in_main_thread():
        return

    def finish(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(Exception):  # (stdout may be mid-write: not reentrant)
            sys.stdout.flush()
        with contextlib.suppress(Exception):
            sys.stderr.write(line(signum) + "\n")
            sys.stderr.flush()
        os._exit(128 + signum)

    for signum in HELD:
        signal.signal(signum, finish)
