"""parity.spec: RunSpec defaults, validation messages, normalisation, derived names."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import scratch
from parity.data import DATASETS
from parity.spec import (
    ACTIVATIONS,
    DEFAULT_HEAD,
    DEVICES,
    DTYPES,
    HEADS,
    INITS,
    OPTIMIZERS,
    TASKS,
    Network,
    RunSpec,
)


def test_defaults_are_valid():
    spec = RunSpec()
    assert (spec.task, spec.head_name) == ("binary", "binary")
    assert (spec.output_activation, spec.loss) == (None, "bce_with_logits")
    assert spec.activations == ("tanh",)
    assert spec.label() == "tanh-1x16-binary-float64"
    assert (spec.optimizer, spec.lr, spec.batch_size, spec.epochs) == ("sgd", 0.1, 32, 20)
    assert (spec.dtype, spec.device, spec.init) == ("float64", "cpu", "default")
    assert spec.head is None


def test_names_come_from_scratch():
    assert ACTIVATIONS == tuple(scratch.ACTIVATIONS)
    assert (INITS, TASKS, DTYPES) == (scratch.INITS, scratch.TASKS, scratch.DTYPES)


def test_network_and_optimizer_settings():
    spec = RunSpec(task="multiclass", hidden=(8, 4), activation=("relu", "tanh"),
                   head="softmax_mse", optimizer="adam", betas=(0.8, 0.9))  # fmt: skip
    assert spec.network(5, 3) == Network(5, (8, 4), 3, ("relu", "tanh"), "softmax")
    assert spec.optimizer_settings() == dict(lr=0.1, betas=(0.8, 0.9), eps=1e-8, weight_decay=0.0)
    sgd = RunSpec(momentum=0.9, nesterov=True).optimizer_settings()
    assert sgd == dict(lr=0.1, momentum=0.9, dampening=0.0, nesterov=True, weight_decay=0.0)


def test_heads_table_is_consistent():
    assert set(DEFAULT_HEAD) == set(TASKS)
    for task, head in DEFAULT_HEAD.items():
        assert HEADS[head][0] == task
    for task, output_activation, loss in HEADS.values():
        assert task in TASKS
        assert output_activation in (None, "sigmoid", "softmax")
        assert loss in ("mse", "bce_with_logits", "bce", "cross_entropy")


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_every_dataset_gets_its_default_head(dataset):
    spec = RunSpec(task=DATASETS[dataset].task)
    assert spec.task == DATASETS[dataset].task
    assert spec.head_name == DEFAULT_HEAD[spec.task]


@pytest.mark.parametrize(
    ("task", "head", "output_activation", "loss"),
    [
        ("regression", "regression", None, "mse"),
        ("binary", "binary", None, "bce_with_logits"),
        ("binary", "binary_bce", "sigmoid", "bce"),
        ("multiclass", "multiclass", None, "cross_entropy"),
        ("multiclass", "softmax_mse", "softmax", "mse"),
    ],
    ids=lambda v: str(v),
)
def test_explicit_heads(task, head, output_activation, loss):
    spec = RunSpec(task=task, head=head)
    assert (spec.head_name, spec.output_activation, spec.loss) == (head, output_activation, loss)


@pytest.mark.parametrize("head", list(HEADS))
def test_head_task_mismatch(head):
    task = "regression" if HEADS[head][0] != "regression" else "binary"
    with pytest.raises(ValueError, match=rf"head '{head}' is for {HEADS[head][0]} tasks"):
        RunSpec(task=task, head=head)


def test_nesterov_valid_with_momentum():
    spec = RunSpec(nesterov=True, momentum=0.9)
    assert spec.nesterov is True and spec.momentum == 0.9


def case(id_: str, message: str, error: type[Exception] = ValueError, **changes: object) -> object:
    """One invalid-spec case: the field changes, the error class and the message they must
    raise (a regex): TypeError for a value of the wrong type, ValueError for a wrong value."""
    return pytest.param(changes, error, message, id=id_)


INVALID = [
    case("task", r"unknown task 'ranking'; valid: regression, binary, multiclass", task="ranking"),
    case("activation", r"unknown activation 'gelu'; valid: sigmoid, tanh, ", activation="gelu"),
    case("activation-in-tuple", r"unknown activation 'swish'", activation=("tanh", "swish"),
         hidden=(4, 4)),
    case("activation-count", r"activation \('tanh', 'relu'\) has 2 names for 3 hidden layers",
         activation=("tanh", "relu"), hidden=(4, 4, 4)),
    case("activation-not-str", r"activation must be a string, one of sigmoid, .*got int 3",
         TypeError, activation=3),
    case("head", r"unknown head 'hinge'; valid: regression, binary, binary_bce, ", head="hinge"),
    case("optimizer", r"unknown optimizer 'rmsprop'; valid: sgd, adam", optimizer="rmsprop"),
    case("init", r"unknown init 'orthogonal'; valid: default, xavier_uniform", init="orthogonal"),
    case("dtype", r"unknown dtype 'float16'; valid: float32, float64", dtype="float16"),
    case("device", r"unknown device 'mps'; valid: cpu, cuda, auto", device="mps"),
    case("hidden-zero", r"hidden size must be an int >= 1, got 0", hidden=(16, 0)),
    case("hidden-negative", r"hidden size must be an int >= 1, got -3", hidden=(-3,)),
    case("hidden-float", r"hidden size must be an int >= 1, got 16\.0", TypeError, hidden=(16.0,)),
    case("hidden-bool", r"hidden size must be an int >= 1, got True", TypeError, hidden=(True,)),
    case("hidden-int", r"hidden must be a tuple of ints, got 16", TypeError, hidden=16),
    case("hidden-str", r"hidden must be a tuple of ints, got '16'", TypeError, hidden="16"),
    case("lr-zero", r"lr must be a finite number > 0\.0, got 0\.0", lr=0.0),
    case("lr-negative", r"lr must be a finite number > 0\.0, got -0\.1", lr=-0.1),
    case("lr-nan", r"lr must be a finite number > 0\.0, got nan", lr=float("nan")),
    case("lr-str", r"lr must be a finite number > 0\.0, got '0\.1'", TypeError, lr="0.1"),
    case("momentum", r"momentum must be a finite number >= 0\.0, got -0\.5", momentum=-0.5),
    case("dampening", r"dampening must be a finite number >= 0\.0, got -1", dampening=-1),
    case("weight-decay", r"weight_decay must be a finite number >= 0\.0, got -0\.0001",
         weight_decay=-1e-4),
    case("nesterov-no-momentum", r"nesterov=True requires momentum > 0 and dampening == 0 "
         r"\(torch's rule\), got momentum=0\.0", nesterov=True),
    case("nesterov-dampening", r"nesterov=True requires.*dampening=0\.1", nesterov=True,
         momentum=0.9, dampening=0.1),
    case("nesterov-not-bool", r"nesterov must be a bool, got 1", TypeError, nesterov=1),
    case("betas-length", r"betas must be a pair of numbers in \[0, 1\), got \(0\.9,\)",
         betas=(0.9,)),
    case("betas-one", r"betas must be a pair .*, got \(0\.9, 1\.0\)", betas=(0.9, 1.0)),
    case("betas-negative", r"betas must be a finite number >= 0\.0, got -0\.1",
         betas=(-0.1, 0.999)),
    case("eps", r"eps must be a finite number >= 0\.0, got -1e-08", eps=-1e-8),
    case("batch-size", r"batch_size must be an int >= 1, got 0", batch_size=0),
    case("batch-size-float", r"batch_size must be an int >= 1, got 32\.0", TypeError,
         batch_size=32.0),
    case("epochs", r"epochs must be an int >= 1, got 0", epochs=0),
    case("seed", r"seed must be an integer in 0 \.\. 2\*\*32 - 1 \(4294967295\), got -1", seed=-1),
    case("task-not-str", r"task must be a string, one of regression, binary, multiclass; "
         r"got NoneType None", TypeError, task=None),
    case("betas-not-pair", r"betas must be a pair of numbers in \[0, 1\), got 0\.9", TypeError,
         betas=0.9),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "error", "message"), INVALID)
def test_invalid_field(changes, error, message):
    with pytest.raises(error, match=message) as info:
        RunSpec(**changes)
    # a wrong type is a TypeError, a wrong value a ValueError (parity.errors' InputError for a
    # seed is one), never both
    other = ValueError if error is TypeError else TypeError
    assert isinstance(info.value, error) and not isinstance(info.value, other)


@pytest.mark.parametrize(
    ("field", "valid"),
    [
        ("task", TASKS),
        ("activation", ACTIVATIONS),
        ("head", tuple(HEADS)),
        ("optimizer", OPTIMIZERS),
        ("init", INITS),
        ("dtype", DTYPES),
        ("device", DEVICES),
    ],
)
def test_unknown_choice_lists_every_valid_value(field, valid):
    with pytest.raises(ValueError, match=rf"unknown {field} 'nope'; valid: ") as info:
        RunSpec(**{field: "nope"})
    assert str(info.value).endswith(", ".join(valid))


@pytest.mark.parametrize(
    ("field", "value"),
    [("task", v) for v in TASKS]
    + [("activation", v) for v in ACTIVATIONS]
    + [("optimizer", v) for v in OPTIMIZERS]
    + [("init", v) for v in INITS]
    + [("dtype", v) for v in DTYPES]
    + [("device", v) for v in DEVICES],
    ids=str,
)
def test_every_listed_choice_is_accepted(field, value):
    assert getattr(RunSpec(**{field: value}), field) == value


def test_lists_become_tuples_and_spec_is_hashable():
    adam = dict(optimizer="adam")  # betas are Adam's: with SGD they are refused
    spec = RunSpec(hidden=[16, 8], activation=["relu", "tanh"], betas=[0.8, 0.99], **adam)
    assert spec.hidden == (16, 8) and isinstance(spec.hidden, tuple)
    assert spec.activation == ("relu", "tanh") and spec.betas == (0.8, 0.99)
    same = RunSpec(hidden=(16, 8), activation=("relu", "tanh"), betas=(0.8, 0.99), **adam)
    assert spec == same
    assert len({spec, same}) == 1


def test_numpy_scalars_become_python_numbers():
    spec = RunSpec(hidden=(np.int64(4),), lr=np.float32(0.5), batch_size=np.int32(8))
    assert type(spec.hidden[0]) is int and type(spec.batch_size) is int
    assert type(spec.lr) is float and spec.lr == 0.5


def test_int_lr_becomes_float():
    assert RunSpec(lr=1).lr == 1.0 and type(RunSpec(lr=1).lr) is float


def test_frozen():
    with pytest.raises(AttributeError):
        RunSpec().lr = 1.0  # type: ignore[misc]


LABELS = [
    ({}, ("tanh",), "tanh-1x16-binary-float64"),
    ({"hidden": (16, 16)}, ("tanh", "tanh"), "tanh-2x16-binary-float64"),
    ({"hidden": (32, 16), "activation": "relu"}, ("relu", "relu"), "relu-32_16-binary-float64"),
    (
        {"hidden": (8, 8), "activation": ("relu", "sigmoid")},
        ("relu", "sigmoid"),
        "relu+sigmoid-2x8-binary-float64",
    ),
    (
        {"hidden": (4, 4), "activation": ("relu", "relu")},
        ("relu", "relu"),
        "relu-2x4-binary-float64",
    ),
    ({"hidden": ()}, (), "nohidden-binary-float64"),
    ({"hidden": [], "activation": [], "task": "regression"}, (), "nohidden-regression-float64"),
    ({"task": "multiclass", "dtype": "float32"}, ("tanh",), "tanh-1x16-multiclass-float32"),
    ({"head": "binary_bce"}, ("tanh",), "tanh-1x16-binary_bce-float64"),
    ({"task": "regression", "head": "regression"}, ("tanh",), "tanh-1x16-regression-float64"),
]


@pytest.mark.parametrize(
    ("changes", "activations", "label"), LABELS, ids=[label for *_, label in LABELS]
)
def test_activations_and_label(changes, activations, label):
    spec = RunSpec(**changes)
    assert spec.activations == activations
    assert len(spec.activations) == len(spec.hidden)
    assert spec.label() == label


def test_replace_validates():
    spec = RunSpec()
    assert spec.replace(lr=0.5).lr == 0.5 and spec.lr == 0.1
    assert spec.replace(hidden=[3]).hidden == (3,)
    with pytest.raises(ValueError, match=r"lr must be a finite number > 0\.0, got -1"):
        spec.replace(lr=-1)


@pytest.mark.parametrize(
    "spec",
    [
        RunSpec(),
        RunSpec("multiclass", (8, 4), ("relu", "leaky_relu"), head="softmax_mse"),
        RunSpec(optimizer="adam", betas=(0.8, 0.9), eps=1e-6, task="multiclass"),
    ],
    ids=lambda s: s.label(),
)
def test_to_dict_is_json_and_round_trips(spec):
    d = spec.to_dict()
    assert list(d) == [f for f in RunSpec.__dataclass_fields__]
    assert all(not isinstance(v, tuple) for v in d.values())
    assert RunSpec(**json.loads(json.dumps(d))) == spec


def test_import_stays_light():
    # parity.spec / parity.data must not pull in torch, matplotlib or (at import) scikit-learn
    code = (
        "import sys, parity.spec, parity.data; "
        "print(sorted(m for m in ('torch', 'matplotlib', 'sklearn') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root, env=env
    )
    assert out.stdout.strip() == "[]"
