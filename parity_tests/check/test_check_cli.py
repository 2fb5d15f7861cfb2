"""``nn-parity check``: exit status 0 (agrees), 1 (mismatch), 2 (bad input, one
``nn-parity: error:`` line); ``--self``, ``--demo``, ``--json``, ``--out``, ``--data``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap

import numpy as np
import pytest

GOOD = """
from parity.check.examples import EXAMPLES

def implementation():
    return EXAMPLES["functional"].build()

def buggy():
    return EXAMPLES["functional-relu-mask"].build()
"""


@pytest.fixture
def net(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(GOOD)
    return path


def test_correct_file_exits_0(cli, net):
    r = cli("check", str(net), "--dataset", "digits", "--rows", "32")
    assert r.status == 0, r.out + r.err
    assert "no divergence" in r.out and r.err == ""


def test_buggy_name_exits_1_naming_the_first_divergence(cli, net):
    r = cli("check", f"{net}:buggy", "--dataset", "digits")
    assert r.status == 1
    assert ">> FIRST DIVERGENCE" in r.out
    assert "first divergence: backward W1 gradient" in r.out and "ReLU mask" in r.out


def test_json_and_out(cli, net, tmp_path):
    out, doc = tmp_path / "report", tmp_path / "sub" / "check.json"
    r = cli("check", f"{net}:buggy", "--steps", "2", "--out", str(out), "--json", str(doc))
    assert r.status == 1
    data = json.loads(doc.read_text())
    assert data["ok"] is False
    assert data["first_divergence"]["stage"] == "backward"
    assert data["first_divergence"]["name"] == "W1"
    assert all({"stage", "name", "scaled", "tol", "ok"} <= set(row) for row in data["rows"])
    assert json.loads((out / "check.json").read_text()) == data | {"seconds": data["seconds"]}
    assert (out / "REPORT.md").is_file() and (out / "figures" / "loss_curves.png").is_file()


def test_demo_runs_both_correct_examples(cli):
    r = cli("check", "--demo")
    assert r.status == 0, r.out
    assert "demo functional:" in r.out and "demo layers:" in r.out


@pytest.mark.parametrize(("name", "status"), [("layers-bias-not-summed", 1), ("layers", 0)])
def test_demo_one(cli, name, status):
    r = cli("check", "--demo", name)
    assert r.status == status
    if status:
        assert "bias gradient not summed over the batch" in r.out


def test_demo_list_and_unknown(cli):
    listed = cli("check", "--demo", "list")
    assert listed.status == 0 and "layers-relu-mask" in listed.out
    unknown = cli("check", "--demo", "nope")
    assert unknown.status == 2
    assert unknown.err.startswith("nn-parity: error: unknown demo 'nope'")


def test_self_agrees_everywhere(cli):
    r = cli("check", "--self")
    assert r.status == 0, r.out
    assert "scratch agrees with torch in all 15 of 15 configurations" in r.out
    assert "MISMATCH" not in r.out
    # one aligned table: every column starts at the same place on every line
    lines = r.out.splitlines()[:16]
    assert lines[0].split()[:5] == ["verdict", "configuration", "worst", "tol", "stage"]
    starts = [[m.start() for m in re.finditer(r"(?<=  )\S", line)][:4] for line in lines]
    assert len({tuple(s) for s in starts}) == 1 and len(starts[0]) == 4, r.out


BAD_FILES = {
    "missing file": (None, "", "no such file"),
    "not python": ("x = 1", "", "is not a Python file"),
    "raises on import": ("raise RuntimeError('boom')", "", "raised RuntimeError while loading"),
    "no such name": ("x = 1", ":build", "has no 'build'"),
    "not callable": ("implementation = 3", "", "is a int, not a function"),
    "call raises": ("def implementation():\n    raise KeyError('W9')", "", "raised KeyError"),
    "wrong type": ("def implementation():\n    return 42", "", "returned a int"),
    "broken contract": (
        "from parity.check import Functional\nimport numpy as np\n"
        "def implementation():\n"
        "    p = {'W': np.zeros((64, 10)), 'b': np.zeros(10)}\n"
        "    return Functional(lambda X, y, params: 1.0, p)", "", "must return (loss, grads)"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_FILES, ids=str)
def test_bad_files_exit_2_with_one_line(cli, tmp_path, case):
    text, suffix, message = BAD_FILES[case]
    path = tmp_path / ("net.txt" if case == "not python" else "net.py")
    if text is not None:
        path.write_text(text)
    r = cli("check", f"{path}{suffix}")
    assert r.status == 2
    assert r.err.count("\n") == 1 and r.err.startswith("nn-parity: error: "), r.err
    assert message in r.err


def test_structure_failure_exits_2_with_the_tree(cli, tmp_path):
    path = tmp_path / "net.py"
    path.write_text(
        textwrap.dedent("""
        import numpy as np
        from parity.check import Functional
        from parity.check.examples import functional_net as F

        def implementation():
            params = F.init_params((64, 32, 10))
            params["b2"] = np.zeros(9)
            return Functional(F.make_loss(), params)
    """)
    )
    r = cli("check", str(path))
    assert r.status == 2
    assert "<-- b2 has shape (9,)" in r.out
    assert r.err.startswith("nn-parity: error: structure does not fit")


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--optimizer", "lbfgs"], "invalid choice"),
     (["--rows", "0"], "--rows must be at least 1, got 0 (see nn-parity check --help)"),
     (["--dataset", "diabetes"], "cannot supply targets for the multiclass head"),
     (["--target", "y"], "--target goes with --data"),
     (["--self", "--demo"], "not allowed with argument")],
)  # fmt: skip
def test_bad_options_exit_2(cli, net, argv, message):
    r = cli("check", *([] if "--self" in argv else [str(net)]), *argv)
    assert r.status == 2 and message in r.err and r.err.startswith("nn-parity: error: ")


def test_nothing_to_check_exits_2(cli):
    r = cli("check")
    assert r.status == 2 and "give FILE.py[:NAME], --self or --demo" in r.err


def test_your_own_csv(cli, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3))
    y = (X[:, 0] + 0.3 * rng.standard_normal(50) > 0).astype(int)
    rows = "\n".join(
        ",".join([f"{v:.6f}" for v in x] + [str(t)]) for x, t in zip(X, y, strict=True)
    )
    (tmp_path / "points.csv").write_text("a,b,c,label\n" + rows + "\n")
    (tmp_path / "logreg.py").write_text(
        textwrap.dedent("""
        import numpy as np
        from parity.check import Functional

        def loss(X, y, p):
            z = X @ p["w"] + p["b"]
            prob = 1 / (1 + np.exp(-z[:, 0]))
            value = np.mean(np.logaddexp(0, z[:, 0]) - y * z[:, 0])
            d = ((prob - y) / len(y))[:, None]
            return value, {"w": X.T @ d, "b": d.sum(axis=0)}

        def implementation():
            return Functional(loss, {"w": np.full((3, 1), 0.1), "b": np.zeros(1)},
                              head="binary")
    """)
    )
    r = cli("check", str(tmp_path / "logreg.py"), "--data", str(tmp_path / "points.csv"),
            "--target", "label", "--steps", "3")  # fmt: skip
    assert r.status == 0, r.out + r.err
    assert "your X (50, 3)" in r.out


@pytest.mark.skipif(shutil.which("nn-parity") is None, reason="the console script is not installed")
def test_the_installed_command():
    done = subprocess.run(["nn-parity", "check", "--demo", "layers-relu-mask"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1 and "ReLU mask" in done.stdout


def test_against_compares_a_port_with_its_original(cli, tmp_path, monkeypatch):
    """--against PORT.py: the two files checked in one child process, from the same weights
    and rows, whatever the working directory; a port that sums its loss is a mismatch."""
    from pathlib import Path

    port_dir = Path(__file__).resolve().parents[2] / "examples" / "port"
    monkeypatch.chdir(tmp_path)  # the paths travel absolute
    args = ("--dataset", "moons", "--steps", "3", "--lr", "0.5")
    original, port = str(port_dir / "check_numpy.py"), str(port_dir / "check_torch.py")
    r = cli("check", original, "--against", port, *args)
    assert r.status == 0, r.out + r.err
    assert "your port equals your original" in r.out

    (tmp_path / "summed_port.py").write_text(
        textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(port_dir)!r})
        from torch import nn
        from parity.check import Torch
        from step5_optim import model, optimizer

        def implementation():
            loss = nn.BCEWithLogitsLoss(reduction="sum")  # MISTAKE: a sum over the batch
            return Torch(model, loss, head="binary", optimizer=optimizer)
        """)
    )
    r = cli("check", original, "--against", "summed_port.py", *args)
    assert r.status == 1, r.out + r.err
    assert "your port's mistake" in r.out and "reduction='mean'" in r.out

    r = cli("check", "--demo", "--against", port)
    assert r.status == 2 and "--against goes with FILE.py" in r.err
