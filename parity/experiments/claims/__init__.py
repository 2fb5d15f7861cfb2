"""The seed's claims as experiments, each executed by both implementations.

The seed (docs/DESIGN.md) makes claims we can test. Each is one module here, holding its
experiment, checks, table, figure and prose, run by scratch *and* torch from the same initial
weights and batch order, with one function returning the demonstrating numbers (keys ending
``.scratch`` / ``.torch`` come in pairs, one per implementation; keys without a suffix
describe the data, not a network):

1. ``collapse.linear_collapse``: without a non-linearity depth adds nothing.
2. ``vanishing.vanishing_gradients``: sigmoid (and, under plain init, tanh) gradients vanish
   with depth.
3. ``convergence.tanh_vs_sigmoid``: tanh converges faster than sigmoid;
   ``centring.zero_centring``: why (the derivative's scale, or the zero centre).
4. ``dying.dying_relu``: ReLU units can die; Leaky ReLU keeps a gradient.
5. ``softmax.softmax_distribution``: softmax rows are probability distributions.
6. ``heads.output_heads``: the output layer follows the task.
7. ``tanh_sigmoid.tanh_is_scaled_sigmoid``: tanh is a scaled and shifted sigmoid, for the
   activations and for whole networks.

``run_claims`` runs them in that order, draws one figure per claim (scratch solid, torch
dashed) and returns one :class:`ClaimSection` per claim for ``nn-parity report``. The tests
assert the same numbers, so what the report shows is what is tested.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from parity._util.threads import limit_threads
from parity.experiments.claims import (
    centring,
    collapse,
    convergence,
    dying,
    heads,
    softmax,
    tanh_sigmoid,
    vanishing,
)
from parity.experiments.claims.centring import zero_centring
from parity.experiments.claims.collapse import linear_collapse
from parity.experiments.claims.common import (
    AGREE_RTOL,
    Claim,
    ClaimSection,
    agreement,
    markdown,
    sides_agree,
)
from parity.experiments.claims.convergence import tanh_vs_sigmoid
from parity.experiments.claims.dying import dying_relu
from parity.experiments.claims.heads import output_heads
from parity.experiments.claims.softmax import softmax_distribution
from parity.experiments.claims.tanh_sigmoid import tanh_is_scaled_sigmoid
from parity.experiments.claims.vanishing import vanishing_gradients

__all__ = [
    "AGREE_RTOL",
    "CLAIMS",
    "ClaimSection",
    "dying_relu",
    "linear_collapse",
    "output_heads",
    "run_claims",
    "sides_agree",
    "softmax_distribution",
    "tanh_is_scaled_sigmoid",
    "tanh_vs_sigmoid",
    "vanishing_gradients",
    "zero_centring",
]

CLAIMS: tuple[Claim, ...] = tuple(
    module.CLAIM
    for module in (collapse, vanishing, convergence, centring, dying, softmax, heads, tanh_sigmoid)
)


def run_claims(
    figures_dir: Path,
    *,
    quick: bool = False,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> list[ClaimSection]:
    """Run every claim's experiment on both implementations; draw its figures; report it.

    Figures are written to ``figures_dir`` (created if missing) as ``claim*.png``, and each
    section's Markdown links them as ``figures/NAME.png``, so the report that embeds the
    sections lives in ``figures_dir``'s parent. ``quick`` runs shorter experiments that
    still decide every claim; ``progress(done, total)`` is called after each claim.
    Deterministic for a given ``seed``.
    """
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    sections = []
    with limit_threads(1):
        for i, claim in enumerate(CLAIMS, start=1):
            exp = claim.run(seed, quick)
            checks = [*claim.checks(exp.numbers), agreement(exp.numbers)]
            passed = all(c.held for c in checks)
            claim.draw(exp, figures_dir / f"{claim.figure[0]}.png")
            body = markdown(claim, exp.numbers, checks, passed)
            sections.append(ClaimSection(claim.key, claim.title, body, passed, exp.numbers))
            if progress is not None:
                progress(i, len(CLAIMS))
    return sections
