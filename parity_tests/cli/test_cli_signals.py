"""``nn-parity train`` in real processes: SIGTERM and Ctrl-C mid-training leave the earlier
run exactly as it was and nothing beside it; a second command on the same ``--out`` is refused
at once while the first holds it, and the first then completes. The training subprocess is
held after its first step (``cli_support.HELD_TRAIN``): the tests wait for its word, never on
a timer."""

from __future__ import annotations

import json
import signal

import pytest
from cli_support import (
    assert_one_line_error,
    cli,
    finish,
    leftovers,
    snapshot,
    start_held_train,
)

TRAIN = ("--dataset", "xor", "--epochs", 3, "--hidden", 3, "--backend", "scratch")


@pytest.mark.parametrize(
    ("signum", "status", "word"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_mid_training_keeps_the_earlier_run(signum, status, word, old_run, tmp_path):
    before = snapshot(old_run)
    proc = start_held_train(tmp_path / "gate", *TRAIN, "--out", old_run)
    staged = leftovers(tmp_path)  # mid-run: the lock, and the run being staged beside --out
    assert staged[0] == ".run.nn-parity-tmp-" + staged[0][-8:] and len(staged) == 2
    assert staged[1] == ".run.nn-parity.lock"
    proc.send_signal(signum)
    code, stdout, err = finish(proc)
    assert code == status, err
    assert err.splitlines()[-1] == f"nn-parity: {word}; nothing was written"
    assert "Traceback" not in err and "saved" not in stdout
    assert snapshot(old_run) == before
    assert leftovers(tmp_path) == []


def test_a_second_train_into_the_same_out_is_refused_at_once(old_run, tmp_path, capsys):
    gate = tmp_path / "gate"
    first = start_held_train(gate, *TRAIN, "--out", old_run)
    status, stdout, err = cli(capsys, "train", "--dataset", "moons", "--backend", "torch",
                              "--out", old_run)  # fmt: skip
    message = f"--out '{old_run}' is in use by another nn-parity command (pid {first.pid})"
    assert_one_line_error(status, stdout, err, message)
    assert stdout == ""  # refused before loading or training anything
    gate.touch()  # let the first one go on
    code, stdout, err = finish(first)
    assert code == 0, err
    assert f"saved history.json, model.json, training_curve.png, weights_scratch.npz in " \
           f"{old_run}" in stdout  # fmt: skip
    card = json.loads((old_run / "model.json").read_text())
    assert card["hidden"] == [3] and card["training"]["epochs"] == 3  # the first one's run
    assert (old_run / "notes.txt").read_text() == "mine"
    assert leftovers(tmp_path) == []
