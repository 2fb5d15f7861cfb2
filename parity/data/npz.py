"""Reading a user's ``.npz`` archive without trusting it: sizes checked before allocation.

``np.load`` believes an archive: a member whose ``.npy`` header declares shape ``(10**12,)``
makes it allocate terabytes, and a few kilobytes of compressed zeros expand to gigabytes.
:func:`read_npz` reads each member's header first (``numpy.lib.format``), refuses a dtype
that is not numbers, bools or text before reading any data, counts what the member would
cost in memory, and then decompresses at most the bytes the header declared (a member whose
data runs longer or shorter than its header says is refused). No pickle, ever.

The limit (``MAX_BYTES``, 1 GiB by default, a ``max_bytes`` keyword to change it) bounds
the data of the whole archive, each element counted at ``max(itemsize, 8)`` bytes: the
larger of its stored size and its float64 size, which is what reading it as a table costs.
"""

from __future__ import annotations

import io
import lzma
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import IO

import numpy as np
import numpy.lib.format as npy

TORCH_FILE = ("a torch file (torch.save's zip of pickles), not an .npz archive; convert it: "
              "np.savez(OUT, **{k: v.numpy() for k, v in torch.load(IN).items()})")
MAX_BYTES = 1 << 30  # 1 GiB: the data an archive (or a .csv file) may hold; see the docstring
_HEADER_ROOM = 1 << 16  # a .npy header's magic, length and dict: numpy caps the dict at 10 000
_CHUNK = 1 << 20  # decompress in 1 MiB pieces
_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
# what a corrupt archive can raise from zipfile, zlib, bz2, lzma and numpy's header parser
_CORRUPT = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    NotImplementedError,  # zipfile's answer to a compression method it cannot read
    RuntimeError,
    tokenize.TokenError,
    SyntaxError,
    OverflowError,
)
# what numpy's .npy header parser raises on a malformed header (a corrupt zip raises _CORRUPT)
_BAD_HEADER = (ValueError, TypeError, SyntaxError, tokenize.TokenError, RecursionError,
               OverflowError, struct.error)  # fmt: skip
_REFUSED_KINDS = {  # dtype.kind -> why, and what to save instead
    "c": "complex numbers; save the real and imaginary parts as two columns (np.real, np.imag)",
    "O": "Python objects, which only pickle can read (refused); save numbers or str text",
    "S": "byte strings; save numbers, or text as str (np.str_)",
    "V": "structured or raw records; save one plain array per column",
    "M": "datetimes; save them as numbers (e.g. seconds since some origin)",
    "m": "timedeltas; save them as numbers (e.g. seconds)",
}


def size_text(n_bytes: int) -> str:
    """``1536 -> '1.5 KiB'``: a byte count for a message."""
    value = float(n_bytes)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{n_bytes} bytes" if unit == "bytes" else f"{value:.3g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def first_line(err: BaseException) -> str:
    """An exception's message, first line only (numpy's and zipfile's may run to several)."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def check_max_bytes(max_bytes: int) -> int:
    """``max_bytes`` if it is a positive int: TypeError for another type, ValueError if < 1."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
        raise TypeError(f"max_bytes must be an int, got {type(max_bytes).__name__} {max_bytes!r}")
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be >= 1, got {max_bytes}")
    return int(max_bytes)


def _over_limit(path: Path, what: str, cost: int, max_bytes: int) -> ValueError:
    return ValueError(
        f"{path}: {what} would take {size_text(cost)}, over the limit of {size_text(max_bytes)} "
        "(parity.data.files.MAX_BYTES); pass max_bytes=... to parity.data.files to allow more"
    )


def _key(path: Path, info: zipfile.ZipInfo) -> str:
    """The array's name (``'y'`` for the member ``y.npy``), or ValueError for another member."""
    if not info.filename.endswith(".npy"):
        raise ValueError(
            f"{path}: member {info.filename!r} is not a .npy array; an .npz (as np.savez "
            "writes it) holds only .npy members"
        )
    if info.flag_bits & 0x1:
        raise ValueError(f"{path}: member {info.filename!r} is encrypted")
    if info.compress_type not in _COMPRESSIONS:
        raise ValueError(
            f"{path}: member {info.filename!r} uses zip compression method "
            f"{info.compress_type}, which Python cannot read"
        )
    return info.filename[: -len(".npy")]


def _check_header(
    path: Path, key: str, shape: tuple[int, ...], dtype: np.dtype, budget: int, max_bytes: int
) -> int:
    """Refuse a dtype, a shape or a size before allocating; return the data's byte count."""
    if dtype.kind in _REFUSED_KINDS or dtype.subdtype is not None or dtype.hasobject:
        why = _REFUSED_KINDS.get(dtype.kind, _REFUSED_KINDS["V"])
        raise ValueError(f"{path}: array {key!r} has dtype {dtype}: {why}")
    if dtype.kind not in "biufU" or dtype.itemsize == 0:
        raise ValueError(f"{path}: array {key!r} has unsupported dtype {dtype}")
    if len(shape) > 2 or any(n < 0 for n in shape):
        raise ValueError(
            f"{path}: array {key!r} has shape {shape}; expected 1-D columns or a 2-D 'X'"
        )
    count = int(np.prod(shape, dtype=object))  # Python ints: no overflow for forged shapes
    cost = count * max(dtype.itemsize, 8)
    if cost > budget:
        raise _over_limit(
            path, f"array {key!r} of shape {shape} and dtype {dtype}", cost, max_bytes
        )
    return count * dtype.itemsize


def _read_exact(path: Path, key: str, member: IO[bytes], n_bytes: int) -> bytearray:
    """Exactly ``n_bytes`` of decompressed data, read in chunks: never more, whatever the
    archive claims; ValueError if the member holds less or more."""
    buffer = bytearray(n_bytes)
    done = 0
    while done < n_bytes:
        chunk = member.read(min(_CHUNK, n_bytes - done))
        if not chunk:
            raise ValueError(
                f"{path}: array {key!r} is truncated: its header declares {n_bytes} bytes of "
                f"data, the archive holds {done}"
            )
        buffer[done : done + len(chunk)] = chunk
        done += len(chunk)
    if member.read(1):
        raise ValueError(f"{path}: array {key!r} holds more data than its header declares")
    return buffer


def _read_header(member: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    """``(shape, fortran_order, dtype)`` from a .npy header (format 1.0 or 2.0), its length
    checked before it is read (a 2.0 header may claim 4 GiB)."""
    version = npy.read_magic(member)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")
    size_format = "<H" if version == (1, 0) else "<I"
    size = member.read(struct.calcsize(size_format))
    (length,) = struct.unpack(size_format, size)
    if length > _HEADER_ROOM:
        raise ValueError(f"a header of {length} bytes")
    header = io.BytesIO(size + member.read(length))
    read = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
    return read(header)


def _read_member(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, max_bytes: int
) -> np.ndarray:
    """One member as an array, its header checked before its data is read."""
    key = _key(path, info)
    if info.file_size > budget + _HEADER_ROOM:
        raise _over_limit(path, f"array {key!r} ({info.file_size} bytes unpacked)",
                          info.file_size, max_bytes)  # fmt: skip
    with archive.open(info) as member:
        try:
            shape, fortran, dtype = _read_header(member)
        except _BAD_HEADER as err:
            raise ValueError(
                f"{path}: array {key!r} has no valid .npy header ({first_line(err)})"
            ) from None
        n_bytes = _check_header(path, key, shape, dtype, budget, max_bytes)
        data = _read_exact(path, key, member, n_bytes)
    flat = np.frombuffer(data, dtype=dtype)
    return flat.reshape(shape, order="F" if fortran else "C")


def check_regular_file(path: Path) -> None:
    """FileNotFoundError when nothing is at ``path``; ValueError when what is there is not a
    regular file (a directory, a device such as ``/dev/zero``, a FIFO; a symbolic link counts
    as what it points to): reading one would fail or never end."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found")
    if not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file"
        raise ValueError(f"{path}: is {kind}; give an .npz file")


def read_npz(
    path: Path, *, max_bytes: int = MAX_BYTES, content: bytes | None = None
) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` archive by name, in archive order (see the module docstring).
    ``content``: the file's bytes, read already (``path`` then only names it in messages).

    Accepted dtypes: bool, integers, floats and str text (the caller decides where text may
    go); refused: complex, object, bytes, structured, datetime. ValueError naming the file
    (and the array) for anything else: not a regular file, not a zip, a corrupt or truncated
    member, a header that lies, an array over the limit.
    """
    max_bytes = check_max_bytes(max_bytes)
    if content is None:
        check_regular_file(path)
    source: Path | IO[bytes] = path if content is None else io.BytesIO(content)
    if not zipfile.is_zipfile(source):
        raise ValueError(f"{path}: not a .npz archive (np.savez writes one)")
    arrays: dict[str, np.ndarray] = {}
    budget = max_bytes
    try:
        with zipfile.ZipFile(source) as archive:
            if any(n.endswith("/data.pkl") for n in archive.namelist()):
                raise ValueError(f"{path}: {TORCH_FILE}")
            for info in archive.infolist():
                array = _read_member(path, archive, info, budget, max_bytes)
                key = _key(path, info)
                if key in arrays:
                    raise ValueError(f"{path}: the archive holds {info.filename!r} twice")
                arrays[key] = array
                budget -= array.size * max(array.dtype.itemsize, 8)
    except _CORRUPT as err:
        raise ValueError(f"{path}: not a readable .npz archive ({first_line(err)})") from None
    except OSError as err:  # an I/O error, or an offset in a corrupt archive that cannot be read
        raise OSError(f"{path}: cannot read the archive ({first_line(err)})") from None
    if not arrays:
        raise ValueError(f"{path}: file is empty (no arrays)")
    return arrays
