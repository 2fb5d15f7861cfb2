"""The computation graph of one Linear + tanh layer, drawn as a circuit (CS231n's style):
forward values above each wire (green), backward gradients below it (red), with shapes.

The numbers are computed by ``scratch.Linear`` and ``scratch.Tanh`` on one small example
(one row of 3 features, 2 neurons) and an upstream gradient ``dL/da`` from "the rest of the
network"; ``docs/PORTING.md`` shows the figure.

``python -m parity.experiments.linear_graph [--out PATH]`` writes it (default
``docs/figures/linear_graph.png``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

import scratch
from parity._util.style import save_figure, use_agg

DEFAULT = Path(__file__).resolve().parents[2] / "docs" / "figures" / "linear_graph.png"
FORWARD, BACKWARD = "#2a7f2a", "#c0392b"


def layer_values() -> dict[str, np.ndarray]:
    """Every value and gradient of ``a = tanh(x @ W.T + b)`` on one example, by scratch."""
    x = np.array([[0.5, -1.0, 2.0]])  # (N, in) = (1, 3)
    linear, act = scratch.Linear(3, 2, rng=np.random.default_rng(0)), scratch.Tanh()
    linear.weight.data[...] = [[0.2, -0.4, 0.3], [-0.5, 0.1, 0.6]]  # (out, in) = (2, 3)
    bias = linear.bias
    if bias is None:  # scratch.Linear has a bias unless told otherwise
        raise RuntimeError("scratch.Linear(3, 2) was built without a bias")
    bias.data[...] = [0.1, -0.2]  # (out,)
    z = linear(x)  # (1, 2)
    a = act(z)
    da = np.array([[1.0, -0.5]])  # dL/da, from the layer above
    linear.zero_grad()
    dz = act.backward(da)
    dx = linear.backward(dz)
    W = linear.weight
    return {"x": x, "W": W.data, "b": bias.data, "u": x @ W.data.T, "z": z, "a": a,
            "da": da, "dz": dz, "dx": dx, "dW": W.grad, "db": bias.grad}  # fmt: skip


def _text(a: np.ndarray) -> str:
    rows = np.atleast_2d(a)
    body = "\n".join("[" + "  ".join(f"{v:+.2f}" for v in row) + "]" for row in rows)
    return body if a.ndim > 1 else body.replace("\n", " ")


def draw(path: str | os.PathLike[str]) -> None:
    """Draw the graph into the PNG at ``path`` (written whole or not at all)."""
    v = layer_values()
    plt = use_agg()
    fig, ax = plt.subplots(figsize=(12, 4.4))
    ax.set_xlim(0, 13)
    ax.set_ylim(-0.1, 4.5)
    ax.axis("off")
    ops = {"matmul": (4.6, 3.0, "x @ Wᵀ"), "add": (7.2, 3.0, "+"), "tanh": (10.4, 3.0, "tanh")}
    for x0, y0, label in ops.values():
        ax.add_patch(plt.Circle((x0, y0), 0.42, fc="#f4f4f4", ec="black", lw=1.2, zorder=3))
        ax.text(x0, y0, label, ha="center", va="center", fontsize=10, zorder=4)

    radius = 0.42
    centres = [(x0, y0) for x0, y0, _ in ops.values()]

    def clipped(point: tuple[float, float], toward: tuple[float, float]) -> tuple[float, float]:
        """``point`` moved onto its circle's rim toward ``toward`` (unchanged if no node)."""
        if point not in centres:
            return point
        d = np.subtract(toward, point)
        x1, y1 = np.add(point, d / np.hypot(*d) * radius)
        return float(x1), float(y1)

    m, p, t = (ops[k][:2] for k in ("matmul", "add", "tanh"))
    wires = [  # start, end, forward label, value, backward label, gradient, label position
        ((0.3, 3.0), m, "x (N, in) = (1, 3)", "x", "dL/dx = dL/du W", "dx", (2.2, 3.0)),
        ((4.6, 0.4), m, "W (out, in) = (2, 3)", "W", "dL/dW = dL/duᵀ x", "dW", (3.1, 1.3)),
        (m, p, "u (N, out) = (1, 2)", "u", "dL/du = dL/dz", "dz", (5.9, 3.0)),
        ((7.2, 0.4), p, "b (out,) = (2,)", "b", "dL/db = dL/dz summed over N", "db", (8.7, 1.3)),
        (p, t, "z (1, 2)", "z", "dL/dz = dL/da (1 - a²)", "dz", (8.8, 3.0)),
        (t, (12.9, 3.0), "a (1, 2)", "a", "dL/da (given)", "da", (11.75, 3.0)),
    ]
    mono = {"ha": "center", "fontsize": 8.5, "family": "monospace"}
    for start, end, forward, value, backward, grad, (lx, ly) in wires:
        arrow = {"arrowstyle": "->", "lw": 1.3, "shrinkA": 0, "shrinkB": 0}
        ax.annotate("", xy=clipped(end, start), xytext=clipped(start, end), arrowprops=arrow)
        ax.text(lx, ly + 0.12, f"{forward}\n{_text(v[value])}", color=FORWARD, va="bottom", **mono)
        ax.text(lx, ly - 0.12, f"{backward}\n{_text(v[grad])}", color=BACKWARD, va="top", **mono)
    ax.text(0.1, 4.4, "a = tanh(x @ Wᵀ + b)", fontsize=12, va="top")
    ax.text(
        0.1,
        0.0,
        "forward value above each wire, backward gradient below it; "
        "N = examples, in = features, out = neurons",
        fontsize=9,
        color="#555555",
    )
    ax.text(12.9, 4.4, "forward", color=FORWARD, ha="right", va="top", fontsize=10)
    ax.text(12.9, 4.1, "backward", color=BACKWARD, ha="right", va="top", fontsize=10)
    _save_whole(fig, Path(path))


def _save_whole(fig: Any, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        save_figure(fig, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m parity.experiments.linear_graph", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=DEFAULT, help=f"default {DEFAULT.name}")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    draw(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
