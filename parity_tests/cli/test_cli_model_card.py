"""``model.json`` as a typed frozen record: the layout train writes, the round trip, and a
clear error naming the file and the field for every tampered field."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest
from cli_support import assert_one_line_error, cli, write_csv

from parity.cli.model_card import MODEL_FORMAT, ModelCard, read_card
from parity.data import load_dataset
from parity.spec import RunSpec

V1_KEYS = ["format", "version", "task", "head", "loss", "in_features", "hidden", "out_features",
           "activations", "output_activation", "dtype", "features", "target", "n_classes",
           "classes", "standardize", "weights", "data", "training", "test_metric",
           "weights_sha256"]  # fmt: skip  (weights_sha256: optional, added in version 1)


@pytest.fixture(scope="module")
def card():
    spec = RunSpec(task="regression", hidden=(8, 4), activation=("relu", "tanh"), epochs=2)
    data = load_dataset("sine", seed=0)
    return ModelCard.from_training(
        spec, data, source={"dataset": "sine"}, target="y", device="cpu",
        weights={"scratch": "weights_scratch.npz"}, test_metric={"scratch": 0.25},
    )  # fmt: skip


def test_card_round_trips_in_the_v1_layout(card):
    text = card.to_json()
    raw = json.loads(text)
    assert list(raw) == V1_KEYS and text.endswith("}\n")
    assert raw["format"] == MODEL_FORMAT and raw["version"] == 1
    assert raw["hidden"] == [8, 4] and raw["activations"] == ["relu", "tanh"]
    assert raw["training"]["device"] == "cpu" and "task" not in raw["training"]
    again = ModelCard.from_json(text, "somewhere/model.json")
    assert again == card and again.to_json() == text
    assert card.network.hidden == (8, 4) and card.source == "sine"
    assert card.weights_file("torch") == "weights_scratch.npz"  # the other side's file
    del raw["weights_sha256"]  # a card written before the digests: read as it is
    assert ModelCard.from_json(json.dumps(raw)).weights_sha256 == {}


def test_card_is_frozen(card):
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.task = "binary"  # type: ignore[misc]
    with pytest.raises(TypeError):
        card.weights["torch"] = "x.npz"  # type: ignore[index]


def test_standardization_maps_inputs_and_targets(card):
    std = card.standardize
    X = np.array([[0.5], [-1.0]])
    expected = (X - np.asarray(std.x_mean)) / np.asarray(std.x_std)
    np.testing.assert_array_equal(std.inputs(X, "float32"), expected.astype(np.float32))
    pred = np.array([0.0, 1.0])
    np.testing.assert_array_equal(std.target(pred), pred * std.y_std + std.y_mean)


TAMPERED = {
    "not-json": (None, "not valid JSON"),
    "no-format": ({"format": "other"}, "not an nn-parity model description"),
    "missing": ({"hidden": ...}, "missing hidden"),
    "version": ({"version": 2}, "model format version 2; this nn-parity reads version 1"),
    "hidden-text": ({"hidden": ["8", 4]}, "hidden must be a list of positive integers"),
    "hidden-zero": ({"hidden": [0, 4]}, "hidden must be a list of positive integers"),
    "activation": ({"activations": ["swish", "tanh"]}, "activations must be one of"),
    "activations-count": ({"activations": ["relu"]}, "per hidden layer (2)"),
    "task": ({"task": "ranking"}, "task must be one of regression, binary, multiclass"),
    "dtype": ({"dtype": "float16"}, "dtype must be one of float32, float64"),
    "in-features-bool": ({"in_features": True}, "in_features must be an integer >= 1"),
    "features": ({"features": ["a", "b"]}, "2 feature names for 1 inputs"),
    "x-mean": ({"standardize": {"x_mean": [], "x_std": [1.0]}},
               "standardize.x_mean must be 1 finite numbers"),
    "x-std": ({"standardize": {"x_mean": [0.0], "x_std": [0.0]}},
              "standardize.x_std must be 1 positive finite numbers"),
    "y-std": ({"standardize": {"x_mean": [0.0], "x_std": [1.0], "y_mean": 0, "y_std": -1}},
              "y_std must be finite numbers (y_std > 0) or null"),
    "no-weights": ({"weights": {}}, "lists no weights files"),
    "weights-type": ({"weights": {"scratch": 3}}, "weights must be an object of weights file"),
    "output-activation": ({"output_activation": "relu"}, "output_activation must be one of"),
    "target": ({"target": 3}, "target must be a column name or null"),
    "classes-regression": ({"classes": ["a", "b"]}, "classes must be null for a regression"),
    "classes-type": ({"task": "binary", "n_classes": 2, "classes": ["a", True]},
                     "classes must be a list of class labels (strings or integers)"),
    "classes-count": ({"task": "binary", "n_classes": 2, "classes": ["a", "a"]},
                      "classes must be 2 distinct class labels (one per class)"),
    "classes-unsorted": ({"task": "binary", "n_classes": 2, "classes": [1, 0]},
                         "classes must be all integers or all strings, in sorted order"),
    "classes-text-unsorted": ({"task": "binary", "n_classes": 2, "classes": ["yes", "no"]},
                              "in sorted order as train writes them"),
    "classes-mixed": ({"task": "binary", "n_classes": 2, "classes": [0, "1"]},
                      "classes must be all integers or all strings"),
    "features-repeated": ({"in_features": 2, "features": ["x0", "x0"]},
                          "features name column(s) ['x0'] more than once"),
}  # fmt: skip


def _tampered(card, change):
    if change is None:
        return "{not json"
    raw = json.loads(card.to_json())
    for key, value in change.items():
        if value is ...:
            del raw[key]
        else:
            raw[key] = value
    return json.dumps(raw)


@pytest.mark.parametrize("case", TAMPERED, ids=list(TAMPERED))
def test_tampered_field_names_the_file(case, card):
    change, message = TAMPERED[case]
    with pytest.raises(ValueError, match=r"^runs/x/model\.json: ") as err:
        ModelCard.from_json(_tampered(card, change), "runs/x/model.json")
    assert message in str(err.value)


def test_from_json_wants_text():
    with pytest.raises(TypeError, match="text must be a str"):
        ModelCard.from_json(b"{}")  # type: ignore[arg-type]


def test_read_card_names_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model directory"):
        read_card(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match=r"has no model\.json"):
        read_card(tmp_path)
    (tmp_path / "model.json").write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match=r"model\.json: not valid JSON"):
        read_card(tmp_path)


def test_predict_on_a_tampered_card_is_one_line_naming_the_file(tmp_path, capsys):
    model = tmp_path / "m"
    assert cli(capsys, "train", "--dataset", "xor", "--epochs", 1, "--backend", "scratch",
               "--out", model)[0] == 0  # fmt: skip
    tampered = tmp_path / "tampered"
    shutil.copytree(model, tampered)
    raw = json.loads((tampered / "model.json").read_text())
    raw["activations"] = ["swish"]
    (tampered / "model.json").write_text(json.dumps(raw))
    points = write_csv(tmp_path / "p.csv", ["x0", "x1"], [[0.1, 0.2]])
    status, out, err = cli(capsys, "predict", "--model", tampered, "--data", points)
    assert_one_line_error(status, out, err, f"{tampered / 'model.json'}: activations must be")
