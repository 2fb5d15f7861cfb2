"""One look for every figure: the same colour and line style for each implementation.

Scratch is always solid blue, torch always dashed orange, in every figure the report and
the claim experiments draw, so a reader learns the legend once.
"""

from __future__ import annotations

from typing import Any

SCRATCH = {"color": "#1f77b4", "linestyle": "-", "label": "scratch (NumPy)"}
TORCH = {"color": "#ff7f0e", "linestyle": "--", "label": "torch"}
DIFF = {"color": "#2ca02c", "linestyle": "-", "label": "|scratch - torch|"}
SIDES: dict[str, dict[str, Any]] = {"scratch": SCRATCH, "torch": TORCH}
DPI = 110


def use_agg() -> Any:
    """Import matplotlib with the non-interactive Agg backend and return ``pyplot``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
