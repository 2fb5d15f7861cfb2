"""A target column as users have it: numbers for regression, or class labels of any kind.

Class labels may be integers (``0..K-1``, ``1..K``, ``-1/+1``, ``{3, 7, 11}``; also
integer-valued floats and bools, which count as ``0/1``) or text (``setosa``, ``virginica``).
They are mapped to the class indices ``0..K-1`` the networks need, in a fixed order: integer
labels by value, text labels by Python's string order (code points: ``'B' < 'a'``,
``'10' < '9'``). A column with one cell that is not a number is text throughout, and so is a
class column with a label written with leading zeros (``007``, ``01``: identifiers, kept as
written, so ``01`` and ``1`` are two classes). The labels
in that order, ``classes``, are ``str`` or ``int`` (JSON-friendly), so a caller can store
them and print predictions as the original labels (``classes[index]``).

Task inference (no task given): numbers that are all integers with 2 distinct values are
binary, with 3 to ``MAX_INFERRED_CLASSES`` (20) multiclass, anything else regression; text
with 2 labels is binary, with up to 20 multiclass, with more an error. When integer labels
are inferred to be classes but are not a small run of consecutive integers (or ``-1/+1``),
a note says so and suggests ``--head regression`` (a count or a measurement is no class).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from parity.data.table import Table
from parity.data.targets import Label

MAX_INFERRED_CLASSES = 20  # an integer target with more unique values is taken as regression
_MISSING = frozenset({"", "na", "n/a", "nan", "null"})  # text cells read as "no value" (lower)
_SMALL_RUN = 10  # consecutive integer labels up to this many are taken as classes without a note
_PADDED = re.compile(r"[+-]?0[0-9]+")  # an integer label with leading zeros: kept as text
EXACT_INTEGERS = 2**53  # float64, as labels are read, holds every integer up to this exactly


@dataclass(frozen=True, eq=False)
class Target:
    """A training target: ``values (N,)``, float64 for regression, else int64 class indices
    into ``classes`` (None for regression); ``note`` tells the user how labels were read."""

    task: str
    values: np.ndarray
    classes: tuple[Label, ...] | None
    note: str | None = None


def number_text(value: float) -> str:
    """A value as written: ``'0'`` rather than ``'0.0'`` when it is an integer."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def values_text(values: Sequence[Label | float] | np.ndarray, limit: int = 12) -> str:
    """Labels or numbers as a short list: ``[-1, 1]``, ``[0.5, 2]``, ``['a', 'b', ...]``."""
    items = list(values)
    shown = [repr(v) if isinstance(v, str) else number_text(float(v)) for v in items[:limit]]
    return f"[{', '.join(shown)}{', ...' if len(items) > limit else ''}]"


def _missing_error(table: Table, name: str, bad: np.ndarray) -> ValueError:
    return ValueError(
        f"{table.path}: column {name!r} has {int(bad.sum())} missing or non-finite value(s) "
        f"(empty, NA, NaN or inf), first at {table.row(int(np.argmax(bad)))}"
    )


def check_finite(table: Table, name: str, values: np.ndarray) -> None:
    """ValueError naming the column and the first row unless every value is finite."""
    bad = ~np.isfinite(values)
    if bad.any():
        raise _missing_error(table, name, bad)


def _texts(table: Table, name: str) -> list[str]:
    """Column ``name`` as text labels (a .csv's cells, an .npz's str array)."""
    cells = table.cells[table.index(name)]
    return cells if isinstance(cells, list) else [str(v).strip() for v in cells.tolist()]


def _numbers(table: Table, name: str) -> np.ndarray | None:
    """Column ``name`` as float64 (missing cells NaN), or None when it holds text labels."""
    if not table.is_text(name):
        return table.numeric(name)
    try:
        return table.numeric(name, missing_ok=True)
    except ValueError:
        return None


def _integer_classes(table: Table, name: str, task: str, y: np.ndarray) -> Target:
    """Numeric labels -> indices into their sorted distinct values."""
    unique = np.unique(y)
    fractional = unique[unique != np.round(unique)]
    if fractional.size:
        raise ValueError(
            f"{table.path}: {task} labels in {name!r} must be integers or text; found values "
            f"{values_text(unique)}, offending values: {values_text(fractional)}; "
            "for a numeric target use --head regression (task='regression')"
        )
    if task == "binary" and unique.size != 2:
        raise ValueError(
            f"{table.path}: a binary target has exactly two classes; {name!r} has "
            f"{unique.size}: {values_text(unique)} (the multiclass head takes more)"
        )
    classes = tuple(int(v) for v in unique)
    return Target(task, np.searchsorted(unique, y).astype(np.int64), classes)


def _text_classes(table: Table, name: str, task: str | None) -> Target:
    """Text labels -> indices into their sorted distinct texts; a missing cell is an error."""
    texts = _texts(table, name)
    bad = np.array([t.lower() in _MISSING for t in texts], dtype=bool)
    if bad.any():
        raise _missing_error(table, name, bad)
    classes = tuple(sorted(set(texts)))
    if task is None and len(classes) > MAX_INFERRED_CLASSES:
        first = next(r for r, t in enumerate(texts) if not _is_number(t))
        raise ValueError(
            f"{table.path}: target {name!r} is not numeric ({table.where(first)}: "
            f"{texts[first]!r}) and has {len(classes)} distinct labels, more than the "
            f"{MAX_INFERRED_CLASSES} classes taken without --head; fix the cell if the target "
            "is a number, or pass --head multiclass"
        )
    if task is None:
        task = "binary" if len(classes) == 2 else "multiclass"
    if task == "binary" and len(classes) != 2:
        raise ValueError(
            f"{table.path}: a binary target has exactly two classes; {name!r} has "
            f"{len(classes)}: {values_text(classes)} (the multiclass head takes more)"
        )
    index = {label: k for k, label in enumerate(classes)}
    return Target(task, np.array([index[t] for t in texts], dtype=np.int64), classes)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def infer_task(y: np.ndarray) -> str:
    """binary for 2 integer values, multiclass for at most 20, else regression."""
    unique = np.unique(y)
    if not np.all(unique == np.round(unique)) or unique.size > MAX_INFERRED_CLASSES:
        return "regression"
    return "binary" if unique.size == 2 else "multiclass"


def _note(table: Table, name: str, classes: tuple[Label, ...]) -> str | None:
    """For inferred integer classes that look like a quantity: suggest regression."""
    ints = [int(c) for c in classes]
    run = ints[-1] - ints[0] + 1 == len(ints) and len(ints) <= _SMALL_RUN
    if run or ints == [-1, 1]:
        return None
    return (
        f"{table.path}: target {name!r} holds {len(ints)} distinct integers "
        f"{values_text(ints)}, taken as {len(ints)} classes; if it is a quantity (a count, a "
        "measurement), pass --head regression (task='regression')"
    )


def _check_two_values(table: Table, name: str, distinct: Sequence[Label | float]) -> None:
    """A constant target: nothing to learn, and training would "succeed" silently."""
    if len(distinct) < 2:
        raise ValueError(
            f"{table.path}: target column {name!r} has only one value "
            f"({values_text(list(distinct))[1:-1]}); need at least two classes (or values "
            "for regression)"
        )


def _integer_cell(text: str) -> int | None:
    """A cell written as an integer (``'9007199254740993'``, ``'-5'``) as a Python int."""
    try:
        return int(text)
    except ValueError:
        return None


def _check_exact_integers(table: Table, name: str) -> None:
    """ValueError for an integer label beyond +-2**53 (a .csv cell written as an integer, an
    .npz's int64 or uint64 value): read as float64 it would merge with its neighbours
    (2**53 + 1 -> 2**53) and come back as another label."""
    cells = table.cells[table.index(name)]
    if isinstance(cells, list):
        values = [_integer_cell(text) for text in cells]
        rows = [r for r, v in enumerate(values) if v is not None and abs(v) > EXACT_INTEGERS]
        bad = [values[r] for r in rows]
    elif cells.dtype.kind in "iu":
        rows = np.flatnonzero((cells > EXACT_INTEGERS) | (cells < -EXACT_INTEGERS)).tolist()
        bad = [int(cells[r]) for r in rows]
    else:
        return
    if rows:
        raise ValueError(
            f"{table.path}: {table.where(rows[0])}, column {name!r}: class label {bad[0]} is "
            f"beyond +-2**53 ({EXACT_INTEGERS}), where float64 cannot tell neighbouring "
            "integers apart, so labels would merge; use smaller integers or text labels, or "
            "--head regression (task='regression') if the column is a quantity"
        )


def _zero_padded(table: Table, name: str) -> bool:
    """Some cell of a text column is an integer written with leading zeros (``007``): an
    identifier, whose labels are kept as written (``01`` and ``1`` stay two classes)."""
    cells = table.cells[table.index(name)]
    return isinstance(cells, list) and any(_PADDED.fullmatch(t.strip()) for t in cells)


def read_target(table: Table, name: str, task: str | None) -> Target:
    """The training target ``name`` of ``table`` for ``task`` (None: inferred; see the module
    docstring). ValueError naming the file and column for a missing value, a regression
    target with text, a single value, fractional class labels, or a binary target with more
    or fewer than two classes."""
    y = _numbers(table, name)
    if y is None:
        if task == "regression":
            table.numeric(name, missing_ok=True)  # raises: names the first cell not a number
        _check_two_values(table, name, sorted(set(_texts(table, name))))
        return _text_classes(table, name, task)
    check_finite(table, name, y)
    classes_wanted = task in ("binary", "multiclass") or (
        task is None and infer_task(y) != "regression"
    )
    if classes_wanted and _zero_padded(table, name):  # labels as the file has them
        _check_two_values(table, name, sorted(set(_texts(table, name))))
        return _text_classes(table, name, task)
    if task != "regression":
        _check_exact_integers(table, name)
    _check_two_values(table, name, np.unique(y).tolist())
    if task == "regression" or (task is None and infer_task(y) == "regression"):
        return Target("regression", y, None)
    if task is not None:
        return _integer_classes(table, name, task, y)
    target = _integer_classes(table, name, infer_task(y), y)
    classes = cast(tuple, target.classes)  # a classification target always has its classes
    return Target(target.task, target.values, classes, _note(table, name, classes))


def _unseen(
    table: Table, name: str, rows: list[int], labels: list[str], classes: Sequence[Label]
) -> ValueError:
    unseen = sorted(set(labels))
    return ValueError(
        f"{table.path}: column {name!r} has label(s) {values_text(unseen)} not seen in training "
        f"(first at {table.where(rows[0])}); the model's classes are {values_text(list(classes))}"
    )


def encode_labels(table: Table, name: str, classes: Sequence[Label]) -> np.ndarray:
    """Column ``name`` mapped through a trained model's ``classes``: ``(N,)`` float64 class
    indices, NaN where a cell is missing. A label outside ``classes``: ValueError naming it."""
    by_text = {str(c): k for k, c in enumerate(classes)}
    numeric = all(isinstance(c, int) for c in classes)
    if table.is_text(name):
        texts = _texts(table, name)
    else:  # an .npz's numbers or bools, written as a .csv would hold them
        texts = [number_text(v) if np.isfinite(v) else "" for v in table.numeric(name)]
    out = np.full(table.n_rows, np.nan)
    bad_rows: list[int] = []
    bad: list[str] = []
    for r, text in enumerate(texts):
        if text.lower() in _MISSING:
            continue
        exact = _integer_cell(text)  # '9007199254740993' stays itself, not 2**53
        if numeric and exact is not None:
            text = str(exact)
        elif numeric and _is_number(text) and np.isfinite(float(text)):
            text = number_text(float(text))
        if text in by_text:
            out[r] = by_text[text]
        else:
            bad_rows.append(r)
            bad.append(text)
    if bad:
        raise _unseen(table, name, bad_rows, bad, classes)
    return out
