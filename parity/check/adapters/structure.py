"""The structure stage: which of your tensors is which of torch's, and in which layout.

Your network maps onto torch's ``nn.Sequential`` of ``Linear, act, Linear, act, ..., Linear``
(``torch_impl.build_model``): your k-th weight is module ``2k``'s ``weight``, your k-th
activation is module ``2k+1``. A weight is stored either ``(in, out)`` (``x @ W``, the NumPy
tutorials' layout) or ``(out, in)`` (``x @ W.T``, torch's). ``layout="auto"`` decides from
the shapes: the chain ``D -> h1 -> ... -> outputs`` fits only one of the two unless every
weight is square; then a probe decides (``probe``: run your code once and see which layout
reproduces torch). The mapping is drawn as a tree; a row that does not fit is marked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LAYOUTS = ("auto", "in_out", "out_in", "columns")
HEADS = ("multiclass", "binary", "regression")
TORCH_LOSS = {
    "multiclass": "CrossEntropyLoss",
    "binary": "BCEWithLogitsLoss",
    "regression": "MSELoss",
}
TORCH_ACT = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU(0.01)",
    "identity": "Identity",
    "softmax": "Softmax(dim=-1)",
}


@dataclass(frozen=True)
class LinearSpec:
    """One of your Linear layers: the names and shapes of its weight and bias."""

    weight: str
    weight_shape: tuple[int, ...]
    bias: str
    bias_shape: tuple[int, ...] | None  # None: no bias found


@dataclass(frozen=True)
class Net:
    """The decided mapping: your network as torch's ``nn.Sequential``."""

    n_in: int
    widths: tuple[int, ...]  # output width of each Linear
    activations: tuple[str, ...]  # one per hidden layer
    output_activation: str | None  # a sigmoid/softmax you apply before your loss (Layers)
    head: str
    layout: str  # "in_out" or "out_in"
    layout_how: str  # "given", "shapes", "probe", "symmetric weights"
    linears: tuple[LinearSpec, ...]
    tree: str

    @property
    def hidden(self) -> tuple[int, ...]:
        return self.widths[:-1]

    def user(self, key: str, arr: np.ndarray) -> np.ndarray:
        """torch's tensor ``key`` (``"0.weight"``, ``"2.bias"``...) in your layout and shape;
        leading axes (steps) are kept: ``(T, out, in)`` becomes ``(T, in, out)`` for an
        ``(in, out)`` weight, ``(T, out)`` becomes ``(T, 1, out)`` for a ``(1, out)`` bias."""
        m, what = key.split(".")
        spec = self.linears[int(m) // 2]
        shape = spec.weight_shape if what == "weight" else spec.bias_shape
        arr = np.asarray(arr)
        lead = arr.shape[: arr.ndim - (2 if what == "weight" else 1)]
        if what == "weight" and len(spec.weight_shape) == 2 and self.layout == "in_out":
            arr = np.swapaxes(arr, -1, -2)
        return arr.reshape(lead + tuple(shape or ()))


def in_out(shape: tuple[int, ...], layout: str) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape``; a vector ``(n,)`` is one output."""
    if len(shape) == 1:
        return shape[0], 1
    a, b = shape
    return (a, b) if layout == "in_out" else (b, a)


def bias_fits(shape: tuple[int, ...], o: int) -> bool:
    """A bias of ``shape`` for ``o`` outputs: ``(o,)``, nnfs's ``(1, o)``, a column ``(o, 1)``,
    or a scalar for one."""
    return shape in ((o,), (1, o), (o, 1)) or (o == 1 and shape == ())


Bad = tuple[int, str, str]  # (Linear index, "weight" or "bias", why it does not fit)


def chain_error(linears: tuple[LinearSpec, ...], n_in: int, n_out: int, layout: str) -> Bad | None:
    """The first row that does not fit in ``layout``, or None."""
    fan_in = n_in
    for k, spec in enumerate(linears):
        i, o = in_out(spec.weight_shape, layout)
        if i != fan_in:
            source = "the input's features" if k == 0 else f"{linears[k - 1].weight}'s outputs"
            why = f"{spec.weight} {spec.weight_shape} takes {i} inputs in the {layout} layout"
            return k, "weight", f"{why}, but {source} are {fan_in}"
        if spec.bias_shape is None:
            return k, "bias", f"{spec.weight} has no bias {spec.bias!r} (torch's Linear has one)"
        if not bias_fits(spec.bias_shape, o):
            why = f"{spec.bias} has shape {spec.bias_shape}; {spec.weight} has {o} outputs"
            return k, "bias", f"{why}, so the bias must be ({o},) or (1, {o})"
        if len(spec.weight_shape) == 1 and k < len(linears) - 1:
            why = f"{spec.weight} is a vector {spec.weight_shape}: one output per row"
            return k, "weight", f"{why}; only the last layer can be a vector (store it 2-D)"
        fan_in = o
    if fan_in != n_out:
        why = f"the last layer has {fan_in} outputs; the head on this data needs {n_out}"
        return len(linears) - 1, "weight", why
    return None


def decide_layout(
    linears: tuple[LinearSpec, ...],
    n_in: int,
    n_out: int,
    requested: str,
    probe: Callable[[], tuple[str | None, str]],
) -> tuple[str, str, Bad | None]:
    """``(layout, how, error)``: the layout to use, how it was decided, the first bad row."""
    if requested != "auto":
        return requested, "given", chain_error(linears, n_in, n_out, requested)
    errors = {lay: chain_error(linears, n_in, n_out, lay) for lay in ("in_out", "out_in")}
    fits = [lay for lay, err in errors.items() if err is None]
    if len(fits) == 1:
        return fits[0], "shapes", None
    if fits and all(len(s.weight_shape) == 1 for s in linears):
        return "in_out", "a weight vector: either layout", None
    if not fits:  # report the layout that got further through the chain
        best = max(errors, key=lambda lay: (errors[lay] or (0, "", ""))[0])
        return best, "shapes (neither fits)", errors[best]
    layout, how = probe()
    return layout or "in_out", how, None


def draw_tree(
    linears: tuple[LinearSpec, ...],
    acts: tuple[str, ...],
    output_activation: str | None,
    layout: str,
    bad: Bad | None,
    names: tuple[str, ...] = (),
) -> str:
    """The mapping as a tree: yours on the left, torch's module and key on the right."""
    rows: list[tuple[str, str, str]] = []
    for k, spec in enumerate(linears):
        where = f"{names[2 * k]} " if names else ""
        try:
            i, o = in_out(spec.weight_shape, layout)
            twin = f"Linear({i}, {o})"
        except ValueError:
            twin = "Linear(?)"
        bias = "(none)" if spec.bias_shape is None else f"{spec.bias} {spec.bias_shape}"
        for what, label in (("weight", f"{spec.weight} {spec.weight_shape}"), ("bias", bias)):
            note = bad[2] if bad is not None and bad[:2] == (k, what) else ""
            rows.append((f"{where}{label}", f"{2 * k}.{what}  {twin}", note))
        if k < len(acts):
            where = f"{names[2 * k + 1]} " if names else ""
            rows.append((f"{where}{acts[k]}", f"{2 * k + 1} {TORCH_ACT.get(acts[k], '?')}", ""))
    if output_activation is not None:
        where = f"{names[-1]} " if names else ""
        twin = "nn.Identity" if output_activation == "identity" else "(inside torch's loss)"
        rows.append((f"{where}{output_activation}", twin, ""))
    return render_rows(rows, f"yours -> torch nn.Sequential (layout {layout})")


def render_rows(rows: list[tuple[str, str, str]], title: str) -> str:
    """``rows`` of (yours, torch, note) as a tree; a row with a note is marked ``<--``."""
    width = max([len(r[0]) for r in rows] + [8])
    lines = [title]
    for n, (left, right, note) in enumerate(rows):
        branch = "└──" if n == len(rows) - 1 else "├──"
        mark = f"   <-- {note}" if note else ""
        lines.append(f"{branch} {left.ljust(width)}  ->  {right}{mark}")
    return "\n".join(lines)
