"""torch.optim's optimizers with torch's hyper-parameters (``optimizer_options``): a rule
written as torch's passes, and a rule that is torch's with another hyper-parameter is named
with the value that fits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from parity.check import Functional, Torch, check
from parity.check.examples import functional_net as F
from parity.check.examples import torch_port as T
from parity.errors import InputError, InputTypeError


def adam(eps=1e-8, b1=0.9, b2=0.999, decoupled=0.0):
    state = {"t": 0, "m": {}, "v": {}}

    def update(params, grads, lr):
        state["t"] += 1
        t = state["t"]
        for k, g in grads.items():
            if decoupled:
                params[k] *= 1 - lr * decoupled
            m = state["m"][k] = b1 * state["m"].get(k, 0) + (1 - b1) * g
            v = state["v"][k] = b2 * state["v"].get(k, 0) + (1 - b2) * g * g
            params[k] -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)

    return update


def rmsprop(alpha=0.99, eps=1e-8):
    sq = {}

    def update(params, grads, lr):
        for k, g in grads.items():
            sq[k] = alpha * sq.get(k, 0) + (1 - alpha) * g * g
            params[k] -= lr * g / (np.sqrt(sq[k]) + eps)

    return update


def adagrad(eps=1e-10):
    total = {}

    def update(params, grads, lr):
        for k, g in grads.items():
            total[k] = total.get(k, 0) + g * g
            params[k] -= lr * g / (np.sqrt(total[k]) + eps)

    return update


def sgd_weight_decay(wd):
    def update(params, grads, lr):
        for k, g in grads.items():
            params[k] -= lr * (g + wd * params[k])

    return update


def _impl(update):
    return Functional(F.make_loss("relu"), F.init_params((64, 32, 10)), update=update)


@pytest.mark.parametrize(
    ("update", "optimizer", "options"),
    [(adam(), "adam", {}), (adam(decoupled=0.01), "adamw", {}),
     (adam(b1=0.9, b2=0.99), "adam", {"betas": (0.9, 0.99)}), (rmsprop(), "rmsprop", {}),
     (adagrad(), "adagrad", {}), (sgd_weight_decay(1e-3), "sgd", {"weight_decay": 1e-3})],
    ids=["adam", "adamw", "adam-betas", "rmsprop", "adagrad", "sgd-weight-decay"],
)  # fmt: skip
def test_a_rule_written_as_torchs_passes(update, optimizer, options):
    report = check(_impl(update), steps=4, lr=0.01, optimizer=optimizer, optimizer_options=options)
    assert report.ok, report.table()


@pytest.mark.parametrize(
    ("update", "optimizer", "words"),
    [(lambda: adam(eps=1e-7), "adam", "Adam with eps = 1e-07"),
     (lambda: rmsprop(alpha=0.9), "rmsprop", "RMSprop with alpha = 0.9"),
     (lambda: adam(b1=0.9, b2=0.99), "adam", "Adam with betas = (0.9, 0.99)"),
     (lambda: sgd_weight_decay(1e-4), "sgd", "SGD with weight_decay = 0.0001")],
    ids=["adam-eps", "rmsprop-alpha", "adam-betas", "sgd-weight-decay"],
)  # fmt: skip
def test_torchs_rule_with_another_hyper_parameter_names_the_value(update, optimizer, words):
    report = check(_impl(update()), steps=4, lr=0.01, optimizer=optimizer)
    d = report.first_divergence
    assert (d.stage, d.diagnosis.pattern) == ("training", "update_rule"), report.table()
    assert words in d.diagnosis.text
    assert d.diagnosis.residual <= d.diagnosis.tol
    fixed = check(
        _impl(update()),
        steps=4,
        lr=0.01,
        optimizer=optimizer,
        optimizer_options=eval(d.diagnosis.text.split("optimizer_options=")[1][:-1]),
    )
    assert fixed.ok, fixed.table()  # the value named closes the gap  # fmt: skip


def test_a_torch_port_with_keras_eps_is_named():
    port = T.port()
    port.optimizer = torch.optim.Adam(port.model.parameters(), lr=0.01, eps=1e-7)
    d = check(port, steps=4, optimizer="adam", lr=0.01).first_divergence
    assert "Adam with eps = 1e-07" in d.diagnosis.text
    assert check(port, steps=4, optimizer="adam", lr=0.01, optimizer_options={"eps": 1e-7}).ok


def test_bad_options_are_clear_errors():
    impl = _impl(None)
    with pytest.raises(InputError, match="has no 'momentum'; it takes betas, eps"):
        check(impl, steps=1, optimizer="adam", optimizer_options={"momentum": 0.9})
    with pytest.raises(InputError, match="betas"):
        check(impl, steps=1, optimizer="adam", optimizer_options={"betas": (0.9, 1.5)})
    with pytest.raises(InputTypeError, match="finite number"):
        check(impl, steps=1, optimizer="rmsprop", optimizer_options={"eps": "1e-8"})
    with pytest.raises(InputError, match="nesterov needs momentum"):
        check(impl, steps=1, optimizer_options={"nesterov": True})
    with pytest.raises(InputTypeError, match="must be a dict"):
        check(impl, steps=1, optimizer_options=[("eps", 1)])
    assert Torch  # the port path shares the same settings
