"""``nn-parity train`` and ``predict`` on class labels as users have them: text and any
integers are trained on as classes 0..K-1, stored in model.json, and predict maps the file's
target through them and prints the original labels."""

from __future__ import annotations

import csv
import io
import json

import pytest
from cli_support import assert_one_line_error, cli, write_csv

LABELLINGS = {  # id: label of class 0, 1, 2 (rows are labelled by cluster)
    "text": ["setosa", "versicolor", "virginica"],
    "one-to-k": [1, 2, 3],
    "sparse": [3, 7, 11],
}


def clusters(labels, n=36):
    """Three well-separated clusters in 2-D, labelled ``labels[k]``."""
    return [[10 * k + (i % 5) * 0.1, -10 * k + (i % 3) * 0.1, labels[k]]
            for i in range(n) for k in [i % 3]]  # fmt: skip


@pytest.mark.parametrize("labelling", LABELLINGS, ids=list(LABELLINGS))
def test_labels_round_trip_through_model_json(labelling, tmp_path, capsys):
    labels = LABELLINGS[labelling]
    data = write_csv(tmp_path / "flowers.csv", ["a", "b", "species"], clusters(labels))
    out = tmp_path / "model"
    status, _, err = cli(capsys, "train", "--data", data, "--target", "species", "--backend",
                         "scratch", "--epochs", 40, "--lr", 0.5, "--out", out)  # fmt: skip
    assert status == 0, err
    card = json.loads((out / "model.json").read_text())
    assert (card["task"], card["classes"]) == ("multiclass", labels)
    assert ("pass --head regression" in err) == (labelling == "sparse")
    status, stdout, err = cli(capsys, "predict", "--model", out, "--data", data)
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert list(rows[0]) == ["prediction", *(f"p_{label}" for label in labels)]
    assert [r["prediction"] for r in rows] == [str(row[2]) for row in clusters(labels)]
    assert "accuracy over 36 rows: 1.0000" in err


def test_predict_refuses_a_label_training_never_saw(tmp_path, capsys):
    data = write_csv(tmp_path / "flowers.csv", ["a", "b", "species"],
                     clusters(LABELLINGS["text"]))  # fmt: skip
    out = tmp_path / "model"
    assert cli(capsys, "train", "--data", data, "--target", "species", "--backend", "scratch",
               "--epochs", 1, "--out", out)[0] == 0  # fmt: skip
    new = write_csv(tmp_path / "new.csv", ["id", "b", "a", "species"],
                    [["r1", 0.0, 0.0, "setosa"], ["r2", 1.0, 1.0, "rose"]])  # fmt: skip
    output = tmp_path / "preds.csv"
    status, stdout, err = cli(capsys, "predict", "--model", out, "--data", new, "--output",
                              output)  # fmt: skip
    assert_one_line_error(status, stdout, err, "column 'species' has label(s) ['rose'] not seen "
                          "in training (first at line 3)")  # fmt: skip
    assert not output.exists()
