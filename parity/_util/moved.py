"""Module paths that moved, kept importable under their old names with a DeprecationWarning.

``import parity.files`` (or ``from parity.files import load_arrays``) still works and gives
the module now at ``parity.data.files``, warning once that the old name will go. One table,
``MOVED``, lists every old name; a finder on ``sys.meta_path`` serves them.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

MOVED = {  # old module name -> where it lives now
    "parity.sides": "parity.harness.sides",
    "parity.runner": "parity.harness.runner",
    "parity.outcome": "parity.harness.outcome",
    "parity.grid": "parity.harness.grid",
    "parity.seeds": "parity.spec",
    "parity.samples": "parity.data.synthetic",
    "parity.files": "parity.data.files",
    "parity.table": "parity.data.table",
    "parity.npz": "parity.data.npz",
    "parity.labels": "parity.data.labels",
    "parity.split": "parity.data.split",
    "parity.standardize": "parity.data.standardize",
    "parity.targets": "parity.data.targets",
    "parity.check.functional": "parity.check.adapters.functional",
    "parity.check.layers": "parity.check.adapters.layers",
    "parity.check.structure": "parity.check.adapters.structure",
    "parity.check.loader": "parity.check.adapters.loader",
    "parity.check.command": "parity.cli.check",
    "parity.check.hypotheses": "parity.check.diagnose.hypotheses",
    "parity.check.updates": "parity.check.run.update_rules",
}


class _Loader(importlib.abc.Loader):
    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} is now {self.new}; the old name will be removed in a later version",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module is the one already imported under its new name."""


class MovedFinder(importlib.abc.MetaPathFinder):
    """Finds the old names in ``MOVED`` and hands out the modules at their new ones."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(new))


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(MovedFinder())
