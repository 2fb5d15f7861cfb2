"""``parity._util.publish`` on its own: the lock, the marker, the swap of a directory, the
reserved file, the hidden names and the cleaning of what a killed command left; and the held
signals and strict JSON the outputs rely on. The commands' use of it is in
``parity_tests/cli/test_cli_outputs.py`` and ``test_adversarial_outputs.py``."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys

import pytest

from parity._util import strict_json
from parity._util.publish import (
    MARKER,
    clean_leftovers,
    lock_path,
    locked,
    output_dir,
    output_file,
    read_marker,
)
from parity._util.signals import signals_held, sigterm_as_interrupt
from parity.errors import Interrupted, InUseError, OutputError


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def names(directory):
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def publish(dest, files, command="train"):
    """One output of ``command`` into ``dest`` with ``files`` ({name: text})."""
    with output_dir(dest, "--out", command) as staging:
        for name, text in files.items():
            (staging.staged / name).write_text(text)
        return staging.commit()


# ------------------------------------------------------------------ the lock


def test_a_held_lock_refuses_a_second_holder_at_once(tmp_path):
    dest = tmp_path / "run"
    with locked(dest, "--out 'run'") as path:
        assert path == lock_path(dest) == tmp_path / ".run.nn-parity.lock"
        assert path.read_text() == f"{os.getpid()}\n"
        with pytest.raises(InUseError, match=rf"^--out 'run' is in use by another nn-parity "
                                             rf"command \(pid {os.getpid()}\)"):  # fmt: skip
            with locked(dest, "--out 'run'"):
                pass
    assert not path.exists()  # removed by its holder
    with locked(dest, "--out 'run'"):  # and free again
        pass


def test_a_lock_file_left_by_a_killed_holder_is_taken(tmp_path):
    dest = tmp_path / "run"
    lock_path(dest).write_text("999999\n")  # a holder that died: the file stays, its flock not
    with locked(dest, "--out 'run'") as path:
        assert path.read_text() == f"{os.getpid()}\n"
    assert not path.exists()


def test_defect16_a_full_disk_while_locking_leaves_no_stale_lock(tmp_path, monkeypatch):
    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    with locked(tmp_path / "run", "--out 'run'") as path:
        assert path.exists()  # held all the same: the pid is for the message only
    assert names(tmp_path) == []


def test_a_lock_in_a_missing_directory_is_an_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        with locked(tmp_path / "absent" / "run", "--out"):
            pass


# ------------------------------------------------------------------ a directory


def test_a_directory_is_swapped_in_whole_with_a_marker(tmp_path, umask_022):
    dest = tmp_path / "run"
    assert publish(dest, {"model.json": "1", "weights_torch.npz": "w"}) == (
        ["model.json", "weights_torch.npz"], [])  # fmt: skip
    assert read_marker(dest)["files"] == ["model.json", "weights_torch.npz"]
    assert read_marker(dest)["command"] == "train"
    (dest / "notes.txt").write_text("mine")
    assert publish(dest, {"model.json": "2"}) == (["model.json"], ["weights_torch.npz"])
    assert names(dest) == [MARKER, "model.json", "notes.txt"]  # the user's file kept
    assert (dest / "model.json").read_text() == "2"
    assert mode(dest) == 0o755 and mode(dest / "model.json") == 0o644
    assert names(tmp_path) == ["run"]  # no lock, staging or set-aside left


@pytest.mark.parametrize(
    ("content", "command", "words"),
    [({"model.json": "another library's"}, "train", "holds files nn-parity did not write"),
     ({"figures/thesis_plot.txt": "mine"}, "report", "'figures'; no .nn-parity.json"),
     ({MARKER: json.dumps({"format": "nn-parity-output", "command": "check", "files": []}),
       "REPORT.md": "a check's"}, "report", "holds the output of nn-parity check")],
    ids=["defect10-model-json-not-ours", "defect9-no-marker", "another-command"],
)  # fmt: skip
def test_a_directory_that_is_not_ours_is_refused_and_left_alone(tmp_path, content, command,
                                                                words):  # fmt: skip
    dest = tmp_path / "out"
    for name, text in content.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(text)
    with pytest.raises(OutputError, match=words):
        publish(dest, {"REPORT.md": "new"}, command)
    assert {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()} == set(content)
    assert names(tmp_path) == ["out"]


def test_a_user_entry_named_like_a_new_one_is_refused_at_commit(tmp_path):
    dest = tmp_path / "rep"
    publish(dest, {"REPORT.md": "1"}, "check")
    (dest / "figures").mkdir()  # the user's, not in the marker
    with pytest.raises(OutputError, match="'figures' there is not nn-parity's"):
        with output_dir(dest, "--out", "check") as staging:
            (staging.staged / "figures").mkdir()
            staging.commit()
    assert names(dest) == [MARKER, "REPORT.md", "figures"]


def test_an_input_inside_out_is_refused(tmp_path):
    dest = tmp_path / "proj"
    publish(dest, {"figures": "x"}, "check")
    data = dest / "d.npz"
    data.write_text("data")
    with pytest.raises(OutputError, match=r"^--data 'd' lies inside --out"):
        with output_dir(dest, "--out", "check", {"--data 'd'": data}):
            pass
    assert data.read_text() == "data"


def test_a_failed_swap_puts_the_earlier_directory_back(tmp_path, monkeypatch):
    dest = tmp_path / "run"
    publish(dest, {"model.json": "old"})
    real = os.rename

    def failing(src, dst):
        if "nn-parity-tmp-" in os.fspath(src):
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(os, "rename", failing)
    with pytest.raises(
        OSError,
        match=r"^--out '.*': cannot put the new output in place "
        r"\(Input/output error\); the earlier one is unchanged",
    ):
        publish(dest, {"model.json": "new"})
    assert (dest / "model.json").read_text() == "old"
    assert names(tmp_path) == ["run"]


def test_a_signal_during_the_swap_is_acted_on_after_it(tmp_path, monkeypatch):
    dest = tmp_path / "run"
    publish(dest, {"model.json": "old"})
    real = os.rename

    def interrupted(src, dst):
        os.kill(os.getpid(), signal.SIGTERM)  # between the renames (SIGTERM's default: death)
        real(src, dst)

    monkeypatch.setattr(os, "rename", interrupted)
    with pytest.raises(Interrupted) as err:
        publish(dest, {"model.json": "new"})
    assert (err.value.signum, err.value.written) == (signal.SIGTERM, str(dest))
    assert (dest / "model.json").read_text() == "new"


def test_a_full_disk_names_the_output_and_its_option(tmp_path):
    with pytest.raises(OSError) as err:
        with output_dir(tmp_path / "run", "--out", "train"):
            raise OSError(errno.ENOSPC, "No space left on device", "/x/.run.nn-parity-tmp-1/a")
    assert str(err.value) == (f"--out '{tmp_path / 'run'}': No space left on device while "
                              "writing it; nothing was replaced")  # fmt: skip
    assert names(tmp_path) == []


def test_a_name_too_long_for_the_lock_says_so(tmp_path):
    long = tmp_path / ("r" * 240)
    with pytest.raises(
        OutputError,
        match=r"its name is 240 characters, too long for the lock "
        r"and staging files nn-parity makes beside it",
    ):
        with output_dir(long, "--out", "train"):
            pass
    assert names(tmp_path) == []


def test_defect12_a_symlink_loop_is_refused_and_nothing_is_left(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    for enter in (lambda: output_dir(loop, "--out", "train"),
                  lambda: output_file("--output", loop)):  # fmt: skip
        with pytest.raises(OutputError, match=r"'.*loop' is a symbolic link loop"):
            with enter():
                pass
    assert names(tmp_path) == ["loop"]


def test_defect11_users_names_beside_out_are_never_staging(tmp_path):
    """A backup ``run.old-jan`` and a folder ``run.tmp-notes`` are the user's: publishing
    ``run`` and cleaning leftovers touch neither."""
    for name in ("run.old-jan", "run.tmp-notes", ".run.old-x", ".run.nn-parity-tmp-notes"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f.txt").write_text(name)
    publish(tmp_path / "run", {"model.json": "1"})
    publish(tmp_path / "run", {"model.json": "2"})
    assert clean_leftovers(tmp_path) == []
    assert names(tmp_path) == [".run.nn-parity-tmp-notes", ".run.old-x", "run", "run.old-jan",
                               "run.tmp-notes"]  # fmt: skip
    assert names(tmp_path / "run") == [MARKER, "model.json"]


# ------------------------------------------------------------------ what a kill -9 leaves

KILLED = """
import os, sys
from parity._util.publish import output_dir, output_file
kind, path = sys.argv[1:]
if kind == "file":
    with output_file("--json", path):
        os.kill(os.getpid(), 9)
with output_dir(path, "--out", "check") as staging:
    (staging.staged / "REPORT.md").write_text("half")
    os.kill(os.getpid(), 9)
"""


@pytest.mark.parametrize("kind", ["file", "dir"])
def test_defect14_what_a_kill_9_left_is_cleaned_by_the_next_command(kind, tmp_path, capsys):
    done = subprocess.run([sys.executable, "-c", KILLED, kind, str(tmp_path / "c.json")],
                          capture_output=True, timeout=60)  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr
    left = names(tmp_path)
    assert len(left) == 2 and ".c.json.nn-parity.lock" in left  # the staging and the lock
    (tmp_path / "mine.txt").write_text("mine")
    with output_file("--output", tmp_path / "preds.csv") as reserved:  # another command
        reserved.commit("x\n")
    assert names(tmp_path) == ["mine.txt", "preds.csv"]
    assert "left by an interrupted command" in capsys.readouterr().err


def test_a_live_commands_staging_is_left_alone(tmp_path):
    with output_dir(tmp_path / "run", "--out", "train") as staging:
        assert clean_leftovers(tmp_path) == []
        assert staging.staged.is_dir()


def test_a_set_aside_directory_is_put_back_when_its_output_is_missing(tmp_path):
    aside = tmp_path / ".run.nn-parity-old-0123abcd"  # killed between the two renames
    aside.mkdir()
    (aside / "model.json").write_text("old")
    assert clean_leftovers(tmp_path) == [f"restored run from {aside.name}, left by an "
                                         "interrupted command"]  # fmt: skip
    assert (tmp_path / "run" / "model.json").read_text() == "old"


# ------------------------------------------------------------------ a file


def test_a_reserved_file_is_made_at_once_and_removed_unless_committed(tmp_path, umask_022):
    path = tmp_path / "preds.csv"
    path.write_text("earlier")
    with pytest.raises(RuntimeError):
        with output_file("--output", path) as reserved:
            assert reserved.tmp.exists() and mode(reserved.tmp) == 0o644
            assert reserved.tmp.name.startswith(".preds.csv.nn-parity-tmp-")
            raise RuntimeError("a later error")
    assert names(tmp_path) == ["preds.csv"] and path.read_text() == "earlier"
    with output_file("--output", path) as reserved:
        reserved.commit("new")
    assert path.read_text() == "new" and mode(path) == 0o644
    assert names(tmp_path) == ["preds.csv"]
    with pytest.raises(FileNotFoundError, match="no such directory"):
        with output_file("--output", tmp_path / "absent" / "preds.csv"):
            pass


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EFBIG])
def test_a_full_disk_or_a_too_large_file_names_the_file_and_the_option(code, tmp_path,
                                                                        monkeypatch):  # fmt: skip
    import builtins

    real = builtins.open

    def failing(file, *args, **kwargs):
        if "nn-parity-tmp-" in os.fspath(file):
            raise OSError(code, os.strerror(code))
        return real(file, *args, **kwargs)

    path = tmp_path / "preds.csv"
    with output_file("--output", path) as reserved:
        monkeypatch.setattr(builtins, "open", failing)
        with pytest.raises(OSError) as err:
            reserved.commit("x")
        monkeypatch.undo()
    assert str(err.value) == (f"--output '{path}': {os.strerror(code)} while writing it; "
                              "nothing was replaced")  # fmt: skip
    assert names(tmp_path) == []


# ------------------------------------------------------------------ signals, strict JSON


def test_signals_held_records_and_restores():
    before = signal.getsignal(signal.SIGINT)
    with signals_held() as received:
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
    assert received == [signal.SIGTERM, signal.SIGINT]
    assert signal.getsignal(signal.SIGINT) is before


def test_sigterm_as_interrupt_raises_a_keyboard_interrupt():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt) as err:
        with sigterm_as_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            signal.sigtimedwait([], 0)  # a point where Python runs the handler
    assert isinstance(err.value, Interrupted) and err.value.signum == signal.SIGTERM
    assert err.value.written is None
    assert signal.getsignal(signal.SIGTERM) is before


def test_strict_json_writes_null_for_non_finite_numbers():
    value = {"a": [1.0, float("nan"), (float("inf"), -float("inf"))], "b": {"c": 2}}
    text = strict_json.dumps(value, indent=None)
    assert json.loads(text) == {"a": [1.0, None, [None, None]], "b": {"c": 2}}
    assert "NaN" not in text and "Infinity" not in text
