"""fit / predict / predict_proba / History, learning XOR, and bit-exact determinism."""

from __future__ import annotations

import numpy as np
import pytest

import scratch

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])

# head -> (out_features, output_activation, loss, task, target maker)
HEADS = {
    "regression": (2, None, "mse", "regression", lambda X: np.c_[X[:, 0] * X[:, 1], X[:, 2]]),
    "binary": (1, None, "bce_with_logits", "binary", lambda X: (X[:, :1] > 0) * 1.0),
    "binary_unfused": (1, "sigmoid", "bce", "binary", lambda X: (X[:, :1] > 0) * 1.0),
    "multiclass": (3, None, "cross_entropy", "multiclass", lambda X: X.argmax(axis=1)),
    "softmax_mse": (3, "softmax", "mse", "multiclass", lambda X: np.eye(3)[X.argmax(axis=1)]),
}


def train(
    head: str,
    *,
    seed: int = 0,
    n: int = 10,
    batch_size: int = 3,
    epochs: int = 4,
    validate: bool = False,
) -> tuple[scratch.History, scratch.Sequential, np.ndarray]:
    out, output_activation, loss, task, make_y = HEADS[head]
    X = np.random.default_rng(100).normal(size=(n + 5, 3))
    y = make_y(X)
    model = scratch.build_model(
        3, [5], out, "tanh", output_activation, rng=np.random.default_rng(seed)
    )
    history = scratch.fit(
        model,
        scratch.make_loss(loss),
        scratch.Adam(model.parameters(), lr=0.01),
        X[:n],
        y[:n],
        batch_size=batch_size,
        epochs=epochs,
        seed=seed,
        task=task,
        **({"X_val": X[n:], "y_val": y[n:]} if validate else {}),
    )
    return history, model, X


# ---------------------------------------------------------------- History


@pytest.mark.parametrize("validate", [False, True], ids=["no-val", "val"])
@pytest.mark.parametrize(
    ("n", "batch_size", "epochs", "steps_per_epoch"),
    [(10, 3, 4, 4), (10, 10, 2, 1), (10, 1, 1, 10), (1, 4, 3, 1)],
    ids=["10-by-3", "full-batch", "batch-1", "one-sample"],
)
@pytest.mark.parametrize("head", HEADS)
def test_history_lengths(head, n, batch_size, epochs, steps_per_epoch, validate):
    history, _, _ = train(head, n=n, batch_size=batch_size, epochs=epochs, validate=validate)
    assert len(history.losses) == epochs * steps_per_epoch
    assert len(history.train_loss) == len(history.train_acc) == epochs
    assert len(history.val_loss) == len(history.val_acc) == (epochs if validate else 0)
    values = history.losses + history.train_loss + history.val_loss
    assert all(isinstance(v, float) and np.isfinite(v) for v in values)
    accuracies = history.train_acc + history.val_acc
    if HEADS[head][3] == "regression":
        assert all(a is None for a in accuracies)
    else:
        assert all(isinstance(a, float) and 0 <= a <= 1 for a in accuracies)


def test_epoch_metrics_are_measured_on_the_whole_set(check_array):
    history, model, X = train("multiclass", validate=True)
    y = HEADS["multiclass"][4](X)
    loss, acc = scratch.evaluate(model, scratch.CrossEntropyLoss(), X[10:], y[10:], "multiclass")
    assert history.val_loss[-1] == loss and history.val_acc[-1] == acc
    labels = scratch.predict(model, X[:10], "multiclass")
    assert history.train_acc[-1] == np.mean(labels == y[:10])


def test_on_backward_and_progress_hooks():
    seen: list[tuple[str, int, int]] = []
    model = scratch.build_model(2, [3], 1, "tanh", rng=np.random.default_rng(0))
    scratch.fit(
        model,
        scratch.BCEWithLogitsLoss(),
        scratch.SGD(model.parameters(), lr=0.1),
        XOR_X,
        XOR_Y,
        batches=[[np.array([0, 1]), np.array([2, 3])], [np.array([3, 2, 1, 0])]],
        on_backward=lambda step, m: seen.append(("grad", step, int(np.any(m[0].weight.grad)))),
        progress=lambda step, total: seen.append(("progress", step, total)),
    )
    assert seen == [
        ("grad", 0, 1),
        ("progress", 1, 3),
        ("grad", 1, 1),
        ("progress", 2, 3),
        ("grad", 2, 1),
        ("progress", 3, 3),
    ]


# ---------------------------------------------------------------- inference


@pytest.mark.parametrize("head", HEADS)
def test_predict_and_predict_proba(check_array, head):
    _, model, X = train(head)
    _, output_activation, _, task, _ = HEADS[head]
    raw = model(X)
    if task == "regression":
        check_array(scratch.predict(model, X, "regression"), raw)  # (N, out) values
        return
    proba = scratch.predict_proba(model, X, task)
    if task == "binary":
        expected = raw if output_activation == "sigmoid" else scratch.sigmoid(raw)
        check_array(proba, expected)  # (N, 1) P(class 1), never a double sigmoid
        labels = (expected[:, 0] > 0.5).astype(np.int64)
    else:
        expected = raw if output_activation == "softmax" else scratch.softmax(raw)
        check_array(proba, expected)  # (N, C)
        check_array(proba.sum(axis=1), np.ones(len(X)), rtol=1e-12)
        labels = expected.argmax(axis=1)
    check_array(scratch.predict_proba(model, X), proba)  # task inferred from the width
    check_array(scratch.predict(model, X, task), labels)


def test_sigmoid_head_is_not_double_sigmoided(check_array):
    """The same weights with and without an output Sigmoid give the same probabilities."""
    logits = scratch.build_model(3, [4], 1, "relu", rng=np.random.default_rng(0))
    probs = scratch.build_model(3, [4], 1, "relu", "sigmoid", rng=np.random.default_rng(1))
    probs.load_state_dict(logits.state_dict())
    X = np.random.default_rng(2).normal(size=(6, 3)) * 3
    p = scratch.predict_proba(probs, X)
    check_array(p, scratch.predict_proba(logits, X), rtol=1e-15)
    assert p.shape == (6, 1) and (p > 0).all() and (p < 1).all()
    assert not np.allclose(p, scratch.sigmoid(p))  # a double sigmoid would be visible


# ---------------------------------------------------------------- learning


def test_xor_is_learned_with_one_tanh_hidden_layer():
    model = scratch.build_model(2, [8], 1, "tanh", rng=np.random.default_rng(0))
    history = scratch.fit(
        model,
        scratch.BCEWithLogitsLoss(),
        scratch.Adam(model.parameters(), lr=0.05),
        XOR_X,
        XOR_Y,
        batch_size=4,
        epochs=300,
        seed=0,
    )
    assert history.train_acc[-1] == 1.0
    assert history.train_loss[-1] < 0.05 < history.train_loss[0]
    assert scratch.predict(model, XOR_X, "binary").tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize(
    "optimizer",
    [lambda ps: scratch.Adam(ps, lr=0.05), lambda ps: scratch.SGD(ps, lr=0.5, momentum=0.9)],
    ids=["adam", "sgd-momentum"],
)
def test_xor_is_not_linearly_separable(optimizer):
    """Without a hidden layer (logistic regression) at most 3 of the 4 points are right."""
    best = 0.0
    for seed in range(4):
        model = scratch.build_model(2, [], 1, rng=np.random.default_rng(seed))
        history = scratch.fit(
            model,
            scratch.BCEWithLogitsLoss(),
            optimizer(model.parameters()),
            XOR_X,
            XOR_Y,
            batch_size=4,
            epochs=150,
            seed=seed,
        )
        best = max(best, *history.train_acc)
    assert best <= 0.75


# ---------------------------------------------------------------- determinism


@pytest.mark.parametrize("head", HEADS)
def test_same_seed_is_bit_identical_other_seed_differs(check_array, head):
    (h1, m1, _), (h2, m2, _), (h3, m3, _) = (train(head, seed=s, validate=True) for s in (7, 7, 8))
    for field in ("losses", "train_loss", "val_loss"):
        check_array(np.array(getattr(h2, field)), np.array(getattr(h1, field)))
    assert h1.train_acc == h2.train_acc and h1.val_acc == h2.val_acc
    for key, value in m2.state_dict().items():
        check_array(value, m1.state_dict()[key])
    assert not np.array_equal(h3.losses, h1.losses)
    assert not np.array_equal(m3.state_dict()["0.weight"], m1.state_dict()["0.weight"])
