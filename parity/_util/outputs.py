"""Where a command writes, checked before any work: shared by ``parity.cli`` and ``nn-parity
check`` (``parity.cli.check``), which may not import ``parity.cli``.

- :func:`locked_output` (a directory: ``--out``) makes the missing parent directories
  (removed again if the command fails), takes the output's lock (``parity._util.lock``: a
  concurrent command on it is refused with one line) and fails at once, naming the user's
  path, where nothing can be written (``/proc/x``, a path under a regular file, a read-only
  directory).
- :func:`reserved_output` (a file: ``predict --output``, ``check --json``) checks the path,
  takes its lock and creates the file's temporary twin up front
  (``parity._util.atomic.reserved_file``); the command commits its text at the end.
- :func:`check_not_an_input`: an output path that is one of the inputs is refused.

Rules for every output path: an empty one is refused (``--out ''`` is a slip, not the
current directory); an existing target that is not a regular file or a directory (a
character or block device such as ``/dev/full``, a FIFO, a socket) is refused, never
replaced by a file (so ``/dev/stdout`` is refused too: stdout is where ``predict`` writes
without ``--output``, or with ``--output -``). A symbolic link is written through: the
output replaces the link's target, and the link stays (as ``train --out`` writes into the
directory a link names).

Every refusal is an :class:`OutputError` (a ValueError) or an OSError, one line naming the
option and the path as the user gave them.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from parity._util.atomic import ReservedFile, reserved_file
from parity._util.lock import exclusive
from parity.errors import InUseError, OutputError


def shown(option: str, path: str | os.PathLike[str]) -> str:
    """An option and the path the user gave, for a message: ``--out 'runs/x'``."""
    return f"{option} {str(path)!r}"


def nonempty(option: str, text: str | os.PathLike[str]) -> Path:
    """``text`` as a path; OutputError for an empty string (which ``Path`` reads as ``.``)."""
    if str(text) == "" or str(text).isspace():
        raise OutputError(f"{shown(option, text)} is empty; give a path")
    return Path(text)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def check_target(option: str, path: Path, directory: bool) -> None:
    """OutputError when ``path`` (links followed) exists as neither a regular file nor a
    directory, or as the wrong one of the two (``directory``: the output is a directory)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:  # absent (or unreadable: the write itself will say so)
        return
    what = shown(option, path)
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise OutputError(
            f"{what} is not a regular file (it is {_kind(mode)}); outputs are written to a "
            "new file and renamed into place, so give the path of a file to create or replace"
        )
    if directory and not stat.S_ISDIR(mode):
        raise OutputError(f"{what} exists and is not a directory")
    if not directory and stat.S_ISDIR(mode):
        raise OutputError(f"{what} is a directory; give a file name")


def _make_dirs(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents; return those created, deepest last."""
    missing = []
    while not (directory.exists() or directory.is_symlink()):
        missing.append(directory)
        if directory.parent == directory:
            break
        directory = directory.parent
    created = []
    for path in reversed(missing):
        os.mkdir(path)
        created.append(path)
    return created


def _remove_empty(created: list[Path]) -> None:
    """Remove the directories ``_make_dirs`` created, deepest first, where still empty."""
    for path in reversed(created):
        with contextlib.suppress(OSError):
            path.rmdir()


def unwritable(what: str, directory: Path, err: OSError) -> OSError:
    """The one-line OSError for an output that cannot be written, naming the user's path."""
    reason = err.strerror or str(err)
    return OSError(f"{what}: cannot write there: cannot create files in {directory} ({reason})")


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


@contextmanager
def locked_output(out: str | os.PathLike[str], option: str) -> Iterator[Path]:
    """Hold the lock of the output directory ``out`` (given as ``option``) for the block,
    after making its missing parents; yields its real path (links resolved). OSError naming
    ``out`` at once when nothing can be written there, InUseError (an OSError) when another
    command holds it; the parents made here are removed again if the block fails."""
    what = shown(option, out)
    target = Path(os.path.realpath(nonempty(option, out)))
    if target.parent == target:
        raise OutputError(f"{what} is the filesystem root; give a directory to write into")
    check_target(option, Path(out), directory=True)
    created: list[Path] = []
    entered = False
    try:
        created = _make_dirs(target.parent)
        with exclusive(target, what):
            if target.is_dir() and not os.access(target, os.W_OK | os.X_OK):
                raise PermissionError(13, "Permission denied")
            entered = True
            yield target
    except InUseError:
        _remove_empty(created)
        raise
    except OSError as err:
        _remove_empty(created)
        if entered:
            raise
        where = target if _is_dir(target) else target.parent
        raise unwritable(what, where, err) from None
    except BaseException:
        _remove_empty(created)
        raise


@contextmanager
def reserved_output(
    option: str,
    path: str | os.PathLike[str],
    inputs: Mapping[str, Path] | None = None,
    parents: bool = False,
) -> Iterator[ReservedFile]:
    """The output file ``path`` (given as ``option``) checked (see the module docstring;
    none of ``inputs``), locked, and its temporary twin created, before any work: the
    caller commits its text at the end. Its directory must exist, unless ``parents``: then
    the missing ones are made (and removed again if the block fails)."""
    given = nonempty(option, path)
    what = shown(option, path)
    check_target(option, given, directory=False)
    if inputs:
        check_not_an_input(option, given, inputs)
    target = Path(os.path.realpath(given))  # a link is written through
    if not parents and target.parent.exists() and not _is_dir(target.parent):
        raise NotADirectoryError(f"{what}: {given.parent} is not a directory")
    if not parents and not _is_dir(target.parent):
        raise FileNotFoundError(f"{what}: no such directory: {given.parent}")
    created: list[Path] = []
    entered = False
    try:
        created = _make_dirs(target.parent) if parents else []
        with exclusive(target, what), reserved_file(target) as reserved:
            entered = True
            yield reserved
    except BaseException as err:
        _remove_empty(created)
        if entered or isinstance(err, InUseError) or not isinstance(err, OSError):
            raise
        raise unwritable(what, target.parent, err) from None


def same_file(a: Path, b: Path) -> bool:
    """``a`` and ``b`` are one file: the same inode when both exist, else the same real path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_not_an_input(option: str, output: Path, inputs: Mapping[str, Path]) -> None:
    """OutputError when ``output`` is one of ``inputs`` (``{what it is: path}``)."""
    for what, path in inputs.items():
        if same_file(output, path):
            raise OutputError(
                f"{shown(option, output)} is {what}: writing it would destroy an input; "
                f"give another {option}"
            )
