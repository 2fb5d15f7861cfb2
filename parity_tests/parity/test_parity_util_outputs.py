"""``parity._util``'s output machinery on its own: the lock, the directory swap and its
recovery, publishing, the reserved file, the held signals, strict JSON."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import tempfile

import pytest

from parity._util import strict_json
from parity._util.atomic import (
    publish,
    recover,
    reserved_file,
    staging_dir,
    swap_dir,
)
from parity._util.lock import exclusive, lock_path
from parity._util.signals import signals_held, sigterm_as_interrupt
from parity.errors import Interrupted, InUseError


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


# ------------------------------------------------------------------ the lock


def test_a_held_lock_refuses_a_second_holder_at_once(tmp_path):
    dest = tmp_path / "run"
    with exclusive(dest, "--out 'run'") as path:
        assert path == lock_path(dest) == tmp_path / ".run.lock"
        assert path.read_text() == f"{os.getpid()}\n"
        with pytest.raises(InUseError, match=rf"^--out 'run' is in use by another nn-parity "
                                             rf"command \(pid {os.getpid()}\)"):  # fmt: skip
            with exclusive(dest, "--out 'run'"):
                pass
    assert not path.exists()  # removed by its holder
    with exclusive(dest, "--out 'run'"):  # and free again
        pass


def test_a_lock_file_left_by_a_killed_holder_is_taken(tmp_path):
    dest = tmp_path / "run"
    lock_path(dest).write_text("999999\n")  # a holder that died: the file stays, its flock not
    with exclusive(dest, "--out 'run'") as path:
        assert path.read_text() == f"{os.getpid()}\n"
    assert not path.exists()


def test_a_lock_in_a_missing_directory_is_an_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        with exclusive(tmp_path / "absent" / "run", "--out"):
            pass


# ------------------------------------------------------------------ swapping a directory


def staged_run(dest, files):
    """A staging directory beside ``dest`` made as mkdtemp/mkstemp make them (0700/0600)."""
    staged = tempfile.mkdtemp(prefix=f"{dest.name}.tmp-", dir=dest.parent)
    for name, text in files.items():
        fd, tmp = tempfile.mkstemp(dir=staged)
        os.write(fd, text.encode())
        os.close(fd)
        os.rename(tmp, os.path.join(staged, name))
    return type(dest)(staged)


def test_swap_into_nothing_and_over_an_earlier_directory(tmp_path, umask_022):
    dest = tmp_path / "run"
    assert swap_dir(staged_run(dest, {"model.json": "1"}), dest, keep=lambda n: True) == []
    assert (dest / "model.json").read_text() == "1"
    (dest / "notes.txt").write_text("mine")
    (dest / "weights_torch.npz").write_text("old")
    dropped = swap_dir(staged_run(dest, {"model.json": "2"}), dest,
                       keep=lambda n: not n.startswith("weights_"))  # fmt: skip
    assert dropped == ["weights_torch.npz"]
    assert sorted(p.name for p in dest.iterdir()) == ["model.json", "notes.txt"]
    assert (dest / "model.json").read_text() == "2"
    assert mode(dest) == 0o755 and mode(dest / "model.json") == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_failed_swap_puts_the_earlier_directory_back(tmp_path, monkeypatch):
    dest = tmp_path / "run"
    dest.mkdir()
    (dest / "model.json").write_text("old")
    staged = staged_run(dest, {"model.json": "new"})
    real = os.rename

    def failing(src, dst):
        if os.fspath(src) == os.fspath(staged):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "rename", failing)
    with pytest.raises(OSError, match="No space left"):
        swap_dir(staged, dest, keep=lambda n: True)
    assert (dest / "model.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["run", staged.name])


def test_a_signal_during_the_swap_is_acted_on_after_it(tmp_path, monkeypatch):
    dest = tmp_path / "run"
    dest.mkdir()
    staged = staged_run(dest, {"model.json": "new"})
    real = os.rename

    def interrupted(src, dst):
        os.kill(os.getpid(), signal.SIGTERM)  # between the renames (SIGTERM's default: death)
        real(src, dst)

    monkeypatch.setattr(os, "rename", interrupted)
    with pytest.raises(Interrupted) as err:
        swap_dir(staged, dest, keep=lambda n: True)
    assert (err.value.signum, err.value.written) == (signal.SIGTERM, str(dest))
    assert (dest / "model.json").read_text() == "new"


def test_recover_restores_or_finishes_what_a_killed_run_left(tmp_path):
    dest = tmp_path / "run"
    (tmp_path / "run.old-1").mkdir()
    (tmp_path / "run.old-1" / "model.json").write_text("old")
    (tmp_path / "run.tmp-2").mkdir()
    done = recover(dest, keep=lambda n: True)
    assert len(done) == 2 and (dest / "model.json").read_text() == "old"  # put back
    (tmp_path / "run.old-3").mkdir()
    (tmp_path / "run.old-3" / "notes.txt").write_text("mine")
    (tmp_path / "run.old-3" / "model.json").write_text("older")
    assert recover(dest, keep=lambda n: n == "notes.txt") == ["removed run.old-3, left by an "
                                                                "interrupted run"]  # fmt: skip
    assert sorted(p.name for p in dest.iterdir()) == ["model.json", "notes.txt"]
    assert (dest / "model.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


# ------------------------------------------------------------------ publishing, one file


def test_publish_gives_the_default_modes(tmp_path, umask_022):
    dest = tmp_path / "reports"
    with staging_dir(dest) as staged:
        (staged / "figures").mkdir(mode=0o700)
        fd, _ = tempfile.mkstemp(dir=staged / "figures")  # 0600
        os.close(fd)
        fd, report = tempfile.mkstemp(dir=staged)
        os.close(fd)
        os.rename(report, staged / "REPORT.md")
        publish(staged, dest)
    assert mode(dest / "REPORT.md") == 0o644 and mode(dest / "figures") == 0o755
    assert [mode(p) for p in (dest / "figures").iterdir()] == [0o644]


def test_reserved_file_is_made_at_once_and_removed_unless_committed(tmp_path, umask_022):
    path = tmp_path / "preds.csv"
    path.write_text("earlier")
    with pytest.raises(RuntimeError):
        with reserved_file(path) as reserved:
            assert reserved.tmp.exists() and mode(reserved.tmp) == 0o644
            raise RuntimeError("a later error")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preds.csv"]
    assert path.read_text() == "earlier"
    with reserved_file(path) as reserved:
        reserved.commit("new")
    assert path.read_text() == "new" and mode(path) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preds.csv"]
    with pytest.raises(FileNotFoundError):
        with reserved_file(tmp_path / "absent" / "preds.csv"):
            pass


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
