"""Each hypothesis on synthetic evidence: it names its own mistake, and stays silent on a
correct value, on noise and on a mistake of another kind; the update-rule replays equal
torch.optim where they claim to be torch's rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from parity.check.diagnose.hypotheses import (
    BY_ROLE,
    activation_derivative,
    bias_not_summed,
    factor,
    factors,
    l2_penalty,
    other_activation,
    relu_remask,
    repeat_accumulated,
    repeat_stateful,
    transposed,
)
from parity.check.rows import Evidence
from parity.check.run import update_rules as updates
from parity.check.run.optimizers import Optim, validated

rng = np.random.default_rng(0)
T = rng.standard_normal((5, 5))


def ev(yours, torch_value=T, **context):
    return Evidence(yours, np.asarray(torch_value, float), "gradient", "weight_grad",
                    {"tol": 1e-12, "n": 8, "d": 3, **context})  # fmt: skip


@pytest.mark.parametrize(("label", "c", "meaning"), factors(8, 3), ids=lambda x: str(x))
def test_each_factor_is_named(label, c, meaning):
    found = factor(ev(c * T))
    assert found is not None and found.pattern == "factor"
    assert f"yours = {label} ×" in found.text and found.residual <= 1e-12


@pytest.mark.parametrize(
    "yours",
    [T, 5 * T, T + 1e-6 * rng.standard_normal(T.shape), T.T, np.abs(T)],
    ids=["correct", "unknown factor 5", "noise", "transposed", "abs"],
)
def test_factor_stays_silent(yours):
    assert factor(ev(yours)) is None


def test_transposed_square_and_not():
    assert transposed(ev(T.T)).pattern == "transposed"
    rect = rng.standard_normal((3, 5))
    assert transposed(ev(rect.T, rect)).pattern == "transposed"
    symmetric = T + T.T
    assert transposed(ev(symmetric, symmetric)) is None  # indistinguishable: no claim
    assert transposed(ev(2 * T)) is None


def test_bias_not_summed():
    rows = rng.standard_normal((8, 3))
    assert bias_not_summed(ev(rows, rows.sum(axis=0))).pattern == "bias_not_summed"
    assert bias_not_summed(ev(rows, rows.mean(axis=0) * 2)) is None


def test_relu_remask_names_both_directions_and_nothing_else():
    x = rng.standard_normal((6, 4))
    G = rng.standard_normal((6, 4))
    torch_dx = G * (x > 0)
    through = relu_remask(ev(G, torch_dx, act="relu"))  # no mask at all
    assert through.pattern == "relu_mask" and "lets gradient through" in through.text
    assert "blocks" not in through.text
    blocks = relu_remask(ev(torch_dx * (G > 0), torch_dx, act="relu"))
    assert "blocks it at" in blocks.text and "lets" not in blocks.text
    assert relu_remask(ev(torch_dx * 1.5, torch_dx, act="relu")) is None
    assert relu_remask(ev(G, torch_dx, act="tanh")) is None


def test_l2_penalty_needs_gradients_and_loss_to_agree():
    W = rng.standard_normal((4, 3))
    b = rng.standard_normal(3)
    gW, gb = rng.standard_normal((4, 3)), rng.standard_normal(3)
    lam, torch_loss = 0.03, 1.7
    entries = [(gW + lam * W, gW, W, True), (gb, gb, b, False)]
    base = {"tol": 1e-12, "n": 8, "d": 3, "l2": entries}
    penalty = lam / 2 * (W * W).sum()
    good = Evidence(torch_loss + penalty, np.asarray(torch_loss), "forward", "loss", base)
    found = l2_penalty(good)
    assert found.pattern == "l2_regulariser" and "λ = 0.03" in found.text
    other = Evidence(torch_loss + 2 * penalty, np.asarray(torch_loss), "forward", "loss", base)
    assert "half its derivative" in l2_penalty(other).text
    wrong = Evidence(torch_loss + 3 * penalty, np.asarray(torch_loss), "forward", "loss", base)
    assert l2_penalty(wrong) is None


def test_every_role_has_hypotheses():
    assert all(BY_ROLE[role] for role in BY_ROLE)


def _torch_steps(make, p0, grads):
    w = torch.tensor(p0["w"], requires_grad=True)
    opt = make([w])
    for g in grads:
        w.grad = torch.tensor(g["w"])
        opt.step()
    return w.detach().numpy()


@pytest.mark.parametrize(
    ("rule", "make"),
    [(updates.sgd(), lambda p: torch.optim.SGD(p, lr=0.1)),
     (updates.sgd(0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
     (updates.sgd(0.9, nesterov=True),
      lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
     (updates.adam(), lambda p: torch.optim.Adam(p, lr=0.1))],
    ids=["sgd", "momentum", "nesterov", "adam"],
)  # fmt: skip
def test_replays_of_torchs_rules_equal_torch_optim(rule, make):
    p0 = {"w": rng.standard_normal(7)}
    grads = [{"w": rng.standard_normal(7) * 10.0**-k} for k in range(4)]
    assert np.abs(rule(p0, grads, 0.1)["w"] - _torch_steps(make, p0, grads)).max() < 1e-15


@pytest.mark.parametrize(("optimizer", "momentum"),
                         [("sgd", 0.0), ("sgd", 0.9), ("adam", 0.0), ("adamw", 0.0),
                          ("rmsprop", 0.9), ("adagrad", 0.0)])  # fmt: skip
def test_candidates_never_include_torchs_own_rule(optimizer, momentum):
    p0 = {"w": rng.standard_normal(7)}
    grads = [{"w": rng.standard_normal(7)} for _ in range(3)]
    opt = Optim(optimizer, 0.1, validated(optimizer, {"momentum": momentum} if momentum else {}))
    own = updates.torch_rule(opt)[1](p0, grads, 0.1)["w"]
    for _, text, rule, _ in updates.candidates(opt):
        assert np.abs(rule(p0, grads, 0.1)["w"] - own).max() > 1e-9, text


Z = np.array([[-1.0, 0.0, 2.0, 0.0], [0.5, -0.3, 0.0, 1.2]])  # exact zeros: the masks differ
G = rng.standard_normal(Z.shape)


@pytest.mark.parametrize(
    ("act", "yours", "torch_dx", "pattern", "words"),
    [("relu", G * (Z >= 0), G * (Z > 0), "relu_mask", "passes gradient where x == 0"),
     ("leaky_relu", G * np.where(Z >= 0, 1, 0.01), G * np.where(Z > 0, 1, 0.01),
      "leaky_relu_mask", "passes dy unchanged where x == 0")],
    ids=["relu", "leaky_relu"],
)  # fmt: skip
def test_a_mask_of_x_at_least_0_is_named(act, yours, torch_dx, pattern, words):
    act_dx = ev(yours, torch_dx, act=act, x=Z, y=np.maximum(Z, 0), G=G)
    found = next(d for h in BY_ROLE["act_dx"] if (d := h(act_dx)) is not None)
    assert found.pattern == pattern and words in found.text
    assert found.residual <= 1e-12
    positive = np.abs(Z) + 1  # no exact zeros: x >= 0 and x > 0 are the same mask
    assert activation_derivative(ev(G, G, act=act, x=positive, y=positive, G=G)) is None


def test_an_activation_checked_as_another_kind_is_named():
    x = rng.standard_normal((4, 5))
    found = other_activation(ev(np.tanh(x), np.maximum(x, 0), act="relu", x=x))
    assert found.pattern == "activation_name" and "behaves like tanh" in found.text
    assert other_activation(ev(x / (1 + np.exp(-x)), np.maximum(x, 0), act="relu", x=x)) is None


def _repeat(first, second, loss=(1.0, 1.0)):
    return Evidence(second, first, "gradient", "repeat", {"tol": 1e-12, "n": 8, "d": 3,
                                                         "loss": loss})  # fmt: skip


@pytest.mark.parametrize("m", [1, 2, 5])
def test_a_loss_fn_that_accumulates_is_named_whatever_it_had_summed(m):
    g = rng.standard_normal(12)
    found = repeat_accumulated(_repeat(m * g, (m + 1) * g))
    assert found.pattern == "accumulated_gradients" and found.residual <= 1e-12
    assert f"{(m + 1) / m:.3g} times the first call's" in found.text


def test_any_other_state_between_calls_is_said_without_a_guess():
    g = rng.standard_normal(12)
    assert repeat_accumulated(_repeat(g, -g)) is None
    found = repeat_stateful(_repeat(g, g, loss=(0.5, 0.75)))
    assert found.pattern == "stateful_loss_fn" and "the loss 0.5, then 0.75" in found.text
    assert found.residual is None
