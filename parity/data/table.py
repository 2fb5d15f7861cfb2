"""A user's ``.csv`` or ``.npz`` file as named columns, each converted only when asked for.

Formats (:func:`read_table`):

- ``.csv``: a header row of column names, then rows of cells (blank lines skipped, an Excel
  BOM dropped);
- ``.npz``: named 1-D columns of equal length, or a 2-D ``X (N, D)`` whose columns are the
  features in training order (named ``x0..`` unless the caller names them) plus 1-D arrays
  of ``N`` rows (the target); read by :func:`parity.data.npz.read_npz`, sizes checked first.

A :class:`Table` keeps each column as read (the cells' text, or the array) and parses a
column as numbers only when asked (:meth:`Table.numeric`), so a column nobody needs (an ID,
a name, a note) is never refused. The header may hold empty or repeated names; asking for
such a column is an error, asking for another is not.
"""

from __future__ import annotations

import csv
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from parity.data.npz import (
    MAX_BYTES,
    TORCH_FILE,
    check_max_bytes,
    first_line,
    read_npz,
    size_text,
)

Cells = np.ndarray | list[str]  # a .csv column's stripped texts, or an .npz's 1-D array


@dataclass(frozen=True, eq=False)
class Table:
    """A file's columns: column ``columns[j]`` holds the ``n_rows`` values ``cells[j]``.

    ``x_width`` counts the leading columns that came from an ``.npz``'s 2-D ``X`` (0 when
    the file has named columns only); ``lines`` gives a ``.csv``'s file line of each data row
    (empty for an ``.npz``), for messages.
    """

    path: Path
    columns: tuple[str, ...]
    cells: tuple[Cells, ...]
    n_rows: int
    x_width: int = 0
    lines: tuple[int, ...] = ()

    def where(self, row: int) -> str:
        """Where data row ``row`` (0-based) is: ``'line 7'`` in a .csv, ``'row 7'`` else."""
        return f"line {self.lines[row]}" if self.lines else f"row {row + 1}"

    def row(self, row: int) -> str:
        """Data row ``row`` (0-based) for a message: ``'data row 1 (line 2)'`` in a .csv."""
        return f"data row {row + 1}" + (f" (line {self.lines[row]})" if self.lines else "")

    def index(self, name: str) -> int:
        """The position of column ``name``: ValueError if it is absent or repeated."""
        found = [j for j, c in enumerate(self.columns) if c == name]
        if not found:
            raise ValueError(
                f"{self.path}: no column named {name!r}; columns: {list(self.columns)}"
            )
        if len(found) > 1:
            places = ", ".join(str(j + 1) for j in found)
            raise ValueError(
                f"{self.path}: column {name!r} appears {len(found)} times in the header "
                f"(columns {places}); rename the copies"
            )
        return found[0]

    def is_text(self, name: str) -> bool:
        """True for a ``.csv`` column, or an ``.npz`` array of str (to parse or map as labels)."""
        cells = self.cells[self.index(name)]
        return isinstance(cells, list) or cells.dtype.kind == "U"

    def numeric(self, name: str, *, missing_ok: bool = False) -> np.ndarray:
        """Column ``name`` as float64 ``(N,)``. An empty cell is NaN with ``missing_ok``, else an
        error; a cell that is not a number (or an array of text) is an error naming it."""
        cells = self.cells[self.index(name)]
        if not isinstance(cells, list):
            if cells.dtype.kind == "U":
                raise ValueError(
                    f"{self.path}: array {name!r} holds text (dtype {cells.dtype}); this "
                    "column must hold numbers"
                )
            with np.errstate(over="ignore", invalid="ignore"):  # float128 -> inf: checked later
                return cells.astype(np.float64)
        out = np.empty(self.n_rows)
        for r, text in enumerate(cells):
            if not text:
                if not missing_ok:
                    raise ValueError(f"{self.path}: {self.where(r)}, column {name!r}: empty cell")
                out[r] = np.nan
                continue
            try:
                out[r] = float(text)
            except ValueError:
                raise ValueError(
                    f"{self.path}: {self.where(r)}, column {name!r}: {text!r} is not a number"
                ) from None
        return out

    def column(self, name: str) -> np.ndarray:
        """Column ``name`` as float64 ``(N,)`` (:meth:`numeric`)."""
        return self.numeric(name)

    @property
    def values(self) -> np.ndarray:
        """Every column as numbers, ``(N, K)`` float64 (an error if one is not numeric)."""
        if not self.columns:
            return np.empty((self.n_rows, 0))
        return np.column_stack([self.numeric(c) for c in self.columns])


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """``(line, stripped cells)`` of every non-blank row; the file line of a row that spans
    lines (a quoted newline) is where it starts."""
    rows = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:  # -sig: drop an Excel BOM
            reader = csv.reader(f)
            line = 1
            for row in reader:
                if row:
                    rows.append((line, [cell.strip() for cell in row]))
                line = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f"{path}: not a readable UTF-8 CSV file ({first_line(err)})") from None
    return rows


def read_csv(path: Path) -> Table:
    """A ``.csv`` file as a :class:`Table` of texts (see the module docstring)."""
    rows = _csv_rows(path)
    if not rows:
        raise ValueError(f"{path}: file is empty")
    (_, columns), data = rows[0], rows[1:]
    for line, row in data:
        if len(row) != len(columns):
            raise ValueError(
                f"{path}: line {line} has {len(row)} cells, the header has {len(columns)}"
            )
    cells = tuple([row[j] for _, row in data] for j in range(len(columns)))
    return Table(path, tuple(columns), cells, len(data), lines=tuple(line for line, _ in data))


def _x_layout(path: Path, arrays: dict[str, np.ndarray], names: tuple[str, ...]) -> Table:
    """An archive with a 2-D ``X``: its columns named ``names``, then 1-D arrays of N rows."""
    X = arrays.pop("X")
    n, d = X.shape
    if len(names) != d:
        raise ValueError(f"{path}: X has {d} columns, the model takes {len(names)}")
    for key, a in arrays.items():
        if a.shape != (n,):
            raise ValueError(f"{path}: {key!r} must have shape ({n},), got {a.shape}")
    clash = sorted(set(names) & set(arrays))
    if clash:
        raise ValueError(f"{path}: arrays {clash} clash with the names of X's columns")
    cells = (*(X[:, j] for j in range(d)), *arrays.values())
    return Table(path, (*names, *arrays), cells, n, x_width=d)


def read_npz_table(
    path: Path, x_names: tuple[str, ...] | None = None, *, max_bytes: int = MAX_BYTES
) -> Table:
    """An ``.npz`` as a :class:`Table`; see the module docstring for the two layouts."""
    arrays = read_npz(path, max_bytes=max_bytes)
    X = arrays.get("X")
    if X is not None and X.ndim == 2:
        names = x_names if x_names is not None else tuple(f"x{j}" for j in range(X.shape[1]))
        return _x_layout(path, arrays, names)
    shapes = {key: a.shape for key, a in arrays.items()}
    if any(len(s) != 1 for s in shapes.values()) or len({s[0] for s in shapes.values()}) != 1:
        raise ValueError(
            f"{path}: expected a 2-D 'X' plus a target, or 1-D columns of equal length; "
            f"got shapes {shapes}"
        )
    return Table(path, tuple(arrays), tuple(arrays.values()), next(iter(shapes.values()))[0])


def check_path(path: str | os.PathLike[str]) -> Path:
    """``Path(path)`` if it names a regular, non-empty file: FileNotFoundError, IsADirectoryError
    or OSError ("not a regular file") naming it otherwise; TypeError for a non-path."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__} {path!r}")
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {path}") from None
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the name
        raise OSError(f"{path}: cannot read it ({err})") from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{path}: is a directory; give a .csv or .npz file")
    if not stat.S_ISREG(mode):
        raise OSError(f"{path}: is not a regular file (a device, pipe or socket); give a .csv "
                      "or .npz file")  # fmt: skip
    return path


def read_table(
    path: str | os.PathLike[str],
    *,
    x_names: tuple[str, ...] | list[str] | None = None,
    max_bytes: int = MAX_BYTES,
) -> Table:
    """Read a ``.csv`` or ``.npz`` file as a :class:`Table` (see the module docstring).

    ``x_names`` names the columns of an ``.npz``'s 2-D ``X`` (a trained model's features);
    by default they are ``x0, x1, ...``. A file over ``max_bytes`` (a ``.csv``'s size on
    disk, an ``.npz``'s data unpacked) is refused before it is read.
    """
    path = check_path(path)
    max_bytes = check_max_bytes(max_bytes)
    suffix = path.suffix.lower()
    if suffix in (".pt", ".pth"):
        raise ValueError(f"{path}: {TORCH_FILE}")
    if suffix not in (".csv", ".npz"):
        raise ValueError(f"{path}: unsupported file type {path.suffix!r}; use .csv or .npz")
    try:
        with path.open("rb"):  # readable? (zipfile.is_zipfile would call it "not a zip")
            pass
    except OSError as err:
        raise OSError(f"{path}: cannot read it ({err.strerror or err})") from None
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{path}: file is empty")
    if suffix == ".npz":
        names = None if x_names is None else tuple(x_names)
        return read_npz_table(path, names, max_bytes=max_bytes)
    if size > max_bytes:
        raise ValueError(
            f"{path}: file is {size_text(size)}, over the limit of {size_text(max_bytes)} "
            "(parity.data.files.MAX_BYTES); pass max_bytes=... to parity.data.files to allow more"
        )
    return read_csv(path)
