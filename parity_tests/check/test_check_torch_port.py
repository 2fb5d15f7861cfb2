"""``Torch``: a PyTorch port checked like a NumPy network, and ``check(original, against=port)``
(the shipped port examples run in test_check_examples.py). Here: what the examples do not
show, each with its negative control."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from parity.check import Torch, check
from parity.check.examples import functional_net as F
from parity.check.examples import torch_port as T
from parity.errors import InputError, InputTypeError


def test_a_non_square_weight_loaded_without_transposing_is_named_at_once():
    params = F.init_params((64, 32, 10))
    model = T.model_from(params)
    model[0].weight.data = torch.from_numpy(params["W1"])  # (in, out) into nn.Linear
    with pytest.raises(InputError, match=r"loaded without transposing: load W\.T"):
        Torch(model, nn.CrossEntropyLoss())
    model[0].weight.data = torch.from_numpy(params["W1"].T.copy())  # the fix
    assert check(Torch(model, nn.CrossEntropyLoss()), dataset="digits").ok


def test_the_port_is_left_as_it_was_found():
    port = T.port()
    before = {k: v.clone() for k, v in port.model.state_dict().items()}
    check(port, dataset="digits", steps=3)
    check(T.original(), against=port, steps=3)
    after = port.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.grad is None for p in port.model.parameters())
    assert not port.optimizer.state
    assert check(port, dataset="digits", steps=3).ok  # a second check starts afresh


def test_a_float32_port_passes_a_float32_check():
    port = T.port("float32_model")
    assert not check(port, dataset="digits").ok
    assert check(port, dataset="digits", dtype="float32", steps=2).ok


def test_a_manual_update_that_is_torchs_passes_and_one_with_momentum_as_an_average_is_named():
    def plain(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
                p.grad = None

    assert check(Torch(T.model_from(F.init_params((64, 32, 10))), nn.CrossEntropyLoss(),
                       update=plain), dataset="digits", steps=3).ok  # fmt: skip
    velocity: dict[int, torch.Tensor] = {}

    def averaged(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                velocity[id(p)] = 0.9 * velocity.get(id(p), 0) + 0.1 * p.grad
                p -= lr * velocity[id(p)]
                p.grad = None

    port = Torch(T.model_from(F.init_params((64, 32, 10))), nn.CrossEntropyLoss(), update=averaged)
    d = check(port, dataset="digits", steps=3, momentum=0.9).first_divergence
    assert (d.stage, d.diagnosis.pattern) == ("training", "update_rule")
    assert "momentum as an average" in d.diagnosis.text


def test_a_binary_port_with_logits_passes():
    assert check(T.binary_port(), dataset="breast_cancer", steps=2).ok


def test_against_finds_the_originals_mistake_that_the_port_does_not_make():
    original = F.make_loss("relu", "missing_mean")
    from parity.check import Functional

    report = check(Functional(original, F.init_params((64, 32, 10))), against=T.port())
    d = report.first_divergence
    assert (d.stage, d.name, d.diagnosis.pattern) == ("backward", "layers[0].weight",
                                                      "original_differs")  # fmt: skip
    assert "your original's mistake" in d.diagnosis.text
    assert report.verdict.startswith("your port differs from your original")


def test_bad_arguments_are_clear_errors():
    model = T.model_from(F.init_params((64, 32, 10)))
    with pytest.raises(InputTypeError, match=r"torch\.nn\.Module"):
        Torch(np.zeros(3), nn.CrossEntropyLoss())
    with pytest.raises(InputError, match="optimizer= or update="):
        Torch(model, nn.CrossEntropyLoss(), optimizer=torch.optim.SGD(model.parameters(), 0.1),
              update=lambda m, lr: None)  # fmt: skip
    with pytest.raises(InputError, match="Conv2d"):
        Torch(nn.Sequential(nn.Conv2d(1, 1, 3)), nn.CrossEntropyLoss())
    with pytest.raises(InputError, match="same network"):
        check(T.original((64, 16, 10)), against=T.port())
    with pytest.raises(InputTypeError, match="against="):
        check(T.original(), against=model)


PORT_FILE = """
import torch
from torch import nn
from parity.check import Torch

def implementation():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10)).double()
    return Torch(model, nn.CrossEntropyLoss(),
                 optimizer=torch.optim.Adam(model.parameters(), lr=0.01, eps=1e-7))
"""


def test_the_cli_checks_a_torch_port_and_takes_torchs_hyper_parameters(cli, tmp_path):
    path = tmp_path / "port.py"
    path.write_text(PORT_FILE)
    r = cli("check", str(path), "--steps", "3", "--optimizer", "adam", "--lr", "0.01")
    assert r.status == 1 and "your update is Adam with eps = 1e-07" in r.out, r.out + r.err
    r = cli("check", str(path), "--steps", "3", "--optimizer", "adam", "--lr", "0.01",
            "--opt", "eps=1e-7")  # fmt: skip
    assert r.status == 0, r.out + r.err
    r = cli("check", str(path), "--steps", "1", "--optimizer", "adam", "--opt", "momentum=0.9")
    assert r.status == 2 and "has no 'momentum'" in r.err


def test_a_summed_loss_module_is_told_to_use_reduction_mean():
    """A loss module with reduction='sum': "use reduction='mean'", on its own and against the
    original. A summing loss function (no module to switch): "divide by N"."""
    alone = check(T.port("sum_reduction"))
    against = check(T.original(), against=T.port("sum_reduction"))
    for report in (alone, against):
        d = report.first_divergence.diagnosis
        assert d.pattern == "factor"
        assert "use reduction='mean'" in d.fix and "divide by" not in d.fix
        assert "CrossEntropyLoss(reduction='sum')" in d.fix
    model = T.model_from(F.init_params((64, 32, 10)))

    def summed(out, target):
        return nn.functional.cross_entropy(out, target, reduction="sum")

    d = check(Torch(model, summed)).first_divergence.diagnosis
    assert d.pattern == "factor" and d.fix.startswith("divide by N")
