"""Weights in and out: NumPy state dicts <-> ``nn.Module``, and ``.npz`` / ``.pt`` files.

A state dict here is ``{"0.weight": (out, in) array, "0.bias": (out,) array, ...}`` with the
keys of ``model.state_dict()``; ``scratch.Sequential.state_dict()`` has the same keys and
shapes, which is how ``parity`` gives both networks one set of initial weights.

Nothing here shares memory with the caller: loading copies into the model's own tensors and
exporting returns fresh arrays, so mutating one side never changes the other.
"""

import contextlib
import os
import pickle
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from torch import nn

WEIGHT_SUFFIXES = (".npz", ".pt")


def load_numpy_state_dict(model: nn.Module, state: Mapping[str, np.ndarray]) -> None:
    """Copy NumPy arrays into ``model``'s parameters, converting to its dtype and device.

    ``state`` must have exactly the keys of ``model.state_dict()`` with the same shapes
    (a weight is ``(out_features, in_features)``, a bias ``(out_features,)``); values must be
    float arrays with finite entries. Raises ValueError / TypeError naming the offending key.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a mapping of name -> array, got {type(state).__name__}")
    expected = model.state_dict()
    missing = [key for key in expected if key not in state]
    extra = [key for key in state if key not in expected]
    if missing:
        raise ValueError(f"state dict is missing key(s) {missing}; expected {list(expected)}")
    if extra:
        raise ValueError(f"state dict has unexpected key(s) {extra}; expected {list(expected)}")

    converted: dict[str, torch.Tensor] = {}
    for key, target in expected.items():
        value = state[key]
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f"state dict entry {key!r} must be a float numpy array, got {type(value).__name__}"
            )
        if not np.issubdtype(value.dtype, np.floating):
            raise TypeError(
                f"state dict entry {key!r} has dtype {value.dtype}; expected a float array"
            )
        if value.shape != tuple(target.shape):
            raise ValueError(f"{key!r}: expected shape {tuple(target.shape)}, got {value.shape}")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{key!r}: contains NaN or inf")
        # torch.tensor always copies, so the caller's array stays independent of the model.
        converted[key] = torch.tensor(value, dtype=target.dtype, device=target.device)
    model.load_state_dict(converted, strict=True)


def numpy_state_dict(model: nn.Module) -> dict[str, np.ndarray]:
    """``model.state_dict()`` as fresh NumPy arrays (detached, on CPU, copied)."""
    return {key: value.detach().cpu().numpy().copy() for key, value in model.state_dict().items()}


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in WEIGHT_SUFFIXES:
        raise ValueError(
            f"{str(path)!r}: unknown weights file suffix {path.suffix!r}; "
            f"valid: {', '.join(WEIGHT_SUFFIXES)}"
        )
    return suffix


def _default_file_mode() -> int:
    """The mode ``open(path, "w")`` would give a new file: ``0o666`` less the umask."""
    umask = os.umask(0)  # the only way to read the umask is to set it; restore at once
    os.umask(umask)
    return 0o666 & ~umask


def _as_numpy(key: str, value: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError(f"{key!r}: object arrays cannot be saved without pickle")
        return value
    raise TypeError(f"{key!r}: expected a numpy array or torch tensor, got {type(value).__name__}")


def save_weights(
    path: str | os.PathLike[str], state: Mapping[str, np.ndarray | torch.Tensor]
) -> None:
    """Write a state dict to ``path``: ``.npz`` (plain arrays, no pickle) or ``.pt``.

    The write is atomic: data goes to a temporary file in the same directory, which then
    replaces ``path`` with ``os.replace``; a failed write leaves no file behind (and any
    previous file at ``path`` untouched).
    """
    path = Path(path)
    suffix = _suffix(path)
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a mapping of name -> array, got {type(state).__name__}")
    for key in state:
        if not isinstance(key, str):
            raise TypeError(f"state dict keys must be strings, got {key!r}")
    arrays = {key: _as_numpy(key, value) for key, value in state.items()}

    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise _naming(err, path) from None
    with contextlib.suppress(OSError):  # mkstemp makes it 0600; give it open()'s mode
        os.chmod(tmp_name, _default_file_mode())  # (best effort: some file systems refuse chmod)
    try:
        with os.fdopen(fd, "wb") as f:
            if suffix == ".npz":
                # A file object, so numpy appends no ".npz"; object arrays were rejected above, so
                # nothing is pickled (savez's allow_pickle= only exists from numpy 2.1).
                np.savez(f, **arrays)  # type: ignore[arg-type]
            else:
                torch.save({key: torch.tensor(a) for key, a in arrays.items()}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException as err:
        Path(tmp_name).unlink(missing_ok=True)
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


def _is_torch_file(path: Path) -> bool:
    """What ``torch.save`` writes: a zip archive (since torch 1.6) or, in the legacy format, a
    pickle stream (first byte ``0x80``, the pickle PROTO opcode)."""
    if zipfile.is_zipfile(path):
        return True
    with open(path, "rb") as f:
        return f.read(1) == b"\x80"


def load_weights(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a state dict written by ``save_weights`` (or ``np.savez`` / ``torch.save``).

    ``.npz`` is read with ``allow_pickle=False`` and ``.pt`` with ``weights_only=True``, so a
    weights file can never run code. Returns ``{key: array}`` on the CPU.
    """
    path = Path(path)
    suffix = _suffix(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {str(path)!r}")

    if suffix == ".npz":
        if not _is_npz(path):
            raise ValueError(
                f"{str(path)!r} is not an .npz archive "
                f"(expected a file written by save_weights / np.savez)"
            )
        try:
            archive = np.load(path, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):  # e.g. a single .npy array
                raise ValueError("a single array, not named arrays")
            with archive:
                return {key: archive[key] for key in archive.files}
        except (ValueError, OSError, zipfile.BadZipFile) as err:
            raise ValueError(f"{str(path)!r} is not an .npz archive of arrays: {err}") from err

    not_torch = (
        f"{str(path)!r} is not a torch .pt file (expected a file written by save_weights / "
        f"torch.save)"
    )
    if not _is_torch_file(path):
        raise ValueError(not_torch)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:  # a torch file, but it pickles more than tensors
        raise ValueError(
            f"{str(path)!r} holds Python objects other than tensors, which a weights-only load "
            f"refuses; save a state dict (model.state_dict()), not the model"
        ) from err
    except (RuntimeError, EOFError) as err:  # e.g. a zip that torch.save did not write
        raise ValueError(f"{not_torch}: {err}") from err
    if not isinstance(data, Mapping) or not all(
        isinstance(key, str) and isinstance(value, torch.Tensor) for key, value in data.items()
    ):
        raise ValueError(f"{str(path)!r} does not hold a mapping of name -> tensor")
    return {key: value.detach().cpu().numpy().copy() for key, value in data.items()}
