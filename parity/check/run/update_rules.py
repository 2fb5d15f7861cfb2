"""Update rules to replay: torch's, and the variants ports write instead.

Each rule maps the initial parameters and the gradients of steps ``0..t`` (yours, as your
code returned them) to the parameters after step ``t``. Replaying them on *your* gradients
and comparing with *your* parameters names the rule your update implements.

torch's rules (``torch.optim``), per parameter ``p`` with gradient ``g`` at step ``t = 1..``::

    SGD:      b = g (t = 1), b = mu b + g (t > 1); p -= lr b        (plain: p -= lr g)
    Adam:     m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2
              p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from parity.check.run.optimizers import Optim

Params = dict[str, np.ndarray]
Rule = Callable[[Params, Sequence[Params], float], Params]
BETAS, EPS = (0.9, 0.999), 1e-8


def sgd(momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False) -> Rule:
    def rule(p0: Params, grads: Sequence[Params], lr: float) -> Params:
        p = {k: v.astype(np.float64) for k, v in p0.items()}
        buf: Params = {}
        for g_t in grads:
            for k, g in g_t.items():
                if momentum:
                    buf[k] = g.copy() if k not in buf else momentum * buf[k] + (1 - dampening) * g
                    g = g + momentum * buf[k] if nesterov else buf[k]
                p[k] = p[k] - lr * g
        return p

    return rule


def ema_momentum(beta: float) -> Rule:
    """``v = beta v + (1 - beta) g`` from ``v = 0``; ``p -= lr v`` (the "beta" textbook form)."""

    def rule(p0: Params, grads: Sequence[Params], lr: float) -> Params:
        p = {k: v.astype(np.float64) for k, v in p0.items()}
        v: Params = {k: np.zeros_like(a) for k, a in p.items()}
        for g_t in grads:
            for k, g in g_t.items():
                v[k] = beta * v[k] + (1 - beta) * g
                p[k] = p[k] - lr * v[k]
        return p

    return rule


def adam(correct: bool = True, eps_inside: bool = False, eps_paper: bool = False) -> Rule:
    """Adam, torch's form by default; or without bias correction, with ``eps`` inside the
    square root, or with ``eps`` added before the bias correction (the paper's "efficient"
    form ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``, ``p -= lr_t m / (sqrt(v) + eps)``)."""
    b1, b2 = BETAS

    def rule(p0: Params, grads: Sequence[Params], lr: float) -> Params:
        p = {k: v.astype(np.float64) for k, v in p0.items()}
        m = {k: np.zeros_like(a) for k, a in p.items()}
        v = {k: np.zeros_like(a) for k, a in p.items()}
        for t, g_t in enumerate(grads, start=1):
            c1, c2 = (1 - b1**t, 1 - b2**t) if correct else (1.0, 1.0)
            for k, g in g_t.items():
                m[k] = b1 * m[k] + (1 - b1) * g
                v[k] = b2 * v[k] + (1 - b2) * g * g
                if eps_inside:
                    step = (m[k] / c1) / np.sqrt(v[k] / c2 + EPS)
                elif eps_paper:
                    step = math.sqrt(c2) / c1 * m[k] / (np.sqrt(v[k]) + EPS)
                else:
                    step = (m[k] / c1) / (np.sqrt(v[k]) / math.sqrt(c2) + EPS)
                p[k] = p[k] - lr * step
        return p

    return rule


def accumulated() -> Rule:
    """``p -= lr * (g_0 + ... + g_t)``: gradients never cleared between steps."""

    def rule(p0: Params, grads: Sequence[Params], lr: float) -> Params:
        p = {k: v.astype(np.float64) for k, v in p0.items()}
        total = {k: np.zeros_like(a) for k, a in p.items()}
        for g_t in grads:
            for k, g in g_t.items():
                total[k] = total[k] + g
                p[k] = p[k] - lr * total[k]
        return p

    return rule


def ascent() -> Rule:
    """``p += lr g``: the step taken up the gradient."""

    def rule(p0: Params, grads: Sequence[Params], lr: float) -> Params:
        return sgd()(p0, grads, -lr)

    return rule


def unchanged() -> Rule:
    """No update at all: the parameters stay as they were (a rule that rebinds a name)."""

    def rule(p0: Params, grads: Sequence[Params], lr: float) -> Params:
        return {k: v.astype(np.float64) for k, v in p0.items()}

    return rule


def per_key_lr(rule: Rule, keys: Sequence[str], lr_for_keys: float) -> Rule:
    """``rule``, with the parameters ``keys`` stepped at ``lr_for_keys`` instead of ``lr``."""

    def replay(p0: Params, grads: Sequence[Params], lr: float) -> Params:
        out = rule(p0, grads, lr)
        chosen = rule(p0, grads, lr_for_keys)
        return {k: chosen[k] if k in keys else v for k, v in out.items()}

    return replay


def torch_rule(opt: Optim) -> tuple[str, Rule]:
    """torch's rule for the check's optimizer, with its description."""
    if opt.name == "sgd" and set(opt.changed()) <= {"momentum"}:
        if opt.momentum:
            mu = opt.momentum
            text = f"{opt.describe()}: b = g at the first step, then b = {mu:g}·b + g; p -= lr·b"
            return text, sgd(mu)
        return f"{opt.describe()}: p -= lr·g", sgd()
    if opt.name == "adam" and not opt.changed():
        return (
            f"{opt.describe()} (betas 0.9, 0.999, eps 1e-8, bias-corrected, eps added to "
            "sqrt(v_hat))",
            adam(),
        )
    return opt.describe(), opt.replay


def candidates(opt: Optim) -> list[tuple[str, str, Rule, str]]:
    """``(pattern, your rule, rule, pitfall key)``: the rules a port writes instead, and
    torch's own optimizer with one hyper-parameter at another common value."""
    name, momentum = opt.name, opt.momentum
    pitfall = "adam" if name in ("adam", "adamw") else "momentum" if name == "sgd" else "loop"
    mu = momentum or 0.9
    out: list[tuple[str, str, Rule, str]] = [
        (
            "accumulated_gradients",
            "gradients accumulated across steps and never cleared (no "
            "zero_grad): each step applies the sum of all gradients so far",
            accumulated(),
            "accumulate",
        ),
        ("update_rule", "a step up the gradient (p += lr·g)", ascent(), "loop"),
        (
            "update_rule",
            "no update: your parameters never changed (p = p - lr·g rebinds a local name; "
            "update in place, p -= lr·g, under torch.no_grad() for a tensor)",
            unchanged(),
            "loop",
        ),
        ("update_rule", "plain SGD (p -= lr·g)", sgd(), "momentum"),
        ("update_rule", f"SGD with torch's momentum {mu:g}", sgd(mu), "momentum"),
        (
            "update_rule",
            f"momentum as an average, v = {mu:g}·v + {1 - mu:g}·g from v = 0 "
            "(torch: b = g at the first step, then b = μ·b + g)",
            ema_momentum(mu),
            "momentum",
        ),
        ("update_rule", f"Nesterov momentum {mu:g}", sgd(mu, nesterov=True), "momentum"),
        ("update_rule", "Adam as torch computes it", adam(), "adam"),
        ("update_rule", "Adam without bias correction", adam(correct=False), "adam"),
        ("update_rule", "Adam with eps inside the square root", adam(eps_inside=True), "adam"),
        (
            "update_rule",
            "Adam with eps added before the bias correction (the paper's 'efficient' form)",
            adam(eps_paper=True),
            "adam",
        ),
    ]
    own = torch_rule(opt)[0]
    plain = not set(opt.changed()) - {"momentum"}
    keep = []
    for pattern, text, rule, key in out:
        is_torch = plain and (
            (name == "adam" and text == "Adam as torch computes it")
            or (
                name == "sgd"
                and (
                    (not momentum and text.startswith("plain SGD"))
                    or (momentum and text.startswith("SGD with torch's"))
                )
            )
        )
        if not is_torch:
            keep.append((pattern, f"{text}; torch's is {own}", rule, key))
    for text, other in opt.neighbours():
        changed = {k: v for k, v in other.options.items() if v != opt.options[k]}
        hint = ", ".join(f"{k!r}: {v!r}" for k, v in changed.items())
        keep.append((
            "update_rule",
            f"your update is {text} (torch's is {own}; if that is what you meant, check with "
            f"optimizer_options={{{hint}}})",
            other.replay,
            "l2" if "weight_decay" in changed else pitfall,
        ))  # fmt: skip
    return keep
