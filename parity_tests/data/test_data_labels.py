"""parity.data.labels through parity.data.files: class labels as users have them (text, any
integers), mapped to 0..K-1 for training and back through the same classes for prediction."""

import json

import numpy as np
import pytest

from parity.data import split_dataset
from parity.data.files import load_training, read_features

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def csv_file(path, header, rows):
    path.write_text("\n".join([",".join(header), *(",".join(map(str, r)) for r in rows)]) + "\n")
    return path


# (id, labels in file order, task given, task read, classes, note expected)
LABELS = [
    ("zero-based", [0, 1, 1, 0], None, "binary", (0, 1), False),
    ("plus-minus-one", [-1, 1, 1, -1], None, "binary", (-1, 1), False),
    ("one-to-k", [1, 2, 3, 2], None, "multiclass", (1, 2, 3), False),
    ("gap", [0, 3, 1, 3], None, "multiclass", (0, 1, 3), True),
    ("sparse-ints", [11, 3, 7, 3], None, "multiclass", (3, 7, 11), True),
    ("odd-binary", [3, 7, 3, 7], None, "binary", (3, 7), True),
    ("negative-forced", [-1, 0, 1, 0], "multiclass", "multiclass", (-1, 0, 1), False),
    ("float-ints", ["1.0", "2.0", "1.0", "2.0"], None, "binary", (1, 2), False),
    ("iris-text", ["virginica", "setosa", "versicolor", "setosa"], None, "multiclass",
     ("setosa", "versicolor", "virginica"), False),
    ("code-point-order", ["b", "B", "a", "10", "9"], None, "multiclass",
     ("10", "9", "B", "a", "b"), False),
    ("mixed-text-and-numbers", ["1", "2", "x", "1"], None, "multiclass", ("1", "2", "x"), False),
    ("text-binary", ["yes", "no", "no", "yes"], None, "binary", ("no", "yes"), False),
    ("unicode", ["Äpfel", "Birnen", "Äpfel", "Birnen"], None, "binary", ("Birnen", "Äpfel"), False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("labels", "task", "read", "classes", "note"),
    [case[1:] for case in LABELS],
    ids=[case[0] for case in LABELS],
)
def test_labels_map_to_sorted_class_indices(tmp_path, labels, task, read, classes, note):
    path = csv_file(tmp_path / "t.csv", ["a", "y"], list(enumerate(labels)))
    data = load_training(path, target="y", task=task)
    assert (data.task, data.classes) == (read, classes)
    assert all(type(c) in (int, str) for c in data.classes)  # JSON-friendly, no numpy scalars
    json.dumps(data.classes)
    assert data.y.dtype == np.int64 and data.y.shape == (len(labels),)
    # the mapping: classes[index] is the label as written
    written = [int(float(v)) if isinstance(classes[0], int) else v for v in labels]
    assert [data.classes[k] for k in data.y] == written
    assert (data.note is not None) == note
    if note:
        assert "pass --head regression (task='regression')" in data.note
        assert str(path) in data.note


def test_pulse_rates_get_a_regression_hint_not_a_refusal(tmp_path):
    rng = np.random.default_rng(0)
    pulse = rng.choice(np.arange(58, 97, 3), size=60)
    path = tmp_path / "pulse.npz"
    np.savez(path, age=rng.normal(size=60), pulse=pulse)
    data = load_training(path, target="pulse")
    assert data.task == "multiclass" and data.classes == tuple(int(v) for v in np.unique(pulse))
    assert f"target 'pulse' holds {len(data.classes)} distinct integers" in data.note
    assert load_training(path, target="pulse", task="regression").note is None


def test_npz_labels_text_bool_and_ints(tmp_path):
    path = tmp_path / "t.npz"
    X = np.arange(8.0).reshape(4, 2)
    np.savez(path, X=X, y=np.array(["cat", "dog", "dog", "cat"]))
    assert load_training(path, target="y").classes == ("cat", "dog")
    np.savez(path, X=X, y=np.array([True, False, True, False]))
    data = load_training(path, target="y")
    assert (data.task, data.classes, data.y.tolist()) == ("binary", (0, 1), [1, 0, 1, 0])
    np.savez(path, X=X, y=np.array([5, 9, 9, 5], dtype=np.uint8))
    assert load_training(path, target="y").classes == (5, 9)


def test_classes_carry_through_split_dataset(tmp_path):
    rows = [(i, ["setosa", "versicolor", "virginica"][i % 3]) for i in range(12)]
    data = load_training(csv_file(tmp_path / "t.csv", ["a", "species"], rows), target="species")
    ds = split_dataset("t.csv", data.task, data.X, data.y, classes=data.classes)
    assert ds.classes == ("setosa", "versicolor", "virginica") and ds.n_classes == 3
    default = split_dataset("t.csv", data.task, data.X, data.y)
    assert default.classes == (0, 1, 2)


# ---------------------------------------------------------------------------------------------
# prediction: the target mapped through the training's classes


@pytest.mark.parametrize(
    ("cells", "classes", "expected"),
    [
        (["virginica", "setosa", ""], ("setosa", "versicolor", "virginica"), [2, 0, np.nan]),
        (["2", "1.0", "3"], (1, 2, 3), [1, 0, 2]),
        (["-1", "1", "NA"], (-1, 1), [0, 1, np.nan]),
        (["7", "3", "11"], (3, 7, 11), [1, 0, 2]),
        (["1", "x", "2"], ("1", "2", "x"), [0, 2, 1]),
    ],
    ids=["text", "ints", "plus-minus", "sparse", "mixed-as-text"],
)
def test_read_features_maps_the_target(tmp_path, cells, classes, expected):
    path = csv_file(tmp_path / "p.csv", ["id", "a", "y"], [(f"r{i}", i, c) for i, c in
                                                           enumerate(cells)])  # fmt: skip
    X, y = read_features(path, ["a"], "y", classes=classes)
    np.testing.assert_array_equal(X, [[0.0], [1.0], [2.0]])
    np.testing.assert_array_equal(y, expected)


def test_read_features_maps_npz_targets(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, X=np.ones((3, 2)), y=np.array([7.0, 3.0, 11.0]))
    np.testing.assert_array_equal(read_features(path, ["a", "b"], "y", classes=(3, 7, 11))[1],
                                  [1, 0, 2])  # fmt: skip
    np.savez(path, X=np.ones((3, 2)), y=np.array(["b", "a", "b"]))
    np.testing.assert_array_equal(read_features(path, ["a", "b"], "y", classes=("a", "b"))[1],
                                  [1, 0, 1])  # fmt: skip


@pytest.mark.parametrize(
    ("cells", "classes", "message"),
    [
        (["virginica", "rose"], ("setosa", "virginica"),
         r"column 'y' has label\(s\) \['rose'\] not seen in training \(first at line 3\); the "
         r"model's classes are \['setosa', 'virginica'\]"),
        (["1", "4", "5", "4"], (1, 2, 3), r"label\(s\) \['4', '5'\] not seen in training "
         r"\(first at line 3\); the model's classes are \[1, 2, 3\]"),
        (["0.5", "1"], (0, 1), r"label\(s\) \['0\.5'\] not seen"),
        (["0", "1"], ("a", "b"), r"label\(s\) \['0', '1'\] not seen"),
    ],
    ids=["text", "ints-1-to-k-model", "fraction", "numbers-for-text-model"],
)  # fmt: skip
def test_read_features_refuses_labels_training_never_saw(tmp_path, cells, classes, message):
    path = csv_file(tmp_path / "p.csv", ["a", "y"], [(i, c) for i, c in enumerate(cells)])
    with pytest.raises(ValueError, match=message) as info:
        read_features(path, ["a"], "y", classes=classes)
    assert str(path) in str(info.value)
