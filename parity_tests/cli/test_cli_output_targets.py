"""Where commands write, refused before any work: an output that exists as a device, FIFO or
socket is never replaced by a file; an empty path names its option; a link as ``--output``
is written through; ``--output -`` is stdout; ``bench --out`` is checked before timing; a
signal after a finished command still ends it with one line (130 / 143)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import warnings

import pytest
from cli_support import assert_one_line_error, cli


def _fifo(path):
    os.mkfifo(path)
    return stat.S_ISFIFO


def _chardev(path):
    if os.geteuid() != 0:
        pytest.skip("making a character device needs root (os.mknod)")
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    return stat.S_ISCHR


@pytest.mark.parametrize("make", [_fifo, _chardev], ids=["fifo", "chardev"])
def test_predict_refuses_a_special_output_and_leaves_it(make, trained, tmp_path, capsys):
    target = tmp_path / "node"
    is_kind = make(target)
    status, out, err = cli(capsys, "predict", "--model", trained / "moons", "--data",
                           tmp_path / "absent.csv", "--output", target)  # fmt: skip
    assert_one_line_error(status, out, err, f"--output '{target}' is not a regular file")
    assert is_kind(os.lstat(target).st_mode)  # still the node, not a CSV
    assert sorted(p.name for p in tmp_path.iterdir()) == ["node"]


def _moons_csv(tmp_path):
    """Two rows of moons' features (x0, x1)."""
    path = tmp_path / "rows.csv"
    path.write_text("x0,x1\n0.5,0.25\n-1.0,0.75\n")
    return path


def test_predict_writes_through_a_link_and_dash_is_stdout(trained, tmp_path, capsys):
    data = _moons_csv(tmp_path)
    status, stdout, err = cli(capsys, "predict", "--model", trained / "moons", "--data", data,
                              "--output", "-")  # fmt: skip
    assert status == 0, err
    assert stdout.startswith("prediction,") and not (tmp_path / "-").exists()
    link, real = tmp_path / "link.csv", tmp_path / "real.csv"
    link.symlink_to(real.name)
    status, _, err = cli(capsys, "predict", "--model", trained / "moons", "--data", data,
                         "--output", link)  # fmt: skip
    assert status == 0, err
    assert link.is_symlink() and real.read_text() == stdout


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["train", "--dataset", "xor", "--out", ""], "--out"),
        (["report", "--quick", "--out", ""], "--out"),
        (["bench", "--quick", "--out", ""], "--out"),
        (["predict", "--model", "m", "--data", "d.csv", "--output", ""], "--output"),
    ],
    ids=["train", "report", "bench", "predict"],
)
def test_an_empty_output_path_is_refused_naming_the_option(argv, option, tmp_path, capsys,
                                                           monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:  # argparse's one line, exit status 2
        cli(capsys, *argv)
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert f"argument {option}: expected a path to write to, got ''" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["proc", "file", "fifo"])
def test_bench_out_is_checked_before_any_timing(where, tmp_path, capsys, monkeypatch):
    import parity.experiments.bench as bench

    def never(*args, **kwargs):
        raise AssertionError("the bench ran before --out was checked")

    monkeypatch.setattr(bench, "run_bench", never)
    out = {"proc": "/proc/nn-parity-x/out", "file": tmp_path / "f", "fifo": tmp_path / "p"}[where]
    if where == "file":
        out.write_text("mine")
    if where == "fifo":
        os.mkfifo(out)
    status, stdout, err = cli(capsys, "bench", "--quick", "--configs", "tiny", "--out", out)
    message = "cannot write there" if where == "proc" else "exists and is not a directory"
    assert_one_line_error(status, stdout, err, f"--out '{out}'")
    assert message in err and ".tmp" not in err
    if where == "fifo":
        assert stat.S_ISFIFO(os.lstat(out).st_mode)


def test_the_training_curve_leaves_no_file_open_when_interrupted(tmp_path, monkeypatch):
    """An interrupt while the PNG is written (SIGTERM: ``Interrupted``) closes figure and file."""
    import matplotlib.figure

    from parity._util.style import save_figure, use_agg
    from parity.errors import Interrupted

    def interrupted(self, fname, **kwargs):
        fname.write(b"partial")
        raise Interrupted(signal.SIGTERM)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", interrupted)
    plt = use_agg()
    fig = plt.figure()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(Interrupted):
            save_figure(fig, tmp_path / "curve.png")
        import gc

        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not plt.fignum_exists(fig.number)


AT_EXIT = """
import os, signal, sys
sys.argv = ["nn-parity", *sys.argv[2:]]
import parity.cli
cli_main = sys.modules["parity.cli.main"]
finish = cli_main._finish
def finish_then_signal(status):  # the signal lands once the command has finished
    finish(status)
    os.kill(os.getpid(), int(sys.argv_signal))
sys.argv_signal = {signum}
cli_main._finish = finish_then_signal
sys.exit(cli_main.main())
"""


@pytest.mark.parametrize(
    ("signum", "status", "word"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_after_the_command_finished_ends_with_a_line(signum, status, word, tmp_path):
    # deterministic: the process signals itself right after main's _finish, the moment a late
    # signal from outside (after the "saved" line reached a pipe) would land
    out = tmp_path / "run"
    argv = ["train", "--dataset", "xor", "--epochs", "1", "--hidden", "3", "--backend",
            "scratch", "--out", str(out)]  # fmt: skip
    code = AT_EXIT.format(signum=int(signum))
    done = subprocess.run([sys.executable, "-c", code, "-", *argv], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == status, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"nn-parity: {word} after the command had finished"), done.stderr
    assert "its output is complete" in last
    assert "saved" in done.stdout and (out / "model.json").is_file()


@pytest.mark.parametrize("side", ["scratch", "torch_impl"])
def test_save_weights_errors_name_the_callers_path(side, tmp_path):
    import importlib

    import numpy as np

    path = tmp_path / "absent" / "w.npz"
    with pytest.raises(FileNotFoundError) as err:
        importlib.import_module(side).save_weights(path, {"W": np.zeros((2, 2))})
    assert err.value.filename == str(path) and ".tmp" not in str(err.value)
    assert not (tmp_path / "absent").exists()
