"""Strict JSON for the artifacts (``model.json``, ``history.json``): no NaN, no Infinity.

Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which no other JSON parser
reads. :func:`dumps` writes a non-finite float as ``null`` instead (a diverged or undefined
quantity: the artifact's documentation says which fields can be null for that reason) and
passes ``allow_nan=False``, so that nothing else can slip through.
"""

from __future__ import annotations

import math
from typing import Any


def finite_or_null(value: Any) -> Any:
    """``value`` with every non-finite float, at any depth of dicts, lists and tuples, as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_null(v) for v in value]
    return value


def dumps(value: Any, indent: int | None = 2) -> str:
    """``value`` as strict JSON text (non-finite floats as null), one trailing newline."""
    import json

    return json.dumps(finite_or_null(value), indent=indent, allow_nan=False) + "\n"
