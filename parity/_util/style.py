"""One look for every figure and table the report, the claim experiments and the CLI draw.

Scratch is always solid blue, torch always dashed orange, so a reader learns the legend once;
every figure is saved the same way (``save_figure``) and every measured number is written
the same way (``format_error`` for errors, ``format_number`` for other measured numbers).
"""

from __future__ import annotations

import math
import os
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


def save_figure(fig: Any, path: str | os.PathLike[str], *, version_stamp: bool = False) -> None:
    """Save ``fig`` as a PNG at ``DPI`` and close it (also when saving fails or is
    interrupted: no figure or file is left open).

    Without ``version_stamp`` the PNG carries no matplotlib version (stable bytes across
    matplotlib releases). The claim figures still carry matplotlib's default stamp
    (``version_stamp=True``) so that they stay byte-identical to the committed report.
    """
    metadata = None if version_stamp else {"Software": None}
    try:  # our own `with`: PIL leaves a file it opened unclosed on a KeyboardInterrupt
        with open(path, "wb") as f:
            fig.savefig(f, format="png", dpi=DPI, metadata=metadata)
    finally:
        use_agg().close(fig)


def format_error(x: float | None) -> str:
    """A measured error for a table: ``1.2e-15``; ``0`` when exact, ``–`` when not measured."""
    if x is None:
        return "–"
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "inf"
    return f"{x:.1e}"


def format_number(x: float) -> str:
    """A measured number for a table: integers plain, tiny or huge ones in e-notation."""
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if abs(x) < 1e-3 or abs(x) >= 1e5:
        return f"{x:.2e}"
    return f"{x:.4f}"
