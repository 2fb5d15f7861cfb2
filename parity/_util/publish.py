"""Every output of every command is published here: checked before any work, locked, staged
under a hidden name, put in place by rename, and never anything the command did not write.

Two kinds of output:

- :func:`output_dir` (``train --out``, ``report --out``, ``check --out``, ``bench --out``):
  the command writes its files into a staging directory and ``commit()`` swaps it in place
  of ``--out`` as a whole. The directory then holds a marker, ``.nn-parity.json``, naming the
  command and the entries it wrote. An existing ``--out`` must be empty or carry the marker
  of the same command; anything else (``.``, a home directory, another library's export) is
  refused in one line before any work. Entries the marker does not list (a user's notes) are
  moved into the new directory; an earlier output's own entries that the new one lacks are
  dropped (and named). An input (``--data``, the checked FILE.py) inside ``--out`` is refused.
- :func:`output_file` (``predict --output``, ``check --json``): a hidden temporary twin is
  made beside the file up front, and ``commit(text)`` renames it over the file.

Names beside an output ``NAME`` (hidden, and carrying ``nn-parity``, so that they cannot be
a user's ``run.old-jan`` or ``run.tmp-notes``):

- ``.NAME.nn-parity.lock``: the lock (``flock``) the writing command holds; a second
  command on ``NAME`` is refused at once (:class:`InUseError`), never queued;
- ``.NAME.nn-parity-tmp-XXXXXXXX``: the staging directory or file;
- ``.NAME.nn-parity-old-XXXXXXXX``: the earlier directory, set aside for the swap.

A command killed with ``kill -9`` leaves these behind. The next command that writes into the
same directory, of any kind, removes those whose lock nobody holds (a set-aside directory
whose output is missing is put back), and says so in a ``note:`` line.

SIGINT and SIGTERM are held off during the renames (``signals_held``): an interrupt lands
before (nothing written) or after (``Interrupted(written=...)``), never between two.
Everything published gets the mode a plain ``open()`` or ``mkdir()`` would give it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import stat
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity._util.signals import signals_held
from parity.errors import Interrupted, InUseError, OutputError

MARKER = ".nn-parity.json"
MARKER_FORMAT = "nn-parity-output"
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.nn-parity-(?P<kind>tmp|old)-[0-9a-f]{8}$")
_LOCK = re.compile(r"^\.(?P<name>.+)\.nn-parity\.lock$")
_LONGEST_SUFFIX = len(".") + len(".nn-parity-tmp-") + 8  # what a staging name adds to NAME
_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


# ------------------------------------------------------------------ paths and messages


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
    """OutputError when ``path`` (links followed) is a link loop, or exists as neither a
    regular file nor a directory, or as the wrong one of the two (``directory``)."""
    what = shown(option, path)
    try:
        mode = os.stat(path).st_mode
    except OSError as err:  # absent (or unreadable: the write itself will say so)
        if err.errno == errno.ELOOP:
            raise OutputError(f"{what} is a symbolic link loop; remove it or give another "
                              "path") from None  # fmt: skip
        return
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise OutputError(
            f"{what} is not a regular file (it is {_kind(mode)}); outputs are written to a "
            "new file and renamed into place, so give the path of a file to create or replace"
        )
    if directory and not stat.S_ISDIR(mode):
        raise OutputError(f"{what} exists and is not a directory")
    if not directory and stat.S_ISDIR(mode):
        raise OutputError(f"{what} is a directory; give a file name")


def _check_name_length(target: Path, what: str) -> None:
    """OutputError when the lock or staging name derived from ``target``'s name would be
    longer than the file system allows (an ENAMETOOLONG about a name the user never gave)."""
    try:
        limit = os.pathconf(target.parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    longest = len(os.fsencode(target.name)) + _LONGEST_SUFFIX
    if longest > limit:
        raise OutputError(
            f"{what}: its name is {len(target.name)} characters, too long for the lock and "
            f"staging files nn-parity makes beside it ('.NAME.nn-parity-tmp-XXXXXXXX', "
            f"{longest} characters, over this file system's {limit}); give a name of at most "
            f"{limit - _LONGEST_SUFFIX} characters"
        )


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


def _check_outside(what: str, option: str, target: Path, inputs: Mapping[str, Path]) -> None:
    """OutputError when an input (``{its option and path: path}``) lies inside ``target``."""
    for name, path in inputs.items():
        if Path(os.path.realpath(path)).is_relative_to(target):
            raise OutputError(
                f"{name} lies inside {what}, which is replaced as a whole; move the file or "
                f"give another {option}"
            )


def _unwritable(what: str, directory: Path, err: OSError) -> OSError:
    reason = err.strerror or str(err)
    return OSError(f"{what}: cannot write there: cannot create files in {directory} ({reason})")


def _full(what: str, err: OSError) -> OSError:
    """A full disk or a file too large, named by the output and its option."""
    return OSError(f"{what}: {err.strerror or err} while writing it; nothing was replaced")


def _umask() -> int:
    umask = os.umask(0)  # the only portable way to read the umask is to set it; restore at once
    os.umask(umask)
    return umask


def default_mode(directory: bool = False) -> int:
    """The mode ``mkdir()`` (``directory``) or ``open(path, "w")`` gives a new entry."""
    return (0o777 if directory else 0o666) & ~_umask()


def _set_default_modes(root: Path) -> None:
    files, dirs = default_mode(), default_mode(directory=True)
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            os.chmod(path, dirs if path.is_dir() else files)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _exists(path: Path) -> bool:
    return os.path.lexists(path)


def _make_dirs(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents; return those created, deepest last."""
    missing = []
    while not _exists(directory):
        missing.append(directory)
        if directory.parent == directory:
            break
        directory = directory.parent
    for path in reversed(missing):
        os.mkdir(path)
    return missing[::-1]


def _remove_empty(created: list[Path]) -> None:
    for path in reversed(created):
        with contextlib.suppress(OSError):
            path.rmdir()


def _hidden(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.nn-parity-{kind}-{secrets.token_hex(4)}"


# ------------------------------------------------------------------ the lock


def lock_path(dest: Path) -> Path:
    """Where ``dest``'s lock lives: ``.NAME.nn-parity.lock`` in its directory."""
    return dest.parent / f".{dest.name}.nn-parity.lock"


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""


def _is_current(fd: int, path: Path) -> bool:
    """``fd`` is still the file at ``path`` (not removed or replaced by its last holder)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _acquire(path: Path, what: str) -> int:
    """An fd of ``path`` with the lock held; InUseError when another holds it. The holder
    removes the file before it lets go, so a taker that finds it gone tries the new one."""
    for _ in range(20):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise InUseError(f"{what} is in use by another nn-parity command{holder}; wait "
                             "for it to finish, or write somewhere else") from None  # fmt: skip
        except BaseException:
            os.close(fd)
            raise
        if _is_current(fd, path):
            with contextlib.suppress(OSError):  # the pid is for the message only (a full disk)
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            return fd
        os.close(fd)
    raise InUseError(f"{what}: its lock file {path} keeps being replaced; try again")


def _release(fd: int, path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # while still holding it: see _acquire
    os.close(fd)


@contextmanager
def locked(dest: Path, what: str) -> Iterator[Path]:
    """Hold ``dest``'s lock for the block (see the module docstring); yields its path."""
    path = lock_path(Path(dest))
    fd = _acquire(path, what)
    try:
        yield path
    finally:
        _release(fd, path)


# ------------------------------------------------------------------ the marker


def read_marker(directory: Path) -> dict[str, Any] | None:
    """The marker of ``directory`` (``{"command": ..., "files": [...]}``), or None."""
    try:
        raw = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(raw, dict) and raw.get("format") == MARKER_FORMAT
            and isinstance(raw.get("files"), list)):  # fmt: skip
        return None
    return raw


def _write_marker(directory: Path, command: str, files: list[str]) -> None:
    marker = {"format": MARKER_FORMAT, "command": command, "files": files}
    (directory / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")


def _owned(directory: Path) -> set[str]:
    marker = read_marker(directory)
    return {MARKER} | set(marker["files"] if marker else [])


def check_owned(target: Path, what: str, command: str) -> None:
    """OutputError unless ``target`` is absent, empty, or carries ``command``'s marker."""
    if not _is_dir(target):
        return
    entries = sorted(p.name for p in target.iterdir())
    if not entries:
        return
    marker = read_marker(target)
    if marker is None:
        some = ", ".join(repr(e) for e in entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise OutputError(
            f"{what} holds files nn-parity did not write ({some}; no {MARKER}), and "
            f"{command} replaces its --out as a whole; give a new or empty directory"
        )
    if marker.get("command") != command:
        raise OutputError(
            f"{what} holds the output of nn-parity {marker.get('command')}, not of "
            f"{command}; give another directory"
        )


# ------------------------------------------------------------------ leftovers


def _carry_over(old: Path, new: Path) -> list[str]:
    """Move the entries of ``old`` its marker does not list (a user's) into ``new`` where
    ``new`` lacks them; return the names of ``old``'s own entries ``new`` lacks (dropped)."""
    owned, dropped = _owned(old), []
    for entry in sorted(old.iterdir()):
        if _exists(new / entry.name):
            continue
        if entry.name in owned:
            dropped.append(entry.name)
        else:
            os.rename(entry, new / entry.name)
    return dropped


def clean_leftovers(directory: Path, held: str = "") -> list[str]:
    """Remove what dead commands left in ``directory`` (see the module docstring): staging
    and set-aside names whose lock nobody holds (``held``: the name whose lock the caller
    holds). Returns one line per thing done."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    done = []
    for name in names:
        left = _LEFTOVER.match(name)
        found = left or _LOCK.match(name)
        if found is None:
            continue
        owner = found.group("name")
        if owner == held:  # the caller's own name: what is there is a dead command's
            if left:
                done += _clean_one(directory, left)
            continue
        try:
            with locked(directory / owner, ""):
                if left:
                    done += _clean_one(directory, left)
        except OSError:  # a live command's (InUseError), or not ours to touch
            continue
    return done


def _clean_one(directory: Path, match: re.Match[str]) -> list[str]:
    path, dest = directory / match.group(0), directory / match.group("name")
    is_dir = _is_dir(path) and not path.is_symlink()
    if match.group("kind") == "old" and is_dir and not _exists(dest):
        os.rename(path, dest)
        return [f"restored {dest.name} from {path.name}, left by an interrupted command"]
    if is_dir:
        if match.group("kind") == "old" and _is_dir(dest):
            _carry_over(path, dest)
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()
    return [f"removed {path.name}, left by an interrupted command"]


def _notes(directory: Path, held: str, shown_as: str) -> None:
    for note in clean_leftovers(directory, held):
        print(f"note: {shown_as}: {note}", file=sys.stderr)


# ------------------------------------------------------------------ a directory


@dataclass
class Staging:
    """An output directory being written: files go into ``staged``; ``commit()`` swaps it
    in as ``target`` (the real path of ``--out``)."""

    target: Path
    staged: Path
    what: str  # the option and the path as the user gave them
    command: str

    def commit(self) -> tuple[list[str], list[str]]:
        """Put the staged directory in place of ``target``; returns the entries written and
        the earlier output's own entries dropped. OutputError (nothing changed) when an
        entry of the user's would be replaced."""
        written = sorted(p.name for p in self.staged.iterdir() if p.name != MARKER)
        if _is_dir(self.target):
            owned = _owned(self.target)
            clash = [n for n in written if n not in owned and _exists(self.target / n)]
            if clash:
                raise OutputError(f"{self.what}: {clash[0]!r} there is not nn-parity's (not "
                                  f"in {MARKER}); move it, or give another directory")  # fmt: skip
        _write_marker(self.staged, self.command, written)
        _set_default_modes(self.staged)
        with signals_held() as received:
            dropped = self._swap()
        if received:
            raise Interrupted(received[0], written=str(self.target))
        return written, dropped

    def _swap(self) -> list[str]:
        if not _exists(self.target):
            os.rename(self.staged, self.target)
            return []
        aside = _hidden(self.target, "old")
        os.rename(self.target, aside)
        try:
            os.rename(self.staged, self.target)
        except BaseException as err:
            os.rename(aside, self.target)
            if isinstance(err, OSError):
                raise OSError(
                    f"{self.what}: cannot put the new output in place "
                    f"({err.strerror or err}); the earlier one is unchanged"
                ) from None
            raise
        try:
            dropped = _carry_over(aside, self.target)
        except OSError:  # the new directory is in place; the next command finishes the move
            return []
        shutil.rmtree(aside, ignore_errors=True)
        return dropped


@contextmanager
def output_dir(
    out: str | os.PathLike[str],
    option: str,
    command: str,
    inputs: Mapping[str, Path] | None = None,
) -> Iterator[Staging]:
    """The output directory ``out`` (given as ``option``, written by ``command``), checked,
    locked and staged before any work (see the module docstring); the caller writes into
    ``staging.staged`` and calls ``staging.commit()``. ``inputs`` (``{"--data 'd.csv'":
    path}``) may not lie inside it. On any error or interrupt nothing changes; the missing
    parents made here are removed again."""
    what = shown(option, out)
    given = nonempty(option, out)
    check_target(option, given, directory=True)
    target = Path(os.path.realpath(given))
    if target.parent == target:
        raise OutputError(f"{what} is the filesystem root; give a directory to write into")
    created: list[Path] = []
    entered = False
    try:
        created = _make_dirs(target.parent)
        _check_name_length(target, what)
        with locked(target, what):
            if _is_dir(target) and not os.access(target, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, "Permission denied")
            _notes(target.parent, target.name, str(out))
            check_owned(target, what, command)
            _check_outside(what, option, target, inputs or {})
            staged = _hidden(target, "tmp")
            os.mkdir(staged)
            entered = True
            try:
                _write_marker(staged, command, [])  # a staging directory is marked from birth
                yield Staging(target, staged, what, command)
            finally:
                shutil.rmtree(staged, ignore_errors=True)
    except (InUseError, OutputError):
        _remove_empty(created)
        raise
    except OSError as err:
        _remove_empty(created)
        if entered and err.errno in _FULL:
            raise _full(what, err) from None
        if entered:
            raise
        raise _unwritable(what, target if _is_dir(target) else target.parent, err) from None
    except BaseException:
        _remove_empty(created)
        raise


# ------------------------------------------------------------------ a file


class ReservedFile:
    """A file's hidden temporary twin (see :func:`output_file`); ``commit(text)`` writes it
    and replaces the file with it."""

    def __init__(self, path: Path, tmp: Path, what: str) -> None:
        self.path, self.tmp, self.what = path, tmp, what

    def commit(self, text: str) -> None:
        """Write ``text`` (UTF-8) to the twin and rename it onto the file."""
        try:
            with open(self.tmp, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        except OSError as err:
            raise (_full(self.what, err) if err.errno in _FULL else err) from None
        with signals_held() as received:
            try:
                os.replace(self.tmp, self.path)
            except OSError as err:  # name the user's file, not the temporary one
                raise type(err)(err.errno, err.strerror, str(self.path)) from None
        if received:
            raise Interrupted(received[0], written=str(self.path))


@contextmanager
def output_file(
    option: str,
    path: str | os.PathLike[str],
    inputs: Mapping[str, Path] | None = None,
    parents: bool = False,
) -> Iterator[ReservedFile]:
    """The output file ``path`` (given as ``option``) checked (not empty, not a device,
    FIFO or link loop, none of ``inputs``), locked, and its temporary twin made, before any
    work; the caller commits its text at the end. A link is written through. Its directory
    must exist, unless ``parents``: then the missing ones are made (and removed again if the
    block fails)."""
    given = nonempty(option, path)
    what = shown(option, path)
    check_target(option, given, directory=False)
    if inputs:
        check_not_an_input(option, given, inputs)
    target = Path(os.path.realpath(given))
    if not parents and _exists(target.parent) and not _is_dir(target.parent):
        raise NotADirectoryError(f"{what}: {given.parent} is not a directory")
    if not parents and not _is_dir(target.parent):
        raise FileNotFoundError(f"{what}: no such directory: {given.parent}")
    created: list[Path] = []
    entered = False
    try:
        created = _make_dirs(target.parent) if parents else []
        _check_name_length(target, what)
        with locked(target, what):
            _notes(target.parent, target.name, str(path))
            tmp = _hidden(target, "tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            os.close(fd)
            entered = True
            try:
                yield ReservedFile(target, tmp, what)
            finally:
                tmp.unlink(missing_ok=True)
    except BaseException as err:
        _remove_empty(created)
        if entered or isinstance(err, (InUseError, OutputError)) or not isinstance(err, OSError):
            raise
        raise _unwritable(what, target.parent, err) from None
