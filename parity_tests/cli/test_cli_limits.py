"""Values past what the library can hold, refused as one ``nn-parity: error:`` line (exit 2)
instead of a NumPy traceback: a seed of 2**32 or more, a network whose weights alone would
not fit in memory."""

from __future__ import annotations

import pytest
from cli_support import assert_one_line_error, cli

CASES = {  # id: (command line after the command name, message)
    "train-seed-2**32": (["train", "--dataset", "moons", "--seed", "4294967296"],
                         "argument --seed: expected a seed, an integer in 0 .. 2**32 - 1 "
                         "(4294967295), got '4294967296' (see nn-parity train --help)"),
    "report-seed-2**70": (["report", "--seed", str(2**70)],
                          "argument --seed: expected a seed, an integer in 0 .. 2**32 - 1"),
    # defect 19: refused by the estimate of the whole run, before the weights-alone limit
    "train-hidden-1e10": (["train", "--dataset", "moons", "--hidden", "10000000000"],
                          "this run needs about 182560.0 GB of memory (weights, gradients"),
    "train-hidden-2x1e5": (["train", "--dataset", "moons", "--hidden", "100000,100000"],
                           "this run needs about 643.6 GB of memory"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=str)
def test_values_past_the_limits_are_one_line_errors(case, tmp_path, capsys):
    argv, message = CASES[case]
    try:
        status, _, err = cli(capsys, *argv, "--out", tmp_path / "out")
    except SystemExit as stop:  # argparse's own option errors exit from inside the parser
        status, err = stop.code, capsys.readouterr().err
    assert_one_line_error(status, "", err, message)
    assert not (tmp_path / "out").exists()
