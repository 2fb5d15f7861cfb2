"""The seed's claims together (``parity/experiments/claims/``): scratch and torch agree on
every number of every claim, the numbers are deterministic, and ``run_claims`` reports what
the tests assert. Each claim's own directions are asserted in ``test_claim_<module>.py``.

The claims run in quick mode (the report runs the full one); quick mode is sized so that each
claim is still decided with room to spare.
"""

from __future__ import annotations

import numpy as np
import pytest

from parity.experiments import claims

CLAIM_FUNCTIONS = (
    "linear_collapse",
    "vanishing_gradients",
    "tanh_vs_sigmoid",
    "zero_centring",
    "dying_relu",
    "softmax_distribution",
    "output_heads",
    "tanh_is_scaled_sigmoid",
)


@pytest.mark.parametrize("name", CLAIM_FUNCTIONS)
def test_scratch_and_torch_agree(quick, name):
    n = quick(name)
    pairs = [k[: -len(".scratch")] for k in n if k.endswith(".scratch")]
    assert pairs, "every claim measures both implementations"
    for key in pairs:
        s, t = n[f"{key}.scratch"], n[f"{key}.torch"]
        assert abs(s - t) <= max(1e-12, 1e-9 * max(abs(s), abs(t))), f"{key}: {s} vs {t}"
    for key in (k for k in n if k.endswith("runs_in_parity")):
        assert n[key] == 1.0, f"{key}: a training run left the parity tolerances"
    assert claims.sides_agree(n) <= claims.AGREE_RTOL
    assert all(type(v) is float and np.isfinite(v) for v in n.values())  # JSON-ready


def test_claims_are_deterministic(quick):
    for name in ("vanishing_gradients", "softmax_distribution"):
        assert getattr(claims, name)(seed=0, quick=True) == quick(name)


def test_run_claims_sections_and_figures(tmp_path, quick):
    pytest.importorskip("matplotlib")
    calls = []
    sections = claims.run_claims(
        tmp_path / "figures", quick=True, progress=lambda i, t: calls.append((i, t))
    )
    assert [s.key for s in sections] == [c.key for c in claims.CLAIMS]
    assert calls == [(i, len(sections)) for i in range(1, len(sections) + 1)]
    for section, name in zip(sections, CLAIM_FUNCTIONS, strict=True):
        assert section.passed, section.markdown
        assert section.numbers == quick(name)  # what the report shows is what is tested
        assert "| scratch | torch |" in section.markdown or "scratch |" in section.markdown
        links = [
            line[line.index("](") + 2 : -1]
            for line in section.markdown.splitlines()
            if line.startswith("![")
        ]
        assert links, section.key
        for link in links:
            assert link.startswith("figures/") and link.endswith(".png")
            png = tmp_path / link
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", link


@pytest.mark.parametrize(
    ("pairs", "measured", "held"),
    [
        ({"a": (1.0, 1.0), "b": (0.5, 0.5)}, "2 pairs compared: all identical", True),
        ({"a": (1.0, 1.0), "b": (4.44e-16, 5.55e-16)},  # rounding errors themselves
         "2 pairs compared: 1 identical, 1 differing by at most 1.1e-16 (below the 1e-12 "
         "floor)", True),
        ({"a": (2.0, 2.0 + 1e-10), "b": (3.0, 3.0)},
         "2 pairs compared: 1 identical, 1 differing, 1 by more than the 1e-12 floor, at worst "
         "5.0e-11 relative", True),
        ({"a": (1.0, 1.001)},
         "1 pair compared: 0 identical, 1 differing, 1 by more than the 1e-12 floor, at worst "
         "1.0e-03 relative", False),
    ],
)  # fmt: skip
def test_agreement_says_what_it_compared_and_at_what_floor(pairs, measured, held):
    """Never a bare "worst 0.0e+00" under numbers that visibly differ in their last digits."""
    numbers = {f"{k}.{side}": v for k, st in pairs.items() for side, v in zip(
        ("scratch", "torch"), st, strict=True)}  # fmt: skip
    check = claims.agreement(numbers)
    assert (check.measured, check.held) == (measured, held)
    assert "1e-09 relative" in check.statement and "below 1e-12 is rounding" in check.statement
