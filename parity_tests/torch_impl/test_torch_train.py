"""torch_impl.train: the training loop, end to end, and inference."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from torch_impl import (
    History,
    build_model,
    fit,
    load_numpy_state_dict,
    numpy_state_dict,
    predict,
    predict_proba,
)

# ---------------------------------------------------------------- training loop


def _regression_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.standard_normal((n, 1))
    return X, y


def _fresh(seed=0, **kwargs):
    torch.manual_seed(seed)
    model = build_model(3, (8,), 1, "tanh", **kwargs)
    return model, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def test_fit_explicit_batches_is_deterministic():
    X, y = _regression_data()
    rng = np.random.default_rng(1)
    batches = [np.array_split(rng.permutation(len(X)), 3) for _ in range(4)]  # 4 epochs x 3
    runs = []
    for _ in range(2):
        model, opt = _fresh()
        history = fit(model, nn.MSELoss(), opt, X, y, batches=batches)
        runs.append((history, numpy_state_dict(model)))
    (h1, w1), (h2, w2) = runs
    assert isinstance(h1, History)
    assert len(h1.losses) == 12
    assert all(isinstance(v, float) for v in h1.losses)
    assert h1.losses == h2.losses
    assert all(np.array_equal(w1[k], w2[k]) for k in w1)
    assert len(h1.train_loss) == len(h1.train_acc) == 4
    assert h1.train_acc == [None] * 4
    assert h1.val_loss == [] and h1.val_acc == []
    assert h1.train_loss[-1] < h1.train_loss[0]


def test_fit_uses_the_given_batch_order():
    X, y = _regression_data()
    batches = [[np.array([3, 1]), np.array([7]), np.arange(10, 20)]]
    seen = []

    class Recorder(nn.MSELoss):
        def forward(self, input, target):
            seen.append(target.detach().numpy().copy())
            return super().forward(input, target)

    model, opt = _fresh()
    fit(model, Recorder(), opt, X, y, batches=batches, task="regression")
    for batch, target in zip(batches[0], seen, strict=False):
        np.testing.assert_array_equal(target, y[batch])


def test_fit_on_backward_sees_gradients_before_step():
    X, y = _regression_data()
    batches = [[np.arange(0, 20), np.arange(20, 40)]] * 2
    seen = []

    def on_backward(step, model):
        seen.append((step, model[0].weight.grad.clone(), model[0].weight.detach().clone()))

    progress = []
    model, opt = _fresh()
    fit(
        model,
        nn.MSELoss(),
        opt,
        X,
        y,
        batches=batches,
        on_backward=on_backward,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert [s for s, _, _ in seen] == [0, 1, 2, 3]
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert all(torch.any(g != 0) for _, g, _ in seen)
    assert not torch.equal(seen[0][2], seen[1][2])  # weights changed between steps


def test_fit_seeded_shuffle_is_reproducible():
    X, y = _regression_data(n=50)
    runs = []
    for seed in (7, 7, 8):
        model, opt = _fresh()
        history = fit(model, nn.MSELoss(), opt, X, y, batch_size=16, epochs=3, seed=seed)
        runs.append(history.losses)
    assert len(runs[0]) == 3 * 4  # ceil(50 / 16) batches per epoch
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_fit_does_not_touch_caller_arrays():
    X, y = _regression_data()
    X0, y0 = X.copy(), y.copy()
    model, opt = _fresh()
    fit(model, nn.MSELoss(), opt, X, y, batch_size=8, epochs=2, seed=0)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_fit_float32_model_and_validation():
    X, y = (a.astype(np.float32) for a in _regression_data())
    model, opt = _fresh(dtype="float32")
    history = fit(
        model, nn.MSELoss(), opt, X, y, batch_size=8, epochs=2, seed=0, X_val=X[:10], y_val=y[:10]
    )
    assert model[0].weight.dtype is torch.float32
    assert len(history.val_loss) == len(history.val_acc) == 2
    assert history.val_acc == [None, None]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"batch_size": None}, ValueError, "batch_size, epochs and seed"),
        ({"batch_size": 4, "epochs": 1}, ValueError, "seed"),
        ({"batches": [[np.arange(4)]], "seed": 0}, ValueError, "not both"),
        ({"batches": [[np.array([0, 40])]]}, ValueError, r"batches\[0\]\[0\].*\[0, 40\)"),
        ({"batches": [[np.array([-1])]]}, ValueError, r"batches\[0\]\[0\]"),
        ({"batches": [[np.arange(4), np.array([], int)]]}, ValueError, r"batches\[0\]\[1\]"),
        ({"batches": [[np.array([0.0, 1.0])]]}, TypeError, "integer"),
        ({"batches": [[]]}, ValueError, r"batches\[0\] has no batches"),
        ({"batch_size": 0, "epochs": 1, "seed": 0}, ValueError, "batch_size"),
        ({"X": np.zeros(40)}, ValueError, "2-D"),
        ({"X": np.zeros((40, 3), int)}, TypeError, "float"),
        ({"X": np.full((40, 3), np.inf)}, ValueError, "NaN or inf"),
        ({"y": np.zeros((39, 1))}, ValueError, "39 rows but X has 40"),
        ({"y": np.zeros((40, 1), int)}, TypeError, "MSELoss needs float targets"),
        ({"y": np.zeros(40)}, ValueError, r"y shape \(40,\) does not match input shape \(40, 1\)"),
        ({"X_val": np.zeros((5, 3))}, ValueError, "both X_val and y_val"),
        ({"task": "ranking"}, ValueError, "unknown task 'ranking'; valid: regression, binary"),
        ({"batch_size": 2.5, "epochs": 1, "seed": 0}, ValueError, "batch_size.*got 2.5"),
        ({"batch_size": 4, "epochs": 1.0, "seed": 0}, ValueError, "epochs.*got 1.0"),
        ({"batch_size": 4, "epochs": 1, "seed": 0.5}, TypeError, "seed must be an int, got float"),
        (
            {"X": np.zeros((40, 3), np.float32)},
            TypeError,
            "X has dtype float32 but the model's parameters are float64",
        ),
        (
            {"X": torch.zeros(40, 3, dtype=torch.float32)},
            TypeError,
            "X has dtype float32 but the model's parameters are float64",
        ),
        (
            {"y": np.zeros((40, 1), np.float32)},
            TypeError,
            "y has dtype float32 but the model's parameters are float64",
        ),
        (
            {"X_val": np.zeros((5, 3), np.float32), "y_val": np.zeros((5, 1))},
            TypeError,
            "X_val has dtype float32 but the model's parameters are float64",
        ),
        (
            {"X_val": np.zeros((5, 3)), "y_val": np.zeros((5, 1), np.float16)},
            TypeError,
            "y_val has dtype float16 but the model's parameters are float64",
        ),
    ],
    ids=[
        "no-batch-order",
        "missing-seed",
        "batches-and-shuffle",
        "index-too-large",
        "negative-index",
        "empty-batch",
        "float-indices",
        "empty-epoch",
        "zero-batch-size",
        "1d-X",
        "int-X",
        "inf-X",
        "length-mismatch",
        "int-target-for-mse",
        "target-shape-mismatch",
        "half-validation",
        "unknown-task",
        "float-batch-size",
        "float-epochs",
        "float-seed",
        "float32-X",
        "float32-tensor-X",
        "float32-y",
        "float32-X_val",
        "float16-y_val",
    ],
)
def test_fit_rejects(kwargs, error, match):
    X, y = _regression_data()
    args = {"X": X, "y": y}
    if not {"batches", "batch_size", "epochs", "seed"} & kwargs.keys():
        args |= {"batch_size": 4, "epochs": 1, "seed": 0}  # a valid order unless under test
    args |= kwargs
    model, opt = _fresh()
    with pytest.raises(error, match=match):
        fit(model, nn.MSELoss(), opt, **args)


# ---------------------------------------------------------------- end to end and inference


@pytest.fixture(scope="module")
def moons():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.make_moons(n_samples=1000, noise=0.2, random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = y.astype(np.float64)[:, None]  # (N, 1) float targets for BCEWithLogitsLoss
    return X[:750], y[:750], X[750:], y[750:]


def test_learns_moons(moons):
    X, y, X_test, y_test = moons
    torch.manual_seed(0)
    model = build_model(2, (16, 16), 1, "tanh")
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    history = fit(
        model,
        nn.BCEWithLogitsLoss(),
        optimizer,
        X,
        y,
        batch_size=32,
        epochs=30,
        seed=0,
        X_val=X_test,
        y_val=y_test,
    )
    labels = predict(model, X_test, "binary")
    assert labels.shape == (250,) and labels.dtype == np.int64
    accuracy = float(np.mean(labels == y_test[:, 0]))
    assert accuracy >= 0.95
    assert history.val_acc[-1] == pytest.approx(accuracy)
    assert history.train_acc[-1] >= 0.95
    assert history.train_loss[-1] < history.train_loss[0]


@pytest.mark.parametrize(
    ("out_features", "output_activation", "task", "shape"),
    [
        (1, None, "binary", (6, 1)),
        (1, "sigmoid", "binary", (6, 1)),
        (4, None, "multiclass", (6, 4)),
        (4, "softmax", "multiclass", (6, 4)),
        (1, None, None, (6, 1)),
        (4, "softmax", None, (6, 4)),
    ],
    ids=[
        "binary-logits",
        "binary-sigmoid-head",
        "multiclass-logits",
        "multiclass-softmax-head",
        "binary-inferred",
        "multiclass-inferred",
    ],
)
def test_predict_proba(out_features, output_activation, task, shape):
    torch.manual_seed(0)
    model = build_model(3, (5,), out_features, "relu", output_activation)
    X = 3.0 * np.random.default_rng(0).standard_normal((6, 3))
    proba = predict_proba(model, X, task)
    assert proba.shape == shape and proba.dtype == np.float64
    assert np.all((proba >= 0) & (proba <= 1))
    if shape[1] > 1:
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)

    # Same body without the head: the head is applied exactly once, never twice.
    body = model[:-1] if output_activation else model
    with torch.no_grad():
        logits = body(torch.from_numpy(X))
    expected = torch.sigmoid(logits) if shape[1] == 1 else torch.softmax(logits, dim=-1)
    np.testing.assert_allclose(proba, expected.numpy(), rtol=1e-12)

    labels = predict(model, X, "binary" if shape[1] == 1 else "multiclass")
    assert labels.shape == (6,) and labels.dtype == np.int64
    if shape[1] == 1:
        np.testing.assert_array_equal(labels, (proba[:, 0] > 0.5).astype(np.int64))
    else:
        np.testing.assert_array_equal(labels, proba.argmax(axis=1))


@pytest.mark.parametrize(
    ("model_dtype", "data"),
    [
        ("float64", np.zeros((4, 3), np.float32)),
        ("float32", np.zeros((4, 3), np.float64)),
        ("float64", torch.zeros(4, 3, dtype=torch.float32)),
        ("float32", torch.zeros(4, 3, dtype=torch.bfloat16)),
    ],
    ids=["np32-into-64", "np64-into-32", "tensor32-into-64", "bfloat16-into-32"],
)
@pytest.mark.parametrize(
    "call",
    [
        lambda m, X: predict(m, X, "regression"),
        lambda m, X: predict(m, X, "binary"),
        lambda m, X: predict_proba(m, X),
        lambda m, X: fit(m, nn.MSELoss(), torch.optim.SGD(m.parameters(), lr=0.1), X,
                         np.zeros((4, 1), m[0].weight.numpy(force=True).dtype),
                         batch_size=2, epochs=1, seed=0),
    ],
    ids=["predict-regression", "predict-binary", "predict_proba", "fit"],
)  # fmt: skip
def test_no_silent_casts(call, model_dtype, data):
    """As scratch (and nn.Linear itself): float data must already have the model's dtype."""
    model = build_model(3, (5,), 1, dtype=model_dtype)
    got = str(data.dtype).removeprefix("torch.")
    pattern = f"X has dtype {got} but the model's parameters are {model_dtype}.*no silent casts"
    with pytest.raises(TypeError, match=pattern):
        call(model, data)


def test_predict_regression_and_mode():
    torch.manual_seed(0)
    model = build_model(3, (5,), 2)
    X = np.random.default_rng(0).standard_normal((4, 3))
    out = predict(model, X, "regression")
    assert out.shape == (4, 2)
    with torch.no_grad():
        np.testing.assert_array_equal(out, model(torch.from_numpy(X)).numpy())
    assert model.training  # training flag restored
    with pytest.raises(ValueError, match="regression"):
        predict_proba(model, X, "regression")
    for call in (lambda: predict(model, X, "ranking"), lambda: predict_proba(model, X, "ranking")):
        with pytest.raises(ValueError, match="unknown task 'ranking'; valid: regression, binary"):
            call()


def test_multiclass_fit_accuracy_and_one_hot():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 4.0], [4.0, 0.0], [-4.0, -4.0]])
    labels = rng.integers(0, 3, size=90)
    X = centres[labels] + 0.5 * rng.standard_normal((90, 2))
    torch.manual_seed(0)
    model = build_model(2, (8,), 3, "relu")
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    history = fit(
        model, nn.CrossEntropyLoss(), optimizer, X, labels, batch_size=16, epochs=10, seed=0
    )
    assert history.train_acc[-1] == 1.0
    one_hot = np.eye(3)[labels]  # class probabilities as float targets
    model2 = build_model(2, (8,), 3, "relu")
    load_numpy_state_dict(model2, numpy_state_dict(model))
    optimizer2 = torch.optim.SGD(model2.parameters(), lr=0.0)
    history2 = fit(
        model2, nn.CrossEntropyLoss(), optimizer2, X, one_hot, batch_size=90, epochs=1, seed=0
    )
    assert history2.train_acc == [1.0]
    assert history2.train_loss[0] == pytest.approx(history.train_loss[-1], rel=1e-12)


def test_cross_entropy_class_probabilities_must_have_one_column_per_output():
    """torch's extension (scratch takes class indices only): (N, C) float targets, C = outputs."""
    X, _ = _regression_data()
    model = build_model(3, (8,), 3, "relu")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"y shape \(40, 4\) does not match input shape \(40, 3\)"):
        fit(model, nn.CrossEntropyLoss(), opt, X, np.full((40, 4), 0.25), batches=[[np.arange(4)]])


def test_a_loss_not_named_here_still_gets_checked_targets():
    X, y = _regression_data()
    model, opt = _fresh()
    history = fit(model, nn.L1Loss(), opt, X, y, batches=[[np.arange(8)]], task="regression")
    assert len(history.losses) == 1 and history.train_acc == [None]
    for bad, error, match in [
        (np.zeros((40, 1), bool), TypeError, "L1Loss needs float targets, got y of dtype bool"),
        (np.full((40, 1), np.nan), ValueError, "y contains 40 NaN or inf value"),
    ]:
        with pytest.raises(error, match=match):
            fit(model, nn.L1Loss(), opt, X, bad, batches=[[np.arange(8)]], task="regression")
