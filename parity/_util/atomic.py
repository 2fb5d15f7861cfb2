"""Atomic output: build everything in a staging directory, then move it into place by rename.

A command that writes several files writes them into a fresh ``DEST.tmp-<random>``
directory next to ``DEST`` (the same filesystem, so renames are atomic) and only when
everything succeeded puts them in place:

- :func:`swap_dir` replaces ``DEST`` as a whole (``nn-parity train``: a run directory is one
  transaction): the old directory is renamed aside to ``DEST.old-<random>``, the staged one
  renamed in, the old entries that ``keep`` names (a user's own notes) moved over, and the
  old directory removed. SIGINT and SIGTERM are held off meanwhile (``signals_held``), so an
  interrupt never lands between two renames; only a crash can, and :func:`recover`, run by
  the next command on ``DEST``, puts the old directory back (or finishes the move) and
  removes staging left behind.
- :func:`publish` moves each staged entry into ``DEST``, keeping its other entries
  (``nn-parity report`` into the committed ``reports/``).
- :func:`reserved_file` creates a file's temporary twin up front (so an unwritable place is
  found before any work) and replaces the file with it at the end.

An error or an interrupt before that point removes the staging and leaves ``DEST`` exactly
as it was. Everything published gets the mode a plain ``open()`` or ``mkdir()`` would give
it (0o666 / 0o777 less the umask), not ``mkstemp``'s and ``mkdtemp``'s 0o600 / 0o700.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from parity._util.signals import signals_held
from parity.errors import Interrupted


def _umask() -> int:
    umask = os.umask(0)  # the only portable way to read the umask is to set it; restore at once
    os.umask(umask)
    return umask


def default_mode(directory: bool = False) -> int:
    """The mode ``mkdir()`` (``directory``) or ``open(path, "w")`` gives a new entry."""
    return (0o777 if directory else 0o666) & ~_umask()


def set_default_modes(root: Path) -> None:
    """Give ``root`` and everything under it (links excepted) the default modes."""
    files, dirs = default_mode(), default_mode(directory=True)
    for path in [Path(root), *Path(root).rglob("*")]:
        if not path.is_symlink():
            os.chmod(path, dirs if path.is_dir() else files)


@contextmanager
def staging_dir(dest: Path) -> Iterator[Path]:
    """A fresh empty directory ``DEST.tmp-<random>`` beside ``dest``; removed on exit, always."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f"{dest.name}.tmp-", dir=dest.parent))
    try:
        yield staged
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def publish(staged: Path, dest: Path) -> list[Path]:
    """Move every entry of ``staged`` into ``dest`` by rename and return the new paths.

    Directories go first: an existing ``dest/NAME`` is renamed into ``staged`` (deleted with
    it afterwards) and the new one renamed in. Files go last, each with ``os.replace``, so a
    report's Markdown (its "commit point") never refers to figures that are not there yet.
    Entries of ``dest`` that ``staged`` does not hold are left alone.
    """
    staged, dest = Path(staged), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    entries = sorted(staged.iterdir(), key=lambda p: (not p.is_dir(), p.name))
    for entry in entries:
        set_default_modes(entry)
    published = []
    with signals_held() as received:
        for entry in entries:
            target = dest / entry.name
            if entry.is_dir():
                if target.exists():
                    old = Path(tempfile.mkdtemp(prefix=f"old-{entry.name}-", dir=staged))
                    os.rename(target, old / entry.name)
                os.rename(entry, target)
            else:
                os.replace(entry, target)
            published.append(target)
    if received:
        raise Interrupted(received[0], written=str(dest))
    return published


def _carry_over(old: Path, new: Path, keep: Callable[[str], bool]) -> list[str]:
    """Move the entries of ``old`` that ``keep`` names and ``new`` lacks into ``new``; return
    the names of the other entries ``new`` lacks (dropped with ``old``)."""
    dropped = []
    for entry in sorted(old.iterdir()):
        if (new / entry.name).exists() or (new / entry.name).is_symlink():
            continue
        if keep(entry.name):
            os.rename(entry, new / entry.name)
        else:
            dropped.append(entry.name)
    return dropped


def _swap(staged: Path, dest: Path, keep: Callable[[str], bool]) -> list[str]:
    if not (dest.exists() or dest.is_symlink()):
        os.rename(staged, dest)
        return []
    aside = dest.parent / f"{dest.name}.old-{secrets.token_hex(4)}"
    os.rename(dest, aside)
    try:
        os.rename(staged, dest)
    except BaseException:
        os.rename(aside, dest)
        raise
    try:
        dropped = _carry_over(aside, dest, keep)
    except OSError:  # the new directory is in place; `recover` finishes the move next time
        return []
    shutil.rmtree(aside, ignore_errors=True)
    return dropped


def swap_dir(staged: Path, dest: Path, keep: Callable[[str], bool]) -> list[str]:
    """Replace the directory ``dest`` by ``staged`` (see the module docstring); entries of
    the old ``dest`` that ``keep(name)`` accepts and ``staged`` does not hold move into the
    new one. Returns the names of the old entries dropped. A SIGINT or SIGTERM that arrives
    meanwhile is acted on afterwards: ``Interrupted(signum, written=str(dest))``."""
    staged, dest = Path(staged), Path(dest)
    set_default_modes(staged)
    with signals_held() as received:
        dropped = _swap(staged, dest, keep)
    if received:
        raise Interrupted(received[0], written=str(dest))
    return dropped


def leftovers(dest: Path) -> tuple[list[Path], list[Path]]:
    """The staging (``DEST.tmp-*``) and set-aside (``DEST.old-*``) directories beside ``dest``."""
    dest = Path(dest)
    try:
        siblings = sorted(dest.parent.iterdir())
    except FileNotFoundError:
        return [], []
    staging = [p for p in siblings if p.name.startswith(f"{dest.name}.tmp-") and p.is_dir()]
    aside = [p for p in siblings if p.name.startswith(f"{dest.name}.old-") and p.is_dir()]
    return staging, aside


def recover(dest: Path, keep: Callable[[str], bool]) -> list[str]:
    """Clean up after a command on ``dest`` that died mid-way (call it holding ``dest``'s
    lock, so that none of these belongs to a live command): remove staging directories; put a
    set-aside directory back when ``dest`` is missing, else finish moving its ``keep``
    entries into ``dest`` and remove it. Returns one line per thing done."""
    staging, aside = leftovers(dest)
    done = []
    for path in staging:
        shutil.rmtree(path, ignore_errors=True)
        done.append(f"removed {path.name}, left by an interrupted run")
    for path in aside:
        if not (dest.exists() or dest.is_symlink()):
            os.rename(path, dest)
            done.append(f"restored {dest.name} from {path.name}, left by an interrupted run")
            continue
        _carry_over(path, dest, keep)
        shutil.rmtree(path, ignore_errors=True)
        done.append(f"removed {path.name}, left by an interrupted run")
    return done


class ReservedFile:
    """A file's temporary twin, created by :func:`reserved_file`; ``commit(text)`` writes it
    and replaces the file with it."""

    def __init__(self, path: Path, tmp: Path) -> None:
        self.path, self.tmp = path, tmp

    def commit(self, text: str) -> None:
        """Write ``text`` (UTF-8) to the twin and rename it onto the file."""
        with open(self.tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        with signals_held() as received:
            try:
                os.replace(self.tmp, self.path)
            except OSError as err:  # name the user's file, not the temporary one
                raise type(err)(err.errno, err.strerror, str(self.path)) from None
        if received:
            raise Interrupted(received[0], written=str(self.path))


@contextmanager
def reserved_file(path: Path) -> Iterator[ReservedFile]:
    """A hidden temporary file beside ``path`` (OSError at once if it cannot be created:
    a missing or read-only directory), with ``open()``'s mode; removed on exit unless
    committed."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with contextlib.suppress(OSError):  # mkstemp makes it 0600 (some filesystems refuse)
            os.chmod(tmp, default_mode())
        yield ReservedFile(path, Path(tmp))
    finally:
        Path(tmp).unlink(missing_ok=True)
