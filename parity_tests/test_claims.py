"""The seed's claims (``parity/claims.py``): each direction asserted with a margin, on both
implementations, and scratch and torch agreeing on every number.

The claims run in quick mode (the report runs the full one); quick mode is sized so that each
claim is still decided with room to spare.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

import scratch
import torch_impl
from parity import claims

SIDES = ("scratch", "torch")
CLAIM_FUNCTIONS = (
    "linear_collapse",
    "vanishing_gradients",
    "tanh_vs_sigmoid",
    "dying_relu",
    "softmax_distribution",
    "output_heads",
)


@pytest.fixture(scope="module")
def quick() -> Callable[[str], dict[str, float]]:
    """``quick(name)``: the claim function's quick-mode numbers for seed 0, computed once."""
    cache: dict[str, dict[str, float]] = {}

    def get(name: str) -> dict[str, float]:
        if name not in cache:
            cache[name] = getattr(claims, name)(seed=0, quick=True)
        return cache[name]

    return get


def both(n: dict[str, float], key: str) -> list[float]:
    """``[scratch, torch]`` values of one measured quantity."""
    return [n[f"{key}.{side}"] for side in SIDES]


# ---------------------------------------------------------------------------------- claims


@pytest.mark.parametrize("dataset", claims.COLLAPSE_DATASETS)
def test_linear_collapse(quick, dataset):
    n = quick("linear_collapse")
    ceiling = n[f"{dataset}.best_linear_train_acc"]
    for side in SIDES:
        assert n[f"{dataset}.collapse_max_diff.{side}"] < 1e-12, side  # float64: exact map
        assert n[f"{dataset}.identity.train_acc.{side}"] <= ceiling + 1e-12, side
        assert n[f"{dataset}.tanh.train_acc.{side}"] >= ceiling + 0.05, side
        assert (
            n[f"{dataset}.tanh.test_acc.{side}"] >= n[f"{dataset}.identity.test_acc.{side}"] + 0.05
        )
    if dataset == "moons":  # a well-posed linear optimum: deep identity net == trained linear
        for side in SIDES:
            ident, linear = (n[f"moons.{m}.train_acc.{side}"] for m in ("identity", "linear"))
            assert ident <= linear + 0.02, side


def test_vanishing_gradients(quick):
    n = quick("vanishing_gradients")

    def ratio(init: str, act: str, depth: int) -> list[float]:
        return both(n, f"{init}.{act}.depth{depth}.ratio")

    for side in range(2):
        assert ratio("xavier_uniform", "sigmoid", 10)[side] < 1e-2
        assert ratio("default", "sigmoid", 10)[side] < 1e-2
        assert ratio("xavier_uniform", "relu", 10)[side] > 1e-1
        assert ratio("xavier_uniform", "leaky_relu", 10)[side] > 1e-1
        # tanh vanishes under plain init, by more than an order of magnitude from depth 2
        assert ratio("default", "tanh", 2)[side] > 10 * ratio("default", "tanh", 10)[side]
        # and sigmoid's shrinks at every depth step
        sig = [ratio("xavier_uniform", "sigmoid", d)[side] for d in (2, 6, 10)]
        assert sig[0] > 10 * sig[1] > 100 * sig[2]


def test_tanh_converges_faster_than_sigmoid(quick):
    n = quick("tanh_vs_sigmoid")
    assert n["breast_cancer.same_initial_weights"] == 1.0
    for sig, tanh in zip(
        both(n, "breast_cancer.sigmoid.steps_to_target"),
        both(n, "breast_cancer.tanh.steps_to_target"),
        strict=True,
    ):
        assert tanh > 0 and sig > 0  # both reach the target within the quick budget
        assert sig > 2 * tanh
    assert all(
        s > t
        for s, t in zip(
            both(n, "breast_cancer.sigmoid.final_loss"),
            both(n, "breast_cancer.tanh.final_loss"),
            strict=True,
        )
    )


@pytest.mark.parametrize("setting", ["large_lr", "bias_shift"])
def test_dying_relu(quick, setting):
    n = quick("dying_relu")
    assert min(both(n, f"{setting}.relu.dead_final")) > 0.1
    assert max(both(n, f"{setting}.leaky_relu.dead_max")) == 0.0
    if setting == "bias_shift":
        assert min(both(n, "bias_shift.relu.dead_initial")) > 0.3  # born dead
    else:
        assert max(both(n, "large_lr.relu.dead_initial")) == 0.0  # killed by the updates


def test_softmax_is_a_distribution(quick):
    n = quick("softmax_distribution")
    assert min(both(n, "min_prob")) > 0 and max(both(n, "max_prob")) < 1
    assert max(both(n, "max_row_sum_error")) < 1e-12
    assert max(both(n, "max_shift_change")) < 1e-12
    assert min(both(n, "big_logits_finite")) == 1.0
    assert max(both(n, "big_logits_max_error")) < 1e-12
    assert n["naive_big_logits_finite"] == 0.0  # what the max shift protects against


def test_output_layer_follows_task(quick):
    n = quick("output_heads")
    assert both(n, "diabetes.output_width") == [1, 1]
    assert both(n, "breast_cancer.output_width") == [1, 1]
    assert both(n, "digits.output_width") == [10, 10]
    assert max(both(n, "diabetes.test_metric")) < n["diabetes.baseline"] - 0.1
    assert min(both(n, "breast_cancer.test_metric")) > n["breast_cancer.baseline"] + 0.1
    assert min(both(n, "digits.test_metric")) > n["digits.baseline"] + 0.5
    # a linear unit is not squashed; a sigmoid unit and a softmax are probabilities
    assert min(both(n, "diabetes.output_min")) < 0 and max(both(n, "diabetes.output_max")) > 1
    for ds in ("breast_cancer", "digits"):
        assert min(both(n, f"{ds}.proba_min")) >= 0 and max(both(n, f"{ds}.proba_max")) <= 1
    assert max(both(n, "digits.max_row_sum_error")) < 1e-12


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


# ---------------------------------------------------------------------------------- helpers


def test_best_linear_accuracy_known_cases():
    xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert claims.best_linear_accuracy(xor, np.array([0, 1, 1, 0])) == 0.75
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    y = (X @ [1.0, -2.0] > 0.3).astype(int)  # separable by a line
    assert claims.best_linear_accuracy(X, y) == 1.0
    assert claims.best_linear_accuracy(X, np.zeros(40, int)) == 1.0  # one class


def test_collapse_linear_both_sides():
    rng = np.random.default_rng(1)
    deep = scratch.build_model(3, [5, 4, 6], 2, "identity", rng=rng)
    x = rng.standard_normal((7, 3))
    assert np.abs(deep(x) - claims.collapse_linear(deep)(x)).max() < 1e-12
    twin = torch_impl.build_model(3, [5, 4, 6], 2, "identity", dtype="float64")
    torch_impl.load_numpy_state_dict(twin, deep.state_dict())
    one = claims.collapse_linear_torch(twin)
    assert tuple(one.weight.shape) == (2, 3)
    with torch.no_grad():
        assert (twin(torch.tensor(x)) - one(torch.tensor(x))).abs().max() < 1e-12
    with pytest.raises(ValueError, match="Identity"):
        claims.collapse_linear(scratch.build_model(3, [5], 2, "tanh", rng=rng))


def test_dead_fraction_both_sides():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((20, 3))
    for act, dead in (("relu", 1.0), ("leaky_relu", 0.0)):
        model = scratch.build_model(3, [4], 1, act, rng=rng)
        model[0].bias.data[:] = -1e3  # every unit's input is negative on every example
        twin = torch_impl.build_model(3, [4], 1, act, dtype="float64")
        torch_impl.load_numpy_state_dict(twin, model.state_dict())
        assert claims.dead_fraction(model, x) == dead
        assert claims.dead_fraction_torch(twin, x) == dead


def test_steps_to_target():
    assert claims.steps_to_target([0.9, 0.5, 0.2], 10, 0.5) == 20
    assert claims.steps_to_target([0.9, 0.8], 10, 0.5) == -1


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
