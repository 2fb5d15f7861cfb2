"""Claim 5, ``softmax``: softmax rows are probability distributions.

``softmax(z)_i = e^{z_i} / sum_j e^{z_j}`` is positive, each row sums to 1, and a constant
added to every logit cancels, which is why the row-max shift makes it stable at any size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

import scratch
from parity._util import style
from parity._util.threads import limit_threads
from parity.experiments.claims.common import (
    SIDE_NAMES,
    Check,
    Claim,
    Experiment,
    Numbers,
    both,
    pair_rows,
    save,
)

SOFTMAX_SHIFTS = (1.0, 10.0, 100.0, 1000.0)
SOFTMAX_TOL = 1e-12  # float64: sums and shifted rows agree to a few eps times the width


def naive_softmax(z: np.ndarray) -> np.ndarray:
    """``e^z / sum e^z`` without the max shift: overflows to ``inf / inf = nan`` past ~709."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


def _softmax_distribution(seed: int, quick: bool) -> Experiment:
    rng = np.random.default_rng(seed)
    z = 3.0 * rng.standard_normal((200 if quick else 1000, 10))  # (N, C) logits
    s_soft, t_soft = scratch.Softmax(dim=-1), nn.Softmax(dim=-1)

    def on_both(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return s_soft(logits), t_soft(torch.as_tensor(logits)).numpy()

    numbers: Numbers = {}
    p = on_both(z)
    both(numbers, "min_prob", [q.min() for q in p])
    both(numbers, "max_prob", [q.max() for q in p])
    both(numbers, "max_row_sum_error", [np.abs(q.sum(axis=-1) - 1).max() for q in p])
    shift_curve: dict[str, list[float]] = {side: [] for side in SIDE_NAMES}
    for c in SOFTMAX_SHIFTS:
        for side, q, q_shift in zip(SIDE_NAMES, p, on_both(z + c), strict=True):
            shift_curve[side].append(float(np.abs(q_shift - q).max()))
    both(numbers, "max_shift_change", [max(shift_curve[s]) for s in SIDE_NAMES])
    big = 1000.0 + z  # logits of about 1000: e^1000 overflows float64
    p_big = on_both(big)
    both(numbers, "big_logits_finite", [float(np.isfinite(q).all()) for q in p_big])
    both(
        numbers,
        "big_logits_max_error",
        [np.abs(q - pz).max() for q, pz in zip(p_big, p, strict=True)],
    )
    numbers["naive_big_logits_finite"] = float(np.isfinite(naive_softmax(big)).all())
    numbers["scratch_vs_torch_max_diff"] = float(np.abs(p[0] - p[1]).max())
    curves = {"z": z, "p": p, "p_big": p_big, "shift_curve": shift_curve}
    return Experiment(numbers, curves)


def softmax_distribution(seed: int = 0, quick: bool = False) -> dict[str, float]:
    """Claim 5: softmax rows lie in (0, 1), sum to 1, ignore a constant shift, survive 1000.

    ``scratch.Softmax`` and ``nn.Softmax`` on 1000 rows (quick: 200) of 10 random float64
    logits ``3 N(0, 1)``: the smallest and largest probability, the worst ``|row sum - 1|``,
    the worst change when a constant ``c`` in 1, 10, 100, 1000 is added to every logit, and
    the same rows shifted to logits around 1000 (finite, and equal to the unshifted rows),
    where the naive ``e^z / sum e^z`` overflows to NaN (``naive_big_logits_finite``).
    """
    with limit_threads(1):
        return _softmax_distribution(seed, quick).numbers


def _checks(n: Numbers) -> list[Check]:
    lo = min(n[f"min_prob.{s}"] for s in SIDE_NAMES)
    hi = max(n[f"max_prob.{s}"] for s in SIDE_NAMES)
    sums = max(n[f"max_row_sum_error.{s}"] for s in SIDE_NAMES)
    shift = max(n[f"max_shift_change.{s}"] for s in SIDE_NAMES)
    finite = min(n[f"big_logits_finite.{s}"] for s in SIDE_NAMES)
    big = max(n[f"big_logits_max_error.{s}"] for s in SIDE_NAMES)
    return [
        Check("every probability in (0, 1)", f"[{lo:.1e}, {hi:.6f}]", 0 < lo and hi < 1),
        Check(f"rows sum to 1 (< {SOFTMAX_TOL:.0e})", f"{sums:.1e}", sums < SOFTMAX_TOL),
        Check(
            f"adding c <= 1000 to every logit changes nothing (< {SOFTMAX_TOL:.0e})",
            f"{shift:.1e}",
            shift < SOFTMAX_TOL,
        ),
        Check(
            f"logits of 1000: finite and equal to the unshifted rows (< {SOFTMAX_TOL:.0e})",
            f"{big:.1e}",
            finite == 1.0 and big < SOFTMAX_TOL,
        ),
    ]


def _table(n: Numbers) -> str:
    return pair_rows(
        n,
        [
            ("smallest probability", "min_prob"),
            ("largest probability", "max_prob"),
            ("max abs(row sum - 1)", "max_row_sum_error"),
            ("max change after adding c in 1..1000", "max_shift_change"),
            ("logits of 1000: all finite (1 = yes)", "big_logits_finite"),
            ("logits of 1000: max change from unshifted", "big_logits_max_error"),
            ("naive e^z / sum e^z at 1000, NumPy: all finite", "naive_big_logits_finite"),
        ],
    )


def _figure(exp: Experiment, path: Path) -> None:
    plt = style.use_agg()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.3))
    z, (s_p, t_p), (s_big, t_big) = exp.curves["z"][0], exp.curves["p"], exp.curves["p_big"]
    classes = np.arange(len(z))
    ax1.bar(classes - 0.2, s_p[0], width=0.4, color=style.SCRATCH["color"], label="scratch (NumPy)")
    ax1.bar(
        classes + 0.2,
        t_p[0],
        width=0.4,
        color=style.TORCH["color"],
        label="torch",
        hatch="//",
        edgecolor="white",
    )
    ax1.plot(classes, s_big[0], "k_", ms=14, label="scratch, logits + 1000")
    ax1.plot(classes, t_big[0], "kx", ms=6, label="torch, logits + 1000")
    ax1.set_xticks(classes)
    ax1.set_xlabel("class")
    ax1.set_ylabel("probability")
    ax1.set_title(f"one row: sums to {s_p[0].sum():.15f} (scratch)", fontsize=10)
    ax1.legend(fontsize=8)
    for side in SIDE_NAMES:
        values = np.maximum(exp.curves["shift_curve"][side], 1e-18)  # exact zeros on a log axis
        ax2.loglog(SOFTMAX_SHIFTS, values, marker="o", **style.SIDES[side])
    ax2.axhline(np.finfo(np.float64).eps, **dict(style.DIFF, label="float64 eps", linestyle=":"))
    ax2.set_xlabel("constant c added to every logit")
    ax2.set_ylabel("max |softmax(z + c) - softmax(z)|")
    naive = "NaN" if not exp.numbers["naive_big_logits_finite"] else "finite"
    ax2.set_title(f"shift invariance (naive e^z / sum e^z at c = 1000: {naive})", fontsize=10)
    ax2.legend(fontsize=8)
    ax2.grid(True, alpha=0.3)
    fig.suptitle("Softmax gives a probability distribution, stable at logits of 1000")
    save(fig, path, top=0.85, bottom=0.13)


CLAIM = Claim(
    key="softmax",
    title="Softmax gives a probability distribution",
    claim="`softmax(z)_i = e^{z_i} / sum_j e^{z_j}` is positive and each row sums to 1; adding "
    "a constant to every logit cancels in the ratio, which is why subtracting the row "
    "max (what both implementations do) makes it stable at any logit size.",
    method="`scratch.Softmax` and `nn.Softmax` on random float64 logits `3 N(0, 1)` (10 "
    "classes), the same rows plus constants 1 to 1000, and rows around 1000, where the "
    "naive formula overflows.",
    run=_softmax_distribution,
    checks=_checks,
    table=_table,
    draw=_figure,
    figure=("claim5_softmax", "softmax probabilities and shift invariance"),
)
