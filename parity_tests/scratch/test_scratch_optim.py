"""SGD and Adam against steps worked out by hand (torch's formulas), and their argument checks.

One two-parameter problem for every case: ``p0 = [1, -2]`` and the fixed gradient sequence
``G`` below (set into ``.grad`` before each step), lr = 0.1. The expected parameters after
each step are computed here by hand, not by calling any scratch code.
"""

from __future__ import annotations

from math import sqrt

import numpy as np
import pytest

import scratch

P0 = [1.0, -2.0]
G = [[0.5, -1.0], [-0.25, 2.0], [1.0, 0.5]]

# Adam, betas (0.9, 0.999), eps 0: m_t = 0.9 m + 0.1 g; v_t = 0.999 v + 0.001 g^2;
# p -= lr * (m_t / (1 - 0.9^t)) / sqrt(v_t / (1 - 0.999^t)).
# t=1: m = [0.05, -0.1], v = [0.00025, 0.001] -> m_hat = g, v_hat = g^2 -> step lr*sign(g)
ADAM1 = [0.9, -1.9]
# t=2: m = [0.045-0.025, -0.09+0.2] = [0.02, 0.11]
#      v = [0.999*0.00025 + 0.001*0.0625, 0.999*0.001 + 0.001*4] = [0.00031225, 0.004999]
#      1 - 0.9^2 = 0.19, 1 - 0.999^2 = 0.001999
ADAM2 = [
    0.9 - 0.1 * (0.02 / 0.19) / sqrt(0.00031225 / 0.001999),
    -1.9 - 0.1 * (0.11 / 0.19) / sqrt(0.004999 / 0.001999),
]
# t=3: m = [0.018+0.1, 0.099+0.05] = [0.118, 0.149]
#      v = [0.999*0.00031225 + 0.001, 0.999*0.004999 + 0.00025] = [0.00131193775, 0.005244001]
#      1 - 0.9^3 = 0.271, 1 - 0.999^3 = 0.002997001
ADAM3 = [
    ADAM2[0] - 0.1 * (0.118 / 0.271) / sqrt(0.00131193775 / 0.002997001),
    ADAM2[1] - 0.1 * (0.149 / 0.271) / sqrt(0.005244001 / 0.002997001),
]
# weight_decay 0.1: g' = g + 0.1 p. t=1: g' = [0.6, -1.2] -> p = [0.9, -1.9] (lr*sign again)
# t=2: g' = [-0.25+0.09, 2-0.19] = [-0.16, 1.81]; m = [0.054-0.016, -0.108+0.181]
#      = [0.038, 0.073]; v = [0.999*0.00036 + 0.001*0.0256, 0.999*0.00144 + 0.001*3.2761]
#      = [0.00038524, 0.00471466]
ADAM_WD2 = [
    0.9 - 0.1 * (0.038 / 0.19) / sqrt(0.00038524 / 0.001999),
    -1.9 - 0.1 * (0.073 / 0.19) / sqrt(0.00471466 / 0.001999),
]

CASES = {
    # name: (optimizer factory, expected p after step 1, 2, ...)
    "sgd": (
        lambda ps: scratch.SGD(ps, lr=0.1),
        # p -= 0.1 g
        [[0.95, -1.9], [0.975, -2.1], [0.875, -2.15]],
    ),
    "sgd-momentum": (
        lambda ps: scratch.SGD(ps, lr=0.1, momentum=0.9),
        # b1 = g1; b2 = 0.9 b1 + g2 = [0.2, 1.1]; b3 = 0.9 b2 + g3 = [1.18, 1.49]; p -= 0.1 b
        [[0.95, -1.9], [0.93, -2.01], [0.812, -2.159]],
    ),
    "sgd-dampening": (
        lambda ps: scratch.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5),
        # torch: b1 = g1 (not 0.5 g1); b2 = 0.9 b1 + 0.5 g2 = [0.325, 0.1];
        # b3 = 0.9 b2 + 0.5 g3 = [0.7925, 0.34]
        [[0.95, -1.9], [0.9175, -1.91], [0.83825, -1.944]],
    ),
    "sgd-nesterov": (
        lambda ps: scratch.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
        # update g + 0.9 b: [0.95, -1.9], [-0.25+0.18, 2+0.99], [1+1.062, 0.5+1.341]
        [[0.905, -1.81], [0.912, -2.109], [0.7058, -2.2931]],
    ),
    "sgd-weight_decay": (
        lambda ps: scratch.SGD(ps, lr=0.1, weight_decay=0.1),
        # g' = g + 0.1 p: [0.6, -1.2], [-0.156, 1.812], [1.09556, 0.29388]
        [[0.94, -1.88], [0.9556, -2.0612], [0.846044, -2.090588]],
    ),
    "sgd-momentum-weight_decay": (
        lambda ps: scratch.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
        # b1 = g1' = [0.6, -1.2]; b2 = 0.9 b1 + [-0.156, 1.812] = [0.384, 0.732]
        [[0.94, -1.88], [0.9016, -1.9532]],
    ),
    "adam": (lambda ps: scratch.Adam(ps, lr=0.1, eps=0.0), [ADAM1, ADAM2, ADAM3]),
    "adam-eps": (
        # torch adds eps after the bias correction: p -= lr m_hat / (sqrt(v_hat) + eps)
        lambda ps: scratch.Adam(ps, lr=0.1, eps=0.1),
        [[1 - 0.1 * 0.5 / (0.5 + 0.1), -2 + 0.1 * 1 / (1 + 0.1)]],
    ),
    "adam-weight_decay": (
        lambda ps: scratch.Adam(ps, lr=0.1, eps=0.0, weight_decay=0.1),
        [[0.9, -1.9], ADAM_WD2],
    ),
    "adam-default-lr": (
        # torch's default lr 1e-3, eps 1e-8: step 1 is lr * g / (|g| + eps)
        lambda ps: scratch.Adam(ps),
        [[1 - 1e-3 * 0.5 / (0.5 + 1e-8), -2 + 1e-3 * 1 / (1 + 1e-8)]],
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_hand_computed_steps(check_array, name):
    make, expected = CASES[name]
    p = scratch.Parameter(np.array(P0))
    optimizer = make([p])
    for g, want in zip(G, expected, strict=False):
        p.grad[...] = g
        optimizer.step()
        check_array(p.data, want, rtol=1e-12)
    assert p.grad.tolist() == G[len(expected) - 1]  # step() leaves the gradient alone


@pytest.mark.parametrize("name", ["sgd-momentum", "adam"])
def test_zero_grad_clears_and_optimizer_state_is_per_parameter(check_array, name):
    make, expected = CASES[name]
    a, b = scratch.Parameter(np.array(P0)), scratch.Parameter(np.array(P0[::-1]))
    optimizer = make([a, b])
    for g, want in zip(G, expected, strict=False):
        a.grad[...], b.grad[...] = g, g[::-1]
        optimizer.step()
        check_array(a.data, want, rtol=1e-12)
        check_array(b.data, want[::-1], rtol=1e-12)
    optimizer.zero_grad()
    check_array(a.grad, [0.0, 0.0])
    check_array(b.grad, [0.0, 0.0])


def params() -> list[scratch.Parameter]:
    return [scratch.Parameter(np.array(P0))]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: scratch.SGD(params(), lr=0), "lr"),
        (lambda: scratch.SGD(params(), lr=-0.1), "lr"),
        (lambda: scratch.SGD(params(), lr=float("nan")), "lr"),
        (lambda: scratch.SGD(params(), lr=float("inf")), "lr"),
        (lambda: scratch.SGD(params(), lr=0.1, momentum=-0.5), "momentum"),
        (lambda: scratch.SGD(params(), lr=0.1, dampening=-1), "dampening"),
        (lambda: scratch.SGD(params(), lr=0.1, weight_decay=-1), "weight_decay"),
        (lambda: scratch.SGD(params(), lr=0.1, nesterov=True), "Nesterov"),
        (
            lambda: scratch.SGD(params(), lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
            "Nesterov",
        ),
        (lambda: scratch.SGD([], lr=0.1), "empty"),
        (lambda: scratch.Adam(params(), lr=0), "lr"),
        (lambda: scratch.Adam(params(), betas=(1.0, 0.999)), "beta1"),
        (lambda: scratch.Adam(params(), betas=(0.9, -0.1)), "beta2"),
        (lambda: scratch.Adam(params(), eps=-1e-8), "eps"),
        (lambda: scratch.Adam(params(), weight_decay=-0.1), "weight_decay"),
    ],
    ids=[
        "sgd-lr-zero",
        "sgd-lr-negative",
        "sgd-lr-nan",
        "sgd-lr-inf",
        "sgd-momentum-negative",
        "sgd-dampening-negative",
        "sgd-weight_decay-negative",
        "sgd-nesterov-no-momentum",
        "sgd-nesterov-dampening",
        "sgd-no-params",
        "adam-lr-zero",
        "adam-beta1-one",
        "adam-beta2-negative",
        "adam-eps-negative",
        "adam-weight_decay-negative",
    ],
)
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_params_must_be_scratch_parameters():
    with pytest.raises(TypeError, match="Parameter"):
        scratch.SGD([np.array(P0)], lr=0.1)


def test_accepts_any_real_number():
    """NumPy scalars (``np.float32(0.1)``, what arithmetic on float32 arrays gives) and ints
    are numbers too; each hyperparameter is stored as a Python float."""
    sgd = scratch.SGD(
        params(),
        lr=np.float32(0.1),
        momentum=np.float64(0.9),
        dampening=np.float32(0.0),
        nesterov=np.bool_(True),
        weight_decay=np.int64(0),
    )
    adam = scratch.Adam(
        params(), lr=1, betas=(np.float32(0.5), np.float64(0.999)), eps=np.float32(1e-8)
    )
    values = (sgd.lr, sgd.momentum, sgd.dampening, sgd.weight_decay, adam.lr, *adam.betas)
    assert all(type(v) is float for v in (*values, adam.eps))
    assert sgd.lr == float(np.float32(0.1)) and sgd.nesterov is True
    assert adam.lr == 1.0 and adam.betas == (0.5, 0.999)
    for optimizer in (sgd, adam):
        optimizer.params[0].grad[...] = G[0]
        optimizer.step()
        assert np.all(np.isfinite(optimizer.params[0].data))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: scratch.SGD(params(), lr="0.1"), "lr must be a real number, got str '0.1'"),
        (lambda: scratch.SGD(params(), lr=True), "lr must be a real number, got bool True"),
        (lambda: scratch.SGD(params(), lr=0.1, momentum="0.9"), "momentum must be a real"),
        (lambda: scratch.SGD(params(), lr=0.1, weight_decay=None), "weight_decay must be a real"),
        (lambda: scratch.SGD(params(), lr=0.1, nesterov="yes"), "nesterov must be True or False"),
        (lambda: scratch.Adam(params(), betas=0.9), r"betas must be a pair \(beta1, beta2\)"),
        (lambda: scratch.Adam(params(), betas=(0.9, "x")), "beta2 must be a real number"),
        (lambda: scratch.Adam(params(), eps=[1e-8]), "eps must be a real number, got list"),
    ],
    ids=[
        "sgd-lr-str",
        "sgd-lr-bool",
        "sgd-momentum-str",
        "sgd-weight_decay-none",
        "sgd-nesterov-str",
        "adam-betas-scalar",
        "adam-beta2-str",
        "adam-eps-list",
    ],
)
def test_invalid_argument_types(make, match):
    with pytest.raises(TypeError, match=match):
        make()
