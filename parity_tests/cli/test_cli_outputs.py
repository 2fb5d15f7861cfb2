"""Where ``train``, ``predict`` and ``report`` write: a run directory is one transaction (all
new or all old, never mixed), an output is checked writable before any work and never one of
the inputs, files get the usual permissions, and the JSON artifacts are strict."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import stat
import tempfile
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from cli_support import (
    assert_one_line_error,
    cli,
    leftovers,
    snapshot,
    strict_json,
    write_csv,
)

from parity._util.publish import locked
from parity.cli.model_card import ModelCard

RUN_NAMES = [".nn-parity.json", "history.json", "model.json", "training_curve.png"]


def train(capsys, out, *extra):
    return cli(capsys, "train", "--dataset", "xor", "--epochs", 1, "--hidden", 4, "--out", out,
               *extra)  # fmt: skip


# ------------------------------------------------------------------ one transaction


def test_a_run_replaces_an_earlier_one_as_a_whole(old_run, tmp_path, capsys):
    """The old bug: training_curve.png was a directory in the earlier run, one rename failed
    and model.json was new while the weights were old. Now the run is swapped in whole."""
    (old_run / "training_curve.png").unlink()
    (old_run / "training_curve.png").mkdir()
    (old_run / "training_curve.png" / "inside").write_text("old")
    status, stdout, err = train(capsys, old_run, "--backend", "torch")
    assert status == 0, err
    assert sorted(p.name for p in old_run.iterdir()) == sorted(
        [*RUN_NAMES, "notes.txt", "weights_torch.npz"]
    )
    assert (old_run / "training_curve.png").is_file()
    assert (old_run / "notes.txt").read_text() == "mine"  # the user's file is kept
    assert json.loads((old_run / "model.json").read_text())["weights"] == {
        "torch": "weights_torch.npz"
    }
    assert list(json.loads((old_run / "history.json").read_text())) == ["torch"]
    assert "removed weights_scratch.npz: left from an earlier run" in stdout
    assert leftovers(tmp_path) == []


def test_a_failed_swap_leaves_the_earlier_run_whole(old_run, tmp_path, capsys, monkeypatch):
    before = snapshot(old_run)
    real = os.rename

    def failing(src, dst):
        if "nn-parity-tmp-" in os.fspath(src):  # the staged run into place: the disk fails
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(os, "rename", failing)
    status, _, err = train(capsys, old_run, "--backend", "torch")
    assert status == 2  # after training (its progress line first), one line says what failed
    assert err.splitlines()[-1] == (f"nn-parity: error: --out '{old_run}': cannot put the new "
                                    "output in place (Input/output error); the earlier one is "
                                    "unchanged")  # fmt: skip
    assert "nn-parity-tmp" not in err and "Traceback" not in err
    assert snapshot(old_run) == before
    assert leftovers(tmp_path) == []


def test_an_interrupt_during_the_swap_waits_and_says_the_run_was_written(
    old_run, tmp_path, capsys, monkeypatch
):
    real = os.rename

    def interrupted(src, dst):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between the renames
        real(src, dst)

    monkeypatch.setattr(os, "rename", interrupted)
    status, _, err = train(capsys, old_run, "--backend", "torch")
    assert status == 130
    assert err.splitlines()[-1] == f"nn-parity: interrupted after writing {old_run}"
    assert sorted(p.name for p in old_run.glob("weights_*")) == ["weights_torch.npz"]
    assert (old_run / "notes.txt").read_text() == "mine"
    assert leftovers(tmp_path) == []


def _crashed_before_the_swap(run, tmp_path):
    """Killed between the renames: --out missing, the earlier run set aside, staging left."""
    os.rename(run, tmp_path / ".run.nn-parity-old-0000dead")
    (tmp_path / ".run.nn-parity-tmp-0000dead").mkdir()
    (tmp_path / ".run.nn-parity-tmp-0000dead" / "model.json").write_text("half")


def _crashed_while_moving_notes(run, tmp_path):
    """Killed after the swap, while the user's files were moved into the new run."""
    aside = tmp_path / ".run.nn-parity-old-0000dead"
    aside.mkdir()
    os.rename(run / "notes.txt", aside / "notes.txt")
    (aside / "weights_torch.npz").write_text("an earlier run's file: not kept")
    (aside / ".nn-parity.json").write_text(
        '{"format": "nn-parity-output", "command": "train", "files": ["weights_torch.npz"]}'
    )


@pytest.mark.parametrize("crash", [_crashed_before_the_swap, _crashed_while_moving_notes],
                         ids=["before-swap", "while-moving-notes"])  # fmt: skip
def test_leftovers_of_a_killed_run_are_recovered(crash, old_run, tmp_path, capsys):
    crash(old_run, tmp_path)
    status, _, err = train(capsys, old_run, "--backend", "scratch")
    assert status == 0, err
    assert "left by an interrupted command" in err
    assert sorted(p.name for p in old_run.iterdir()) == sorted(
        [*RUN_NAMES, "notes.txt", "weights_scratch.npz"]
    )
    assert (old_run / "notes.txt").read_text() == "mine"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("content", [["notes.txt"], []], ids=["other-files", "empty"])
def test_out_must_be_an_earlier_run_or_empty(content, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    for name in content:
        (out / name).write_text("precious")
    before = snapshot(out)
    status, stdout, err = train(capsys, out, "--backend", "scratch")
    if content:
        assert_one_line_error(status, stdout, err, f"--out '{out}' holds files nn-parity did "
                              "not write ('notes.txt'; no .nn-parity.json)")  # fmt: skip
        assert snapshot(out) == before
    else:
        assert status == 0, err
        assert (out / "model.json").is_file()
    assert leftovers(tmp_path) == []


def test_data_inside_out_is_refused(old_run, tmp_path, capsys):
    data = write_csv(old_run / "table.csv", ["a", "t"], [[i, i % 2] for i in range(10)])
    before = snapshot(old_run)
    status, stdout, err = cli(capsys, "train", "--data", data, "--target", "t", "--out", old_run)
    assert_one_line_error(status, stdout, err, f"--data '{data}' lies inside --out '{old_run}'")
    assert snapshot(old_run) == before


def test_missing_parents_are_made_and_removed_again_on_error(tmp_path, capsys):
    out = tmp_path / "a" / "b" / "run"
    status, stdout, err = cli(capsys, "train", "--dataset", "xor", "--activation", "tanh,relu",
                              "--out", out)  # fmt: skip
    assert_one_line_error(status, stdout, err, "--activation 'tanh,relu' has 2 names")
    assert list(tmp_path.iterdir()) == []  # an option error: refused before anything is made
    status, stdout, err = cli(capsys, "train", "--data", tmp_path / "absent.csv", "--target", "t",
                              "--out", out)  # fmt: skip
    assert_one_line_error(status, stdout, err, "no such file")
    assert list(tmp_path.iterdir()) == []  # a/b was made for the lock, then removed


# ------------------------------------------------------------------ writable, before any work


@contextmanager
def unprivileged():
    """Permission checks as for an ordinary user: root ignores a read-only mode, so drop to
    nobody's effective uid meanwhile (and back)."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture
def read_only_dir():
    """A directory an ordinary user cannot write, under a parent anyone can traverse."""
    root = Path(tempfile.mkdtemp(prefix="nn-parity-ro-"))
    root.chmod(0o755)
    ro = root / "ro"
    ro.mkdir(mode=0o555)
    yield ro
    ro.chmod(0o755)
    shutil.rmtree(root)


UNWRITABLE = {  # id: (path under which to write, why not)
    "proc": ("/proc", "No such file or directory"),
    "sys": ("/sys", "Permission denied"),
    "under-a-file": ("{file}", "Not a directory"),
    "read-only-dir": ("{ro}", "Permission denied"),
}


@pytest.mark.parametrize("case", UNWRITABLE, ids=list(UNWRITABLE))
@pytest.mark.parametrize("command", ["train", "predict", "report"])
def test_unwritable_output_is_refused_before_any_work(
    command, case, old_run, read_only_dir, tmp_path, capsys
):
    import parity.data.files  # noqa: F401  (imported before dropping privileges)

    place, why = UNWRITABLE[case]
    regular = tmp_path / "regular.txt"
    regular.write_text("a file")
    base = place.format(file=regular, ro=read_only_dir)
    points = write_csv(tmp_path / "points.csv", ["x0", "x1"], [[0.1, 0.2]])
    argv = {
        "train": ["train", "--dataset", "xor", "--out", f"{base}/run"],
        "predict": ["predict", "--model", old_run, "--data", points,
                    "--output", f"{base}/preds.csv"],
        "report": ["report", "--quick", "--out", f"{base}/report"],
    }[command]  # fmt: skip
    option = "--output" if command == "predict" else "--out"
    with unprivileged() if case == "read-only-dir" else nullcontext():
        status, stdout, err = cli(capsys, *argv)
    if case == "under-a-file" and command == "predict":
        message = f"--output '{base}/preds.csv': {base} is not a directory"
    else:
        message = f"{option} '{argv[-1]}': cannot write there: cannot create files in {base}"
        message += f" ({why})"
    assert_one_line_error(status, stdout, err, message)
    assert "nn-parity-tmp" not in err and stdout == ""  # no staging path named, no work done
    assert regular.read_text() == "a file" and list(read_only_dir.iterdir()) == []


def test_a_report_into_a_locked_out_is_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "report"
    with locked(out, "--out"):
        status, stdout, err = cli(capsys, "report", "--quick", "--out", out)
    assert_one_line_error(status, stdout, err, f"--out '{out}' is in use by another nn-parity "
                          f"command (pid {os.getpid()})")  # fmt: skip
    assert not out.exists() and leftovers(tmp_path) == []


# ------------------------------------------------------------------ never one of the inputs


@pytest.mark.parametrize(
    "output",
    ["{data}", "{hardlink}", "{symlink}", "{model}/model.json", "{model}/weights_scratch.npz",
     "{model}/history.json", "{weights}"],
    ids=["data", "hard-link-to-data", "symlink-to-data", "model.json", "weights",
         "history.json", "--weights"],
)  # fmt: skip
def test_predict_refuses_to_overwrite_an_input(output, old_run, tmp_path, capsys):
    data = write_csv(tmp_path / "new.csv", ["x0", "x1"], [[0.1, 0.2], [1.0, 0.0]])
    os.link(data, tmp_path / "hard.csv")
    (tmp_path / "sym.csv").symlink_to(data)
    weights = tmp_path / "w.npz"
    shutil.copy(old_run / "weights_scratch.npz", weights)
    links = {"hardlink": tmp_path / "hard.csv", "symlink": tmp_path / "sym.csv"}
    target = output.format(data=data, model=old_run, weights=weights, **links)
    before = {**snapshot(tmp_path), **snapshot(old_run)}
    status, stdout, err = cli(capsys, "predict", "--model", old_run, "--data", data,
                              "--weights", weights, "--output", target)  # fmt: skip
    assert_one_line_error(status, stdout, err, f"--output '{target}' is ")
    assert "writing it would destroy an input; give another --output" in err
    assert {**snapshot(tmp_path), **snapshot(old_run)} == before


def test_predict_keeps_an_existing_output_when_a_later_check_fails(old_run, tmp_path, capsys):
    output = tmp_path / "preds.csv"
    output.write_text("earlier predictions\n")
    bad = write_csv(tmp_path / "bad.csv", ["x0", "x1"], [[0.1, 0.2], [1.0, "nan"]])
    status, stdout, err = cli(capsys, "predict", "--model", old_run, "--data", bad, "--output",
                              output)  # fmt: skip
    assert_one_line_error(status, stdout, err, "feature 'x1' is missing or not finite")
    assert output.read_text() == "earlier predictions\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "preds.csv", "run"]


# ------------------------------------------------------------------ modes and strict JSON


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_outputs_get_the_modes_of_open_and_mkdir(umask, old_run, tmp_path, capsys):
    points = write_csv(tmp_path / "points.csv", ["x0", "x1"], [[0.1, 0.2]])
    previous = os.umask(umask)
    try:
        out = tmp_path / "new" / "run"
        assert train(capsys, out, "--backend", "both")[0] == 0
        assert train(capsys, old_run, "--backend", "scratch")[0] == 0  # a replaced run too
        preds = tmp_path / "preds.csv"
        assert cli(capsys, "predict", "--model", out, "--data", points, "--output", preds)[0] == 0
    finally:
        os.umask(previous)
    files = [*out.iterdir(), *(p for p in old_run.iterdir() if p.name != "notes.txt"), preds]
    assert len(files) == 12  # with each run's .nn-parity.json
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path
    for directory in (out, out.parent, old_run):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o777 & ~umask, directory


def test_artifacts_are_strict_json(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli(capsys, "train", "--dataset", "sine", "--epochs", 2, "--out", out)[0] == 0
    for name in ("model.json", "history.json"):
        assert isinstance(strict_json((out / name).read_text()), dict)


def test_a_non_finite_metric_is_written_as_null(old_run):
    card = ModelCard.from_json((old_run / "model.json").read_text())
    nan_card = replace(card, test_metric={"scratch": float("nan")})
    text = nan_card.to_json()
    assert strict_json(text)["test_metric"] == {"scratch": None}
    assert ModelCard.from_json(text).test_metric == {"scratch": None}  # and read back
    from parity._util import strict_json as writer

    history = {"scratch": {"losses": [0.5, float("inf"), np.float64("nan")]}}
    assert strict_json(writer.dumps(history)) == {"scratch": {"losses": [0.5, None, None]}}


# ------------------------------------------------------------------ one snapshot (defect 13)


@pytest.fixture
def two_runs(trained, tmp_path, capsys):
    """``run`` (moons, 8 hidden) and ``other`` (moons, 8 hidden, another seed)."""
    run, other = tmp_path / "run", tmp_path / "other"
    shutil.copytree(trained / "moons", run)
    status = cli(capsys, "train", "--dataset", "moons", "--hidden", 8, "--epochs", 2,
                 "--backend", "scratch", "--seed", 1, "--out", other)[0]  # fmt: skip
    assert status == 0
    return run, other


def test_defect13_a_train_swapping_the_run_mid_read_is_read_again(
    two_runs, trained, tmp_path, capsys, monkeypatch
):
    """model.json read from one run, then the directory swapped by a train: the weights no
    longer match its SHA-256, so both are read again, and the predictions are the new run's."""
    import parity.cli.predict as predict

    run, other = two_runs
    points = write_csv(tmp_path / "p.csv", ["x0", "x1"], [[0.5, 0.25], [-1.0, 0.75]])
    expected = cli(capsys, "predict", "--model", other, "--data", points)[1]
    real, calls = predict.read_card, []

    def swapped_after_reading(model_dir):
        card = real(model_dir)
        if not calls:  # a train into run finishes now
            shutil.rmtree(run)
            shutil.copytree(other, run)
        calls.append(model_dir)
        return card

    monkeypatch.setattr(predict, "read_card", swapped_after_reading)
    status, stdout, err = cli(capsys, "predict", "--model", run, "--data", points)
    assert status == 0, err
    assert stdout == expected and len(calls) == 2


@pytest.mark.parametrize("kind", ["same-shape", "other-shape"])
def test_defect13_weights_of_another_run_are_refused(kind, two_runs, trained, tmp_path, capsys):
    run, other = two_runs
    source = other if kind == "same-shape" else trained / "wide"
    shutil.copy(source / "weights_scratch.npz", run / "weights_scratch.npz")
    points = write_csv(tmp_path / "p.csv", ["x0", "x1"], [[0.5, 0.25]])
    status, stdout, err = cli(capsys, "predict", "--model", run, "--data", points)
    assert_one_line_error(status, stdout, err, "weights_scratch.npz: not the weights")
    assert "its SHA-256 differs, 3 reads in a row" in err and stdout == ""
