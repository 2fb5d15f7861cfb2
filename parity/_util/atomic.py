"""Atomic output: build everything in a staging directory, then move it into place by rename.

A command that writes several files (``nn-parity report``: ``REPORT.md`` and ``figures/``;
``nn-parity train``: weights, description, history, plot) writes them into a fresh
``DEST.tmp-<random>`` directory next to ``DEST`` (the same filesystem, so renames are atomic)
and only when everything succeeded publishes them with renames. An error or an interrupt
before that point removes the staging directory and leaves ``DEST`` exactly as it was: the
previous output intact, never a half-written one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
    published = []
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
    return published


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
