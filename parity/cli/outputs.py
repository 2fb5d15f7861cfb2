"""Where a command writes: checked before any work, locked for the whole command, replaced
as one transaction, never one of the command's own inputs.

The file outputs' checks live in ``parity._util.outputs`` (``nn-parity check`` uses them
too) and are re-exported here.

- :func:`locked_output` makes the output's missing parent directories (removed again if the
  command fails), takes its lock (``parity._util.lock``: a concurrent command on the same
  output is refused with one line, exit status 2) and fails at once, naming the user's path,
  where nothing can be written (``/proc/x``, a path under a regular file, a read-only
  directory).
- :func:`run_transaction` (``train --out``): inside that, cleans up after a run that died
  mid-way, stages the whole run directory and swaps it in with :func:`parity._util.atomic.swap_dir`.
  The user's own files in an earlier run directory (notes, a copy of the data) are kept; the
  run's files (:data:`RUN_FILES`, ``weights_<backend>.npz``) are all new, never mixed with an
  earlier run's. An existing ``--out`` must be an earlier run or empty: a directory of other
  things (``.``, a home directory) is refused rather than swapped.
- :func:`check_not_an_input`: an output path that is one of the inputs is refused.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from parity._util.atomic import recover, staging_dir, swap_dir
from parity._util.outputs import (
    check_not_an_input,
    locked_output,
    reserved_output,
    same_file,
    shown,
    unwritable,
)
from parity.errors import OutputError, UsageError
from parity.harness.sides import IMPLEMENTATIONS

__all__ = [
    "RUN_FILES", "OutputError", "RunStaging", "check_not_an_input", "check_outside",
    "is_run_file", "locked_output", "reserved_output", "run_transaction", "same_file", "shown",
    "unwritable",
]  # fmt: skip

RUN_FILES = ("model.json", "history.json", "training_curve.png")  # besides weights_<side>.npz


def is_run_file(name: str) -> bool:
    """``name`` is one of the files ``train`` writes into a run directory."""
    return name in RUN_FILES or name in {f"weights_{side}.npz" for side in IMPLEMENTATIONS}


def _keep(name: str) -> bool:
    """An entry of an earlier run directory that a new run keeps: anything but run files."""
    return not is_run_file(name)


@dataclass
class RunStaging:
    """A run being written: files go into ``staged``; ``commit()`` swaps it in as ``out``."""

    out: Path
    staged: Path
    shown: str  # --out as the user gave it

    def commit(self) -> tuple[list[str], list[str]]:
        """Put the staged run in place of ``out``; returns the names written and the names
        of an earlier run's files dropped (another backend's weights)."""
        written = sorted(p.name for p in self.staged.iterdir())
        try:
            dropped = swap_dir(self.staged, self.out, keep=_keep)
        except OSError as err:  # swap_dir has put the earlier run back
            raise OSError(
                f"{shown('--out', self.shown)}: cannot put the new run in place "
                f"({err.strerror or err}); the earlier run is unchanged"
            ) from None
        return written, dropped


def _check_replaceable(target: Path, what: str) -> None:
    """An existing ``--out`` is an earlier run (it has model.json) or empty."""
    if target.is_dir() and not (target / "model.json").is_file() and any(target.iterdir()):
        raise UsageError(
            f"{what} is a directory that holds no nn-parity run (no model.json); train "
            "replaces its --out as a whole, so give a new or empty directory, or an earlier "
            "run's"
        )


@contextmanager
def run_transaction(out: Path) -> Iterator[RunStaging]:
    """``train``'s output (see the module docstring): locked, checked, staged; the caller
    writes into ``staged`` and calls ``commit()``; on any error nothing changes."""
    with locked_output(out, "--out") as target:
        for note in recover(target, keep=_keep):
            print(f"note: {out}: {note}", file=sys.stderr)
        _check_replaceable(target, shown("--out", out))
        with staging_dir(target) as staged:
            yield RunStaging(target, staged, str(out))


def check_outside(option: str, path: Path, out_option: str, out: Path) -> None:
    """UsageError when ``path`` lies inside the directory ``out`` that a command replaces."""
    inside = Path(os.path.realpath(path)).is_relative_to(os.path.realpath(out))
    if inside:
        raise UsageError(
            f"{shown(option, path)} lies inside {shown(out_option, out)}, which is replaced "
            f"as a whole; move the file or give another {out_option}"
        )
