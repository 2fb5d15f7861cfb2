"""Saving and loading state dicts as ``.npz`` (plain arrays, no pickle), written atomically."""

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def _default_file_mode() -> int:
    """The mode ``open(path, "w")`` would give a new file: ``0o666`` less the umask."""
    umask = os.umask(0)  # the only way to read the umask is to set it; restore at once
    os.umask(umask)
    return 0o666 & ~umask


def save_weights(path: str | os.PathLike[str], state: Mapping[str, np.ndarray]) -> None:
    """Write ``state`` to ``path`` atomically: a temporary file beside it, fsynced, then
    ``os.replace``, so a failed save leaves no file and any previous one untouched. The file
    gets the mode ``open()`` would give it. Twin: ``torch_impl.save_weights``."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"scratch saves weights as .npz, got {path.name!r}")
    arrays: dict[str, Any] = {k: np.asarray(v) for k, v in state.items()}
    for k, v in arrays.items():
        if v.dtype.hasobject:  # np.savez would pickle it, and load_weights refuses pickles
            raise TypeError(f"state entry {k!r} is not a plain numeric array (dtype {v.dtype})")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise _naming(err, path) from None
    with contextlib.suppress(OSError):  # mkstemp makes it 0600; give it open()'s mode
        os.chmod(tmp, _default_file_mode())  # (best effort: some file systems refuse chmod)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename makes it visible
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise _naming(err, path) from None
        raise


def _naming(err: OSError, path: Path) -> OSError:
    """``err`` naming ``path``, the caller's, not the temporary file written beside it."""
    if err.errno is None:
        return err
    return type(err)(err.errno, err.strerror, str(path))


def _is_npz(path: Path) -> bool:
    """A zip archive whose members are all ``.npy`` arrays (what ``np.savez`` writes)."""
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return all(name.endswith(".npy") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def load_weights(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a state dict saved by ``save_weights`` (or by ``torch_impl``'s ``.npz`` export)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    if not _is_npz(path):
        raise ValueError(
            f"{path} is not an .npz archive (expected a file written by save_weights / np.savez)"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:  # object arrays, a damaged file
        raise ValueError(f"{path} is not a .npz file of plain arrays: {exc}") from exc
