"""``nn-parity train`` options as users mistype them: one line naming the option (never the
Python API's name), the ``--help`` hint, exit status 2, before any file is read or written;
``--data`` that is not a regular file; and a training run that diverges: one line saying where
and what to lower, exit status 1, the earlier run kept."""

from __future__ import annotations

import json
import os

import pytest
from cli_support import assert_one_line_error, cli, leftovers, snapshot, write_csv

HINT = "(see nn-parity train --help)"

OPTION_ERRORS = {  # id: (options, message)
    "adam-momentum": (["--optimizer", "adam", "--momentum", "0.9"],
                      "--momentum applies to --optimizer sgd only, not adam"),
    "hidden-empty": (["--hidden", ""], "--hidden '' is empty; give sizes like 16,16, or 'none'"),
    "hidden-blank": (["--hidden", " "], "--hidden ' ' is empty"),
    "hidden-zero": (["--hidden", "0"], "--hidden must be comma-separated positive sizes"),
    "hidden-gap": (["--hidden", "16,,16"], "--hidden must be comma-separated positive sizes"),
    "lr-zero": (["--lr", "0"], "--lr must be a finite number > 0, got 0.0"),
    "lr-negative": (["--lr", "-1"], "--lr must be a finite number > 0, got -1.0"),
    "lr-nan": (["--lr", "nan"], "--lr must be a finite number > 0, got nan"),
    "lr-inf": (["--lr", "inf"], "--lr must be a finite number > 0, got inf"),
    "momentum-negative": (["--momentum", "-0.5"], "--momentum must be in [0, 1), got -0.5"),
    "momentum-nan": (["--momentum", "nan"], "--momentum must be in [0, 1), got nan"),
    "momentum-one": (["--momentum", "1"], "--momentum must be in [0, 1), got 1.0"),
    "momentum-five": (["--momentum", "5"], "--momentum must be in [0, 1), got 5.0"),
    "epochs-zero": (["--epochs", "0"], "--epochs must be an integer >= 1, got 0"),
    "batch-size-negative": (["--batch-size", "-4"], "--batch-size must be an integer >= 1"),
    "head-unknown": (["--head", "ranking"], "--head: unknown head 'ranking'; valid: regression"),
    "head-for-another-task": (["--head", "regression"],
                              "--head 'regression' is for regression tasks, but the data poses "
                              "a binary task; heads for binary: binary, binary_bce"),
    "activation-unknown": (["--activation", "swish"],
                           "--activation: unknown activation 'swish'; valid: "),
    "activation-count": (["--hidden", "4,4", "--activation", "relu,tanh,relu"],
                         "--activation 'relu,tanh,relu' has 3 names for 2 hidden layers "
                         "(--hidden 4,4)"),
}  # fmt: skip


@pytest.mark.parametrize("case", OPTION_ERRORS, ids=list(OPTION_ERRORS))
def test_option_errors_name_the_option_and_the_help(case, tmp_path, capsys):
    options, message = OPTION_ERRORS[case]
    out = tmp_path / "out"
    status, stdout, err = cli(capsys, "train", "--dataset", "xor", *options, "--out", out)
    assert_one_line_error(status, stdout, err, message)
    assert err.rstrip().endswith(HINT)
    assert stdout == "" and list(tmp_path.iterdir()) == []  # nothing trained, nothing made


def test_hidden_none_means_no_hidden_layer(tmp_path, capsys):
    out = tmp_path / "out"
    status, _, err = cli(capsys, "train", "--dataset", "xor", "--hidden", "none", "--epochs", 1,
                         "--backend", "scratch", "--out", out)  # fmt: skip
    assert status == 0, err
    card = json.loads((out / "model.json").read_text())
    assert card["hidden"] == [] and card["activations"] == []


def test_help_documents_hidden_none(capsys):
    with pytest.raises(SystemExit):
        cli(capsys, "train", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "'none' for no hidden layer" in text and "empty value is refused" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [("{dir}", "is a directory; give a .csv or .npz file"),
     ("/dev/null", "/dev/null: is not a regular file"),
     ("{fifo}", "is not a regular file")],
    ids=["directory", "dev-null", "fifo"],
)  # fmt: skip
@pytest.mark.parametrize("command", ["train", "predict"])
def test_data_that_is_not_a_regular_file(command, data, message, old_run, tmp_path, capsys):
    os.mkfifo(tmp_path / "fifo.csv")
    path = data.format(dir=tmp_path, fifo=tmp_path / "fifo.csv")
    output = tmp_path / "preds.csv"
    argv = {
        "train": ["train", "--data", path, "--target", "t", "--out", tmp_path / "out"],
        "predict": ["predict", "--model", old_run, "--data", path, "--output", output],
    }[command]
    status, stdout, err = cli(capsys, *argv)
    assert_one_line_error(status, stdout, err, message)
    assert not (tmp_path / "out").exists() and not output.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("backend", "side"),
    [("scratch", "scratch"), ("torch", "torch"), ("both", "scratch")],
    ids=["scratch", "torch", "both"],
)
def test_a_diverged_run_says_where_and_what_to_lower_and_keeps_nothing(
    backend, side, old_run, tmp_path, capsys
):
    before = snapshot(old_run)
    status, stdout, err = cli(capsys, "train", "--dataset", "diabetes", "--activation", "relu",
                              "--lr", "1e6", "--epochs", 3, "--backend", backend,
                              "--out", old_run)  # fmt: skip
    assert status == 1
    last = err.splitlines()[-1]
    assert last.startswith(f"nn-parity: error: {side} diverged at step "), last
    assert last.endswith("; lower --lr (now 1e+06)"), last
    assert " (loss " in last
    assert "Traceback" not in err and "RuntimeWarning" not in err and "saved" not in stdout
    assert snapshot(old_run) == before
    assert leftovers(tmp_path) == []


def test_a_diverged_run_names_the_lr_of_the_command_line(old_run, tmp_path, capsys):
    """A csv of huge targets, SGD with momentum: still one line that names ``--lr``."""
    rows = [[i, (i % 7) * 1e8 + 0.5] for i in range(40)]
    data = write_csv(tmp_path / "big.csv", ["a", "y"], rows)
    status, _, err = cli(capsys, "train", "--data", data, "--target", "y", "--lr", "50",
                         "--momentum", "0.9", "--epochs", 5, "--backend", "scratch",
                         "--out", tmp_path / "out")  # fmt: skip
    assert status == 1, err
    assert err.splitlines()[-1].endswith("; lower --lr (now 50)")
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []
