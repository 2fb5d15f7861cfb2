"""One command at a time per output: an exclusive ``flock`` on a lock file beside it.

``exclusive(dest, what)`` holds a lock on ``.NAME.lock`` in ``dest``'s directory for the
block; a second holder (another process, or another ``open`` in this one) is refused at once
with :class:`InUseError` (an OSError: the CLI prints it as one line, exit status 2), never
queued behind the first and never racing it. The lock file holds the holder's pid (for the
message) and is removed by its holder before the lock is released; a waiter that then
finds the path gone or replaced tries again on the new file, so two holders can never each
believe they hold it. POSIX only (``fcntl``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from parity.errors import InUseError

_ATTEMPTS = 20  # a lock file replaced under us this many times in a row: give up


def lock_path(dest: Path) -> Path:
    """Where ``dest``'s lock lives: ``.NAME.lock`` in its directory."""
    return dest.parent / f".{dest.name}.lock"


def _holder(fd: int) -> str:
    """The pid written in the lock file, as text for a message ('' when unreadable)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""


def _is_current(fd: int, path: Path) -> bool:
    """``fd`` is still the file at ``path`` (not unlinked or replaced by its last holder)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _acquire(path: Path, what: str) -> int:
    """An fd of ``path`` with the lock held; InUseError when another holds it."""
    for _ in range(_ATTEMPTS):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise InUseError(
                f"{what} is in use by another nn-parity command{holder}; wait for it to "
                "finish, or write somewhere else"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        if _is_current(fd, path):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            return fd
        os.close(fd)  # its holder removed it as we opened it: lock the new one
    raise InUseError(f"{what}: its lock file {path} keeps being replaced; try again")


@contextmanager
def exclusive(dest: Path, what: str) -> Iterator[Path]:
    """Hold the lock of ``dest`` (``.NAME.lock`` beside it) for the block; yields the lock
    file's path. ``what`` names the output in the refusal (``--out 'runs/x'``). OSError when
    the lock file cannot be created (the directory is missing or not writable)."""
    path = lock_path(Path(dest))
    fd = _acquire(path, what)
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # while still holding it: see the module docstring
        os.close(fd)
