"""Measured maxima of the parity grid: one JSON entry per checked cell, and their summary.

Test-suite code (``conftest.py`` imports it; it is not part of the ``parity`` package).

The test suite records, for every grid cell it checks, the largest error measured per
tolerance kind (``forward``, ``gradient``, ``finite_difference``, ``curve``, ``weights``,
``outputs``) and writes them at the end of the session (default ``DEFAULT_PATH``, or
``pytest --parity-json PATH``). The file reads::

    {"format": 1,
     "cells": {"tanh-deep-binary-float64-cpu": {
         "activation": "tanh", "depth": "deep", "head": "binary", "dtype": "float64",
         "device": "cpu", "ok": true,
         "kinds": {"forward": {"scaled": 3.1e-15, "max_abs": 2.2e-15, "max_rel": 8.0e-14,
                               "tol": 1e-12, "worst": "logits"}, ...}}}}

Per kind, ``scaled``, ``max_abs`` and ``max_rel`` are each the maximum over that kind's
comparisons (so they may come from different tensors); ``worst`` names the comparison with
the largest scaled error, the one judged against ``tol``. ``summarize`` reduces the file to
the worst per ``(dtype, kind)`` for tables such as the report's.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parity.harness.grid import CellResult

FORMAT = 1
DEFAULT_PATH = Path(".pytest_cache") / "parity" / "measured.json"
_FIELDS = ("scaled", "max_abs", "max_rel")


def cell_entry(result: CellResult) -> dict[str, Any]:
    """One cell's JSON entry: its coordinates, its verdict and the maxima per kind."""
    cell = result.cell
    kinds: dict[str, dict[str, Any]] = {}
    for kind, comparisons in result.comparisons.items():
        if not comparisons:
            continue
        worst = max(comparisons, key=lambda c: c.scaled)
        kinds[kind] = {f: max(float(getattr(c, f)) for c in comparisons) for f in _FIELDS}
        kinds[kind] |= {"tol": worst.tol, "worst": worst.name}
    return {
        "activation": cell.activation,
        "depth": cell.depth,
        "head": cell.head,
        "dtype": cell.dtype,
        "device": cell.device,
        "ok": result.ok,
        "kinds": kinds,
    }


def write(path: str | os.PathLike[str], cells: Mapping[str, Mapping[str, Any]]) -> Path:
    """Write ``{"format": 1, "cells": cells}`` to ``path`` atomically; returns the path.

    Parent directories are created; the JSON goes to a temporary file in the same directory
    that then replaces ``path`` (``os.replace``), so a reader never sees half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": FORMAT, "cells": dict(sorted(cells.items()))}, indent=1)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The ``cells`` of a file written by ``write`` (ValueError if it is not one)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not a measured-maxima JSON file ({err})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or "cells" not in data:
        raise ValueError(f"{path}: not a measured-maxima JSON file of format {FORMAT}")
    return data["cells"]


def summarize(path: str | os.PathLike[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """The worst measured error per ``(dtype, kind)`` over every cell in the file at ``path``.

    Each value holds ``scaled``, ``max_abs`` and ``max_rel`` (each the maximum over the
    cells), ``tol``, and ``cell`` and ``worst``: the cell id and comparison name of the
    largest scaled error. Keys are sorted, e.g. ``("float32", "curve")`` first.
    """
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for cell_id, entry in load(path).items():
        for kind, m in entry["kinds"].items():
            key = (entry["dtype"], kind)
            best = out.get(key)
            if best is None:
                out[key] = {**m, "cell": cell_id}
                continue
            if m["scaled"] > best["scaled"]:
                best |= {"scaled": m["scaled"], "tol": m["tol"], "worst": m["worst"]}
                best["cell"] = cell_id
            best["max_abs"] = max(best["max_abs"], m["max_abs"])
            best["max_rel"] = max(best["max_rel"], m["max_rel"])
    return dict(sorted(out.items()))
