"""What every claim shares: its records, the agreement check, its table and figure helpers.

A claim module (``collapse``, ``vanishing``, ``convergence``, ``centring``, ``dying``,
``softmax``, ``heads``, ``tanh_sigmoid``) holds one claim's experiment, checks, table,
figure and prose, gathered in one :class:`Claim`; ``parity.experiments.claims.run_claims``
runs them in order and renders each as a :class:`ClaimSection`. Measured numbers whose keys
end ``.scratch`` / ``.torch`` come in pairs, one per implementation (``SIDE_NAMES``); keys
without a suffix describe the data or a setting, not a network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

import scratch
from parity._util.style import format_number, save_figure
from parity.harness.sides import SCRATCH, TORCH, Implementation
from parity.spec import RunSpec

SIDE_NAMES = (SCRATCH.name, TORCH.name)  # the suffixes of the paired numbers, scratch first
Numbers = dict[str, float]
T = TypeVar("T")
AGREE_RTOL = 1e-9  # scratch and torch numbers agree to this (relative; 1e-12 absolute floor)


@dataclass
class ClaimSection:
    """One claim's report section.

    ``markdown`` is the section body (no heading): the claim, how it is measured, a table of
    the measured numbers for scratch and torch, the verdict and figure links of the form
    ``![alt](figures/NAME.png)``, relative to the report directory. ``numbers`` are the
    demonstrating numbers (as returned by the claim's function).
    """

    key: str
    title: str
    markdown: str
    passed: bool
    numbers: dict[str, float]


@dataclass
class Check:
    """One asserted direction of a claim: a statement, the measured value, whether it held."""

    statement: str
    measured: str
    held: bool


@dataclass
class Experiment:
    """What a claim's experiment produced: the numbers and what its figure needs."""

    numbers: Numbers
    curves: dict[Any, Any]


@dataclass(frozen=True)
class Claim:
    """One seed claim: its prose, and the functions that measure, judge, tabulate and draw it.

    ``run(seed, quick)`` runs the experiment on both implementations; ``checks(numbers)``
    states each direction the claim asserts; ``table(numbers)`` is the Markdown table;
    ``draw(experiment, path)`` writes the figure; ``figure`` is its (file stem, alt text).
    """

    key: str
    title: str
    claim: str
    method: str
    run: Callable[[int, bool], Experiment]
    checks: Callable[[Numbers], list[Check]]
    table: Callable[[Numbers], str]
    draw: Callable[[Experiment, Path], None]
    figure: tuple[str, str]


AGREE_ATOL = 1e-12  # a difference below this is rounding, whatever the numbers' size


@dataclass(frozen=True)
class PairDifferences:
    """How the ``.scratch`` and ``.torch`` twins of a claim's numbers differ.

    ``pairs`` were compared; ``identical`` of them are equal; ``largest_abs`` is the largest
    ``|s - t|`` over all; ``above_floor`` pairs differ by more than ``AGREE_ATOL``, and
    ``worst_rel`` is the largest ``|s - t| / max(|s|, |t|)`` among those (0.0 when none).
    """

    pairs: int
    identical: int
    largest_abs: float
    above_floor: int
    worst_rel: float

    def describe(self) -> str:
        """What was compared and what it measured, in words (``16 pairs compared: 14
        identical, 2 differing by at most 4.4e-16 (below the 1e-12 floor)``)."""
        text = f"{self.pairs} pair{'s' * (self.pairs != 1)} compared: "
        if self.identical == self.pairs:
            return text + "all identical"
        text += f"{self.identical} identical, {self.pairs - self.identical} differing"
        if not self.above_floor:
            return text + f" by at most {self.largest_abs:.1e} (below the {AGREE_ATOL:.0e} floor)"
        return text + (
            f", {self.above_floor} by more than the {AGREE_ATOL:.0e} floor, at worst "
            f"{self.worst_rel:.1e} relative"
        )


def pair_differences(numbers: Numbers, atol: float = AGREE_ATOL) -> PairDifferences:
    """Compare every ``.scratch`` number of ``numbers`` with its ``.torch`` twin (a number
    with only a ``.scratch`` side is a ``KeyError``); ``atol`` is the absolute floor below
    which a difference is rounding (a quantity that is itself a rounding error, such as a max
    difference of 1e-16, is judged by it; the rest relative to their size)."""
    pairs = identical = above = 0
    largest = worst = 0.0
    for key, s in numbers.items():
        if not key.endswith(".scratch"):
            continue
        t = numbers[key[: -len(".scratch")] + ".torch"]
        diff = abs(s - t)
        pairs += 1
        identical += diff == 0
        largest = max(largest, diff)
        if diff > atol:
            above += 1
            worst = max(worst, diff / max(abs(s), abs(t)))
    return PairDifferences(pairs, identical, largest, above, worst)


def sides_agree(numbers: Numbers, atol: float = AGREE_ATOL) -> float:
    """The worst relative disagreement between the ``.scratch`` and ``.torch`` twins:
    ``max |s - t| / max(|s|, |t|)`` over the pairs whose difference exceeds ``atol``, 0.0
    when every pair agrees to ``atol`` (``pair_differences``)."""
    return pair_differences(numbers, atol).worst_rel


def agreement(numbers: Numbers) -> Check:
    """The check every claim ends with: scratch and torch agree on every number, and every
    training run the experiment made stayed within the parity tolerances. The measured text
    says how many pairs were compared and how they differ (``PairDifferences.describe``)."""
    found = pair_differences(numbers)
    runs = [v for k, v in numbers.items() if k.endswith("runs_in_parity")]
    in_parity = ""
    if runs:
        in_parity = (
            "; every training run in parity" if all(runs) else "; a training run FAILED parity"
        )
    return Check(
        f"scratch and torch agree on every number the experiment measured (to "
        f"{AGREE_RTOL:.0e} relative; a difference below {AGREE_ATOL:.0e} is rounding and "
        "counts as agreement)",
        f"{found.describe()}{in_parity}",
        found.worst_rel <= AGREE_RTOL and all(runs),
    )


def markdown(claim: Claim, numbers: Numbers, checks: list[Check], passed: bool) -> str:
    """The section body: claim, method, table, verdict with one line per check, figure link."""
    verdict = "\n".join(
        f"- {'✅' if c.held else '❌'} {c.statement}: measured {c.measured}" for c in checks
    )
    stem, alt = claim.figure
    return (
        f"**Claim.** {claim.claim}\n\n"
        f"**How it is measured.** {claim.method}\n\n"
        f"{claim.table(numbers)}\n\n"
        f"**Verdict: {'the claim holds' if passed else 'the claim does NOT hold'}.**\n\n"
        f"{verdict}\n\n"
        f"![{alt}](figures/{stem}.png)\n"
    )


def both(numbers: Numbers, key: str, values: Sequence[float]) -> None:
    """Store one measured quantity for both sides: ``key.scratch`` and ``key.torch``."""
    for side, value in zip(SIDE_NAMES, values, strict=True):
        numbers[f"{key}.{side}"] = float(value)


def pair_rows(numbers: Numbers, rows: Sequence[tuple[str, str]]) -> str:
    """A Markdown table of ``(label, key)`` rows, one column per implementation."""
    lines = ["| quantity | scratch | torch |", "|---|---:|---:|"]
    for label, key in rows:
        if f"{key}.scratch" in numbers:
            s, t = (format_number(numbers[f"{key}.{side}"]) for side in SIDE_NAMES)
            lines.append(f"| {label} | {s} | {t} |")
        elif key in numbers:  # a property of the data or a setting: the same for both sides
            value = format_number(numbers[key])
            lines.append(f"| {label} | {value} | {value} |")
    return "\n".join(lines)


def save(fig: Any, path: Path, **adjust: float) -> None:
    """Lay out with fixed margins (``tight_layout`` would render the figure twice), save, close."""
    margins = {"left": 0.08, "right": 0.97, "top": 0.9, "bottom": 0.1, "wspace": 0.2}
    fig.subplots_adjust(**(margins | adjust))
    save_figure(fig, path, version_stamp=True)


def by_step(
    impl: Implementation,
    model: Any,
    spec: RunSpec,
    X: np.ndarray,
    y: np.ndarray,
    batches: Sequence[Sequence[np.ndarray]],
    measure: Callable[[Any], T],
) -> list[T]:
    """Train ``model`` with ``impl``'s own ``fit`` on ``batches``; ``measure(model)`` after
    0, 1, ..., N optimizer steps (N + 1 values: step resolution, not per epoch).

    The spec gives the loss and the optimizer; ``measure`` runs inside ``fit``'s
    ``on_backward`` (the step's gradients are in place, its update not yet made), so it must
    not touch the gradients: :func:`train_loss` and :func:`train_loss_torch` do not.
    """
    seen: list[T] = []
    impl.fit(
        model, impl.make_loss(spec.loss), impl.make_optimizer(model, spec), X, y,
        batches=batches, on_backward=lambda step, m: seen.append(measure(m)),
    )  # fmt: skip
    seen.append(measure(model))
    return seen


def train_loss(loss: str, X: np.ndarray, y: np.ndarray) -> Callable[[scratch.Sequential], float]:
    """``measure`` for :func:`by_step`: the loss ``loss`` of a scratch model on all of
    ``X`` (N, in) and ``y``, by scratch's own loss."""
    loss_fn = scratch.make_loss(loss)
    return lambda model: float(loss_fn(model(X), y))


def train_loss_torch(loss: str, X: np.ndarray, y: np.ndarray) -> Callable[[Any], float]:
    """The torch twin of :func:`train_loss`: torch's own loss, without autograd."""
    import torch

    import torch_impl

    loss_fn = torch_impl.make_loss(loss)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)

    def measure(model: Any) -> float:
        with torch.no_grad():
            return float(loss_fn(model(Xt), yt))

    return measure


def steps_to(losses: Sequence[float] | np.ndarray, target: float) -> int:
    """The first step count k (losses[k] is the loss after k steps) with loss <= ``target``;
    -1 when it is never reached."""
    reached = np.flatnonzero(np.asarray(losses) <= target)
    return int(reached[0]) if reached.size else -1
