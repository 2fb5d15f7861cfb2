"""``nn-parity check``'s outputs, checked before any work: ``--json`` and ``--out`` never an
input (FILE.py, ``--data``), never a device or FIFO, not empty, writable (one line naming the
option, no temporary file's name); ``--json`` gets ``open()``'s mode. And a FILE.py that calls
``sys.exit`` is bad input (exit 2), not a silent exit 0."""

from __future__ import annotations

import os
import stat

import pytest

GOOD = """
from parity.check.examples import EXAMPLES

def implementation():
    return EXAMPLES["functional"].build()
"""


@pytest.fixture
def net(tmp_path):
    path = tmp_path / "n.py"
    path.write_text(GOOD)
    return path


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the check itself runs."""
    import parity.check.api as api

    def never(*args, **kwargs):
        raise AssertionError("the check ran before its outputs were checked")

    monkeypatch.setattr(api, "check", never)


def _one_line(result, *words):
    assert result.status == 2, result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nn-parity: error: "), result.err
    assert all(w in lines[0] for w in words), lines[0]
    assert ".tmp" not in lines[0] and "Traceback" not in result.err


def test_json_that_is_an_input_is_refused_and_left_alone(cli, net, tmp_path, no_work):
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n1,2,0\n3,4,1\n")
    source = net.read_text()
    _one_line(cli("check", str(net), "--json", str(net)), f"--json '{net}' is your FILE.py")
    r = cli("check", str(net), "--data", str(data), "--target", "y", "--json", str(data))
    _one_line(r, f"--json '{data}' is the --data file")
    assert net.read_text() == source and data.read_text().startswith("a,b,y")


def _special(kind, path):
    if kind == "fifo":
        os.mkfifo(path)
        return stat.S_ISFIFO
    if os.geteuid() != 0:
        pytest.skip("making a character device needs root (os.mknod)")
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return stat.S_ISCHR


@pytest.mark.parametrize("kind", ["fifo", "chardev"])
def test_json_that_is_a_device_or_fifo_is_refused(kind, cli, net, tmp_path, no_work):
    target = tmp_path / "node"
    is_kind = _special(kind, target)
    _one_line(cli("check", str(net), "--json", str(target)), "is not a regular file")
    assert is_kind(os.lstat(target).st_mode)


@pytest.mark.parametrize(
    ("option", "where", "words"),
    [
        ("--json", "", ["--json '' is empty"]),
        ("--out", "", ["--out '' is empty"]),
        ("--json", "/proc/nn-parity-x.json", ["--json '/proc/nn-parity-x.json'", "cannot write"]),
        ("--out", "/proc/nn-parity-x", ["--out '/proc/nn-parity-x'", "cannot write"]),
        ("--json", "DIR", ["is a directory"]),
        ("--out", "NET", ["exists and is not a directory"]),
    ],
    ids=["json-empty", "out-empty", "json-proc", "out-proc", "json-dir", "out-file"],
)
def test_bad_outputs_are_refused_before_any_work(option, where, words, cli, net, tmp_path,
                                                 no_work):  # fmt: skip
    where = {"DIR": str(tmp_path), "NET": str(net)}.get(where, where)
    _one_line(cli("check", str(net), option, where), *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.py"]


def test_json_gets_the_mode_open_would_give(cli, net, tmp_path):
    old = os.umask(0o022)
    try:
        r = cli("check", str(net), "--rows", "16", "--json", str(tmp_path / "c.json"))
    finally:
        os.umask(old)
    assert r.status == 0, r.err
    assert stat.S_IMODE(os.stat(tmp_path / "c.json").st_mode) == 0o644


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("import sys\nsys.exit(0)\n", ["called sys.exit(0) while loading"]),
        ("import sys\ndef implementation():\n    sys.exit(3)\n",
         [":implementation() called sys.exit(3) when called"]),
    ],
    ids=["at-import", "in-the-callable"],
)  # fmt: skip
def test_a_file_that_calls_sys_exit_is_bad_input(body, words, cli, tmp_path):
    path = tmp_path / "n.py"
    path.write_text(body)
    _one_line(cli("check", str(path)), str(path), *words)


@pytest.mark.parametrize("value", ["4294967296", "-1", "x"])
def test_check_seed_out_of_range_is_refused_naming_the_flag(value, capsys):
    from parity.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["check", "--self", "--seed", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) >= 1 and "--seed" in err[-1] and "2**32 - 1" in err[-1]
