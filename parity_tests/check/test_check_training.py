"""The training stage: lock-step steps on shared batches, with the check's SGD/Adam applied
to your parameters or your own ``update`` rule checked against torch.optim."""

from __future__ import annotations

import numpy as np
import pytest

from parity.check import Functional, Layers, check
from parity.check.examples import EXAMPLES
from parity.check.examples import functional_net as F
from parity.check.examples import layers_net as L


def _functional(update=None):
    return Functional(F.make_loss("tanh"), F.init_params((64, 16, 10)), activation="tanh",
                      update=update)  # fmt: skip


def _layers(update=None, linear=L.Linear):
    return Layers(L.build((64, 16, 10), linear=linear), L.SoftmaxCrossEntropy(), update=update)


@pytest.mark.parametrize(
    ("build", "settings"),
    [(lambda: _functional(), {}),
     (lambda: _layers(), {}),
     (lambda: _functional(), {"optimizer": "adam", "lr": 0.01}),
     (lambda: _layers(), {"momentum": 0.9}),
     (lambda: _functional(), {"batch_size": 16, "rows": 64}),
     (lambda: _functional(F.make_update("momentum")), {"momentum": 0.9}),
     (lambda: _layers(L.update_rule("sgd"), L.LinearAccumulating), {}),
     (lambda: _functional(F.make_update("sgd")), {"lr": 0.5})],
    ids=["functional-sgd", "layers-sgd", "functional-adam", "layers-momentum",
         "functional-minibatches", "your-momentum", "your-sgd-clearing-accumulators",
         "your-sgd"],
)  # fmt: skip
def test_correct_training_agrees(build, settings):
    report = check(build(), steps=5, **settings)
    assert report.ok, report.table()
    training = [r for r in report.rows if r.stage == "training"]
    assert len(training) == 1 + 2 * 4  # loss, 4 gradients, 4 parameters
    assert len(report.curves["yours"]) == len(report.curves["torch"]) == 5
    assert np.abs(report.curves["yours"] - report.curves["torch"]).max() < 1e-12


def test_minibatches_differ_from_the_full_batch():
    full = check(_functional(), steps=4)
    mini = check(_functional(), steps=4, batch_size=16)
    assert not np.allclose(full.curves["torch"][1:], mini.curves["torch"][1:])


def test_no_zero_grad_is_found_at_step_one():
    report = check(_layers(L.update_rule("sgd_no_zero"), L.LinearAccumulating), steps=4)
    d = report.first_divergence
    assert (d.stage, d.name, d.diagnosis.pattern) == (
        "training", "layers[0].W", "accumulated_gradients")  # fmt: skip
    row = report.rows[d.row]
    assert row.e2e.first_bad_step == 1
    assert "at step 1 yours = your step 0 gradient + torch's step 1 gradient" in d.diagnosis.text
    later = [r for r in report.rows if r.stage == "training" and not r.ok and r is not row]
    assert later and all(r.status == "inherited" for r in later)


@pytest.mark.parametrize(
    ("name", "words"),
    [("functional-ema-momentum", "momentum as an average"),
     ("functional-adam-no-bias-correction", "Adam without bias correction"),
     ("layers-adam-eps-inside", "Adam with eps inside the square root"),
     ("functional-accumulate", "never cleared")],
)  # fmt: skip
def test_update_rule_mismatches_name_both_rules(name, words):
    example = EXAMPLES[name]
    d = check(example.build(), **example.check).first_divergence
    assert words in d.diagnosis.text
    assert "torch's is torch.optim." in d.diagnosis.text


def test_an_update_that_raises_stops_training_where_it_raised():
    calls = []

    def update(params, grads, lr):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("optimizer state lost")
        for k in params:
            params[k] -= lr * grads[k]

    report = check(_functional(update), steps=5)
    d = report.first_divergence
    assert d.stage == "training" and d.name == "step 2" and d.diagnosis.pattern == "raised"
    assert "optimizer state lost" in d.diagnosis.text


def test_a_static_mistake_makes_training_failures_inherited():
    example = EXAMPLES["functional-missing-mean"]
    report = check(example.build(), steps=3)
    assert report.first_divergence.stage == "backward"
    training = [r for r in report.rows if r.stage == "training" and not r.ok]
    assert training and all(r.status == "inherited" for r in training)
