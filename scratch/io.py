"""Saving and loading state dicts as ``.npz`` (plain arrays, no pickle), written atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def save_weights(path: str | os.PathLike[str], state: Mapping[str, np.ndarray]) -> None:
    """Write ``state`` to ``path`` (``.npz``) via a temporary file and an atomic rename, so an
    interrupted save never leaves a half-written file."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"scratch saves weights as .npz, got {path.name!r}")
    arrays: dict[str, Any] = {k: np.asarray(v) for k, v in state.items()}
    for k, v in arrays.items():
        if v.dtype.hasobject:  # np.savez would pickle it, and load_weights refuses pickles
            raise TypeError(f"state entry {k!r} is not a plain numeric array (dtype {v.dtype})")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_weights(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a state dict saved by ``save_weights`` (or by ``torch_impl``'s ``.npz`` export)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except ValueError as exc:
        raise ValueError(f"{path} is not a .npz file of plain arrays: {exc}") from exc
