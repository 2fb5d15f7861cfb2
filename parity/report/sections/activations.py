"""The activations section: every activation and its derivative on both sides, scratch's
hand-written ``backward`` against torch autograd, in one figure and one table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from parity._util.plots import margins
from parity._util.style import SCRATCH, TORCH, format_error, save_figure, use_agg
from parity.report.context import ReportContext, Section

ACTIVATION_FORMULAS: dict[str, tuple[str, str, str]] = {
    # name: (Markdown formula, mathtext f, mathtext f')
    "sigmoid": (
        "f(x)=1/(1+e^{-x}), f'(x)=f(x)(1-f(x))",
        r"$f(x)=1/(1+e^{-x})$",
        r"$f'(x)=f(x)\,(1-f(x))$",
    ),
    "tanh": ("f(x)=tanh(x), f'(x)=1-f(x)^2", r"$f(x)=\tanh(x)$", r"$f'(x)=1-f(x)^2$"),
    "relu": (
        "f(x)=max(0,x), f'(x)=1 if x>0 else 0",
        r"$f(x)=\max(0,x)$",
        r"$f'(x)=1$ if $x>0$ else $0$",
    ),
    "leaky_relu": (
        "f(x)=x if x>0 else 0.01x, f'(x)=1 if x>0 else 0.01",
        r"$f(x)=x$ if $x>0$ else $0.01x$",
        r"$f'(x)=1$ if $x>0$ else $0.01$",
    ),
    "identity": ("f(x)=x, f'(x)=1", r"$f(x)=x$", r"$f'(x)=1$"),
    "softmax": (
        "y_i=e^{z_i}/Σ_j e^{z_j}; here y_0 against z_0 with z_1=0, z_2=1, and ∂y_0/∂z_0=y_0(1-y_0)",
        r"$y_0=e^{z_0}/\sum_j e^{z_j}$",
        r"$\partial y_0/\partial z_0=y_0\,(1-y_0)$",
    ),
}
FIGURE = "activations.png"
LEAKY_ZOOM = (-2.0, 0.5)  # the x range of Leaky ReLU's insets, where its slope 0.01 shows
SHARED = ("sigmoid", "tanh")  # drawn on the same y scales: f in (0, 1) vs (-1, 1), f' <= 1/4 vs 1


def activation_curves(device: str) -> dict[str, dict[str, np.ndarray]]:
    """Each activation and its derivative on x in [-5, 5], both sides, float64.

    Scratch: ``forward`` then ``backward(ones)``, which is f'(x) elementwise. Torch:
    autograd of the same. Softmax sweeps the first logit of (z_0, 0, 1) and takes the
    derivative of y_0 (backward of the one-hot upstream e_0). Returns name ->
    ``{"x", "f_scratch", "f_torch", "d_scratch", "d_torch"}``, each ``(401,)``.
    """
    import torch
    from torch import nn

    import scratch

    x = np.linspace(-5.0, 5.0, 401)  # contains 0 exactly: both sides' kink convention
    modules: dict[str, tuple[Any, Any]] = {
        "sigmoid": (scratch.Sigmoid(), nn.Sigmoid()),
        "tanh": (scratch.Tanh(), nn.Tanh()),
        "relu": (scratch.ReLU(), nn.ReLU()),
        "leaky_relu": (scratch.LeakyReLU(0.01), nn.LeakyReLU(0.01)),
        "identity": (scratch.Identity(), nn.Identity()),
        "softmax": (scratch.Softmax(dim=-1), nn.Softmax(dim=-1)),
    }
    out = {}
    for name, (s_mod, t_mod) in modules.items():
        if name == "softmax":
            z = np.column_stack([x, np.zeros_like(x), np.ones_like(x)])  # (401, 3)
            upstream = np.zeros_like(z)
            upstream[:, 0] = 1.0
        else:
            z, upstream = x, np.ones_like(x)
        f_s = s_mod(z)
        d_s = s_mod.backward(upstream)
        zt = torch.tensor(z, device=device, requires_grad=True)
        f_t = t_mod(zt)
        (d_t,) = torch.autograd.grad(f_t, zt, torch.tensor(upstream, device=device))
        f_t_np, d_t_np = f_t.detach().cpu().numpy(), d_t.cpu().numpy()
        if name == "softmax":
            f_s, d_s, f_t_np, d_t_np = f_s[:, 0], d_s[:, 0], f_t_np[:, 0], d_t_np[:, 0]
        out[name] = {
            "x": x,
            "f_scratch": f_s,
            "f_torch": f_t_np,
            "d_scratch": d_s,
            "d_torch": d_t_np,
        }
    return out


def _draw_pair(top: Any, bottom: Any, name: str, c: dict[str, np.ndarray]) -> None:
    """``name``'s f on ``top`` and f' on ``bottom``, both sides, with their largest gap."""
    _, f_tex, d_tex = ACTIVATION_FORMULAS[name]
    xlabel = "$z_0$ (with $z_1=0$, $z_2=1$)" if name == "softmax" else "x"
    for ax, key, label in ((top, "f", "f(x)"), (bottom, "d", "f'(x)")):
        ax.plot(c["x"], c[f"{key}_scratch"], lw=2.2, **SCRATCH)
        ax.plot(c["x"], c[f"{key}_torch"], lw=1.6, **TORCH)
        err = float(np.abs(c[f"{key}_scratch"] - c[f"{key}_torch"]).max())
        ax.text(
            0.02,
            0.95,
            f"max |scratch − torch| = {format_error(err)}",
            transform=ax.transAxes,
            fontsize=8,
            va="top",
        )
        ax.set_ylabel(
            ("$y_0$" if key == "f" else r"$\partial y_0/\partial z_0$")
            if name == "softmax"
            else label
        )
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    top.set_title(f"{name}: {f_tex}", fontsize=11)
    bottom.set_title(f"{name} derivative: {d_tex}", fontsize=11)


def _zoom_leaky(top: Any, bottom: Any, c: dict[str, np.ndarray]) -> None:
    """Insets of Leaky ReLU's f and f' over ``LEAKY_ZOOM``, scaled so that the negative
    side's slope 0.01 (f = 0.01x, f' = 0.01), flat at the full panel's scale, shows."""
    lo, hi = LEAKY_ZOOM
    inside = (c["x"] >= lo) & (c["x"] <= hi)
    for ax, key, ylim, note in (
        (top, "f", (0.015 * lo, -0.01 * lo), "slope 0.01 for x < 0"),
        (bottom, "d", (-0.005, 0.02), "f'(x) = 0.01 for x < 0"),
    ):
        inset = ax.inset_axes((0.1, 0.3, 0.33, 0.46))  # the empty upper left
        inset.plot(c["x"][inside], c[f"{key}_scratch"][inside], lw=2.2, **SCRATCH)
        inset.plot(c["x"][inside], c[f"{key}_torch"][inside], lw=1.6, **TORCH)
        inset.axhline(0, color="grey", lw=0.6)
        inset.set(xlim=(lo, hi), ylim=ylim)
        inset.set_title(f"zoom: {note}", fontsize=7)
        inset.tick_params(labelsize=6)
        inset.grid(alpha=0.3)


def plot_activations(curves: dict[str, dict[str, np.ndarray]], figures: Path) -> str:
    """The figure of ``activation_curves``: each activation over its derivative, three per
    row; sigmoid and tanh (``SHARED``) on the same y scales, Leaky ReLU with an inset that
    shows its slope near 0. Returns its file name in ``figures``."""
    plt = use_agg()
    ncols = 3
    fig, axes = plt.subplots(4, ncols, figsize=(15, 12.5), squeeze=False)
    pairs = {
        name: (axes[2 * (k // ncols), k % ncols], axes[2 * (k // ncols) + 1, k % ncols])
        for k, name in enumerate(curves)
    }
    if all(name in pairs for name in SHARED):
        first, second = (pairs[name] for name in SHARED)
        second[0].sharey(first[0])
        second[1].sharey(first[1])
    for name, (top, bottom) in pairs.items():
        _draw_pair(top, bottom, name, curves[name])
    if "leaky_relu" in pairs:
        _zoom_leaky(*pairs["leaky_relu"], curves["leaky_relu"])
    fig.suptitle(
        "Activations (rows 1 and 3), each with its derivative directly below it (rows 2 and 4):\n"
        "scratch's hand-written backward vs torch autograd, float64; sigmoid and tanh on the "
        "same y scales"
    )
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="upper right", ncols=2)
    margins(fig, top=0.95, hspace=0.55, wspace=0.25)
    save_figure(fig, figures / FIGURE)
    return FIGURE


def _section(device: str, figures: Path) -> Section:
    curves = activation_curves(device)
    name = plot_activations(curves, figures)
    lines = [
        "Each activation on 401 points of [−5, 5] (0 included, where ReLU and Leaky ReLU "
        "take torch's convention f'(0) = 0 and 0.01), in float64. Scratch's derivative is its "
        "hand-written `backward` applied to an upstream gradient of ones (that is f'(x), "
        "elementwise); torch's is autograd through the `torch.nn` module. Softmax is not "
        "elementwise: the panel sweeps the first of three logits and shows the first output "
        "and its derivative along that logit, the diagonal of the Jacobian "
        "(`backward` of the one-hot upstream e_0). Sigmoid and tanh share their y scales, so "
        "that sigmoid's derivative, at most 1/4, stands beside tanh's, at most 1; Leaky ReLU's "
        f"panels carry an inset over [{LEAKY_ZOOM[0]:g}, {LEAKY_ZOOM[1]:g}] where its slope "
        "0.01 below 0 shows.",
        "",
        f"![Activations and derivatives, scratch vs torch](figures/{name})",
        "",
        "| activation | formula | max abs diff of f | max abs diff of f' |",
        "|---|---|---|---|",
    ]
    for act, c in curves.items():
        df = float(np.abs(c["f_scratch"] - c["f_torch"]).max())
        dd = float(np.abs(c["d_scratch"] - c["d_torch"]).max())
        formula = ACTIVATION_FORMULAS[act][0]
        lines.append(f"| {act} | `{formula}` | {format_error(df)} | {format_error(dd)} |")
    return Section("Activations and their derivatives", "activations", "\n".join(lines))


def activations_section(ctx: ReportContext) -> Section:
    """The activations figure and the table of the largest differences."""
    return ctx.timed("activations", lambda: _section(ctx.device, ctx.figures))
