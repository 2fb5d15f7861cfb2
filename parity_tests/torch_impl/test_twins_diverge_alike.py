"""The twins diverge alike: one table of diverging runs, each trained by scratch and torch_impl.

A case is a head, an optimizer and a learning rate that blow the loss up (to past
``EXPLODING`` times its first value, or to inf / nan). Both ``fit``s must stop at the same
step with their own ``TrainingDiverged`` (a ``FloatingPointError``) and the same message,
leave the weights of the last accepted step (the failing step's update is not applied),
and scratch must not let a single NumPy ``RuntimeWarning`` out while it diverges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch

import scratch
import torch_impl

pytestmark = pytest.mark.filterwarnings("error")  # an overflow warning fails the test

N = 64
_rng = np.random.default_rng(0)
X = _rng.standard_normal((N, 3))  # (N, 3)
TARGETS = {
    "regression": X @ np.array([[1.0], [-2.0], [0.5]]),  # (N, 1)
    "binary": (X[:, :1] > 0).astype(np.float64),  # (N, 1) in {0, 1}
    "multiclass": (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0),  # (N,) in {0, 1, 2}
}
# head -> (task, out_features, output activation, loss)
HEADS = {
    "regression": ("regression", 1, None, "mse"),
    "binary": ("binary", 1, None, "bce_with_logits"),
    "binary_bce": ("binary", 1, "sigmoid", "bce"),
    "multiclass": ("multiclass", 3, None, "cross_entropy"),
}


@dataclass(frozen=True)
class Case:
    head: str
    lr: float
    step: int  # where both must stop
    loss: str  # the loss as the message prints it
    optimizer: str = "sgd"
    settings: dict[str, float] = field(default_factory=dict)
    dtype: str = "float64"
    activation: str = "relu"
    batch_size: int = 16
    epochs: int = 5
    init_scale: float = 1.0


CASES = {
    "mse-explodes": Case("regression", 1e6, 1, "1.3e+24"),
    "mse-overflows-to-nan": Case("regression", 1e200, 1, "nan"),
    "tanh-mse-overflows-to-inf": Case("regression", 1e300, 1, "inf", activation="tanh"),
    "bce-logits-explodes": Case("binary", 1e8, 1, "1.46e+13"),
    "bce-after-sigmoid-nan": Case("binary_bce", 1e300, 1, "nan"),  # torch's BCELoss refuses NaN
    "cross-entropy-explodes": Case("multiclass", 1e8, 1, "1.63e+14"),
    "cross-entropy-nan": Case("multiclass", 1e300, 1, "nan"),
    "adam-explodes": Case("regression", 1e6, 1, "2.21e+25", optimizer="adam"),
    "float32-mse": Case("regression", 1e6, 1, "1.3e+24", dtype="float32"),
    "float32-cross-entropy": Case("multiclass", 1e8, 1, "1.63e+14", dtype="float32"),
    "momentum-5": Case(
        "binary", 0.1, 23, "1.78e+13", settings={"momentum": 5.0}, activation="tanh", epochs=20
    ),
    "full-batch-at-epoch-end": Case("regression", 1e6, 1, "7.41e+22", batch_size=N),
    "huge-initial-weights": Case("regression", 0.1, 0, "nan", init_scale=1e200),
}


def initial_state(case: Case) -> dict[str, np.ndarray]:
    _, out, output_activation, _ = HEADS[case.head]
    model = scratch.build_model(
        3, [8], out, case.activation, output_activation, dtype=case.dtype,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    state = scratch.init_state_dict(model, "default", np.random.default_rng(1))
    return {k: (v * case.init_scale).astype(case.dtype) for k, v in state.items()}


def train(side: str, case: Case) -> tuple[FloatingPointError, dict[str, np.ndarray], Any]:
    """Fit ``case`` on one side; return the exception, the weights it left and the weights
    after the last accepted step (recorded by ``progress``)."""
    task, out, output_activation, loss = HEADS[case.head]
    y = TARGETS[task] if task == "multiclass" else TARGETS[task].astype(case.dtype)
    layers = (3, [8], out, case.activation, output_activation)
    if side == "scratch":
        api: Any = scratch
        model = scratch.build_model(*layers, dtype=case.dtype, rng=np.random.default_rng(0))
        model.load_state_dict(initial_state(case))
        state = model.state_dict
        make = {"sgd": scratch.SGD, "adam": scratch.Adam}[case.optimizer]
    else:
        api = torch_impl
        model = torch_impl.build_model(*layers, dtype=case.dtype)
        torch_impl.load_numpy_state_dict(model, initial_state(case))
        state = lambda: torch_impl.numpy_state_dict(model)  # noqa: E731
        make = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[case.optimizer]
    optimizer = make(model.parameters(), lr=case.lr, **case.settings)
    accepted = [state()]
    batches = scratch.batch_order(N, case.batch_size, case.epochs, np.random.default_rng(0))
    with pytest.raises(FloatingPointError) as info:
        api.fit(model, api.make_loss(loss), optimizer, X.astype(case.dtype), y, batches=batches,
                progress=lambda done, total: accepted.append(state()))  # fmt: skip
    return info.value, state(), accepted[-1]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_twins_diverge_alike(case):
    results = {side: train(side, case) for side in ("scratch", "torch")}
    messages = {side: str(err) for side, (err, _, _) in results.items()}
    expected = f"diverged at step {case.step} (loss {case.loss}); lower lr (now {case.lr:g})"
    assert messages == {"scratch": expected, "torch": expected}
    for side, (err, left, accepted) in results.items():
        own = scratch.TrainingDiverged if side == "scratch" else torch_impl.TrainingDiverged
        assert type(err) is own and isinstance(err, FloatingPointError)
        assert (err.step, err.lr) == (case.step, case.lr)
        assert type(err.loss) is float and f"{err.loss:.3g}" == case.loss
        assert len(err.history.losses) == case.step  # the steps before the failing one
        for k in accepted:  # the failing step's update is not applied
            np.testing.assert_array_equal(left[k], accepted[k], err_msg=f"{side} {k}")
    a, b = results["scratch"][0].loss, results["torch"][0].loss
    assert a == pytest.approx(b, rel=1e-6) or (math.isnan(a) and math.isnan(b))


def test_the_rule_is_the_same_constant_on_both_sides():
    assert scratch.EXPLODING == torch_impl.EXPLODING == 1e12


@pytest.mark.parametrize("module", [scratch.train, torch_impl.train], ids=["scratch", "torch"])
def test_the_watch_draws_the_line_at_exploding_times_the_first_loss(module):
    watch = module.DivergenceWatch(lambda: 0.5, history=None)
    watch.step(2.0)  # step 0 sets the line at 1e12 * max(1, 2.0)
    watch.step(2e12)  # on the line: accepted
    with pytest.raises(module.TrainingDiverged, match=r"^diverged at step 2 \(loss 2e\+12\)"):
        watch.step(2.0000001e12)
    small = module.DivergenceWatch(lambda: None, history=None)
    small.step(1e-6)  # a tiny first loss: the line is 1e12 * 1, not 1e6
    small.step(1e12)
    with pytest.raises(module.TrainingDiverged, match=r"lower lr \(now unknown\)"):
        small.step(math.inf)
    with pytest.raises(module.TrainingDiverged, match=r"at step 0 \(loss nan\)"):
        module.DivergenceWatch(lambda: 0.1, None).step(math.nan)
    end = module.DivergenceWatch(lambda: 0.1, None)
    end.step(1.0)
    end.check(1.0, True)  # a finite loss and finite parameters pass
    with pytest.raises(module.TrainingDiverged, match=r"at step 1 \(loss 1\)"):
        end.check(1.0, False)  # non-finite parameters behind a finite loss


@pytest.mark.parametrize("side", ["scratch", "torch"])
def test_a_converging_run_is_untouched(side):
    case = Case("regression", 0.01, -1, "")
    task, out, _, loss = HEADS[case.head]
    api: Any = scratch if side == "scratch" else torch_impl
    extra = {"rng": np.random.default_rng(0)} if side == "scratch" else {}
    model = api.build_model(3, [8], out, "relu", **extra)
    opt = (scratch.SGD if side == "scratch" else torch.optim.SGD)(model.parameters(), lr=0.01)
    history = api.fit(model, api.make_loss(loss), opt, X, TARGETS[task], batch_size=16,
                      epochs=3, seed=0)  # fmt: skip
    assert len(history.losses) == 12 and history.losses[-1] < history.losses[0]


def test_the_exception_pickles_with_its_attributes():
    import pickle

    err = pickle.loads(pickle.dumps(scratch.TrainingDiverged(3, 1e20, 0.5)))
    assert (err.step, err.loss, err.lr, str(err)) == (
        3, 1e20, 0.5, "diverged at step 3 (loss 1e+20); lower lr (now 0.5)"
    )  # fmt: skip
