"""A scripted adversarial table for ``nn-parity check`` (issue 18): checked code that tries to
end or bend the checker, each case a file a careless user could write, with the outcome the
parent must report. No case may end in "agrees" with exit 0 unless the code is sound; none may
leave the process hanging; every refusal is one ``nn-parity: error:`` line naming the cause.

Each case starts one child process (the smallest net: linear regression on a 12-row CSV), so
the table is kept to what needs a process of its own; in-process defects have their tests in
``parity_tests/check``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

NET = '''from __future__ import annotations
import os, sys, threading, signal, time
import numpy as np
from parity.check import Functional
{at_import}

def loss_fn(X, y, params):
    {in_loss}
    W, b = params["W"], params["b"]
    r = (X @ W + b)[:, 0] - y
    d = (2 * r / len(y))[:, None]
    return float((r ** 2).mean()), {{"W": X.T @ d, "b": d.sum(0)}}

def update(params, grads, lr):
    {in_update}
    for k in params:
        params[k] -= lr * grads[k]

def implementation():
    W = np.random.default_rng(0).normal(size=(3, 1))
    return Functional(loss_fn, {{"W": W, "b": np.zeros(1)}}, head="regression", update=update)
'''

LAYER_NET = '''
import sys
import numpy as np
from parity.check import Layers

class Linear:
    def __init__(self):
        self.W = np.random.default_rng(0).normal(size=(3, 1)); self.b = np.zeros(1)
        self.dW = np.zeros_like(self.W); self.db = np.zeros_like(self.b)
    def forward(self, x):
        self.x = x
        return {forward}
    def backward(self, g):
        {in_backward}
        self.dW[...] = self.x.T @ g; self.db[...] = g.sum(0)
        return g @ self.W.T

class MSE:
    def forward(self, p, y):
        self.r = p[:, 0] - y
        return float((self.r ** 2).mean())
    def backward(self):
        return (2 * self.r / len(self.r))[:, None]

def implementation():
    return Layers([Linear()], MSE(), head="regression")
'''


def _net(at_import: str = "", in_loss: str = "", in_update: str = "") -> str:
    return NET.format(
        at_import=at_import, in_loss=in_loss or "pass", in_update=in_update or "pass"
    )


# id, files {name: text}, extra options, exit status, fragments of stderr (or stdout for 0)
CASES = [
    ("sys.exit(0) in loss_fn", {"net.py": _net(in_loss="sys.exit(0)")}, [], 2,
     ["your code called sys.exit(0) at net.py:", "in loss_fn", "did not finish"]),
    ("sys.exit('msg') in loss_fn", {"net.py": _net(in_loss="sys.exit('bye')")}, [], 2,
     ["called sys.exit('bye')", "loss_fn"]),
    ("os._exit(0) in loss_fn", {"net.py": _net(in_loss="os._exit(0)")}, [], 2,
     ["called os._exit(0) at net.py:", "in loss_fn"]),
    ("sys.exit(0) in update rule", {"net.py": _net(in_update="sys.exit(0)")}, ["--steps", "1"],
     2, ["sys.exit(0) at net.py:", "in update"]),
    ("sys.exit(0) in layer backward",
     {"net.py": LAYER_NET.format(forward="x @ self.W + self.b", in_backward="sys.exit(0)")},
     [], 2, ["sys.exit(0) at net.py:", "in backward"]),
    ("KeyboardInterrupt raised by loss_fn",
     {"net.py": _net(in_loss="raise KeyboardInterrupt")}, [], 2,
     ["your code raised KeyboardInterrupt at net.py:", "loss_fn"]),
    ("os.chdir and sys.path edits at import",
     {"net.py": _net(at_import="sys.path.remove(os.path.dirname(os.path.abspath(__file__)))\n"
                     "os.chdir('/')")}, [], 0, ["no divergence"]),
    ("torch.py beside the file", {"net.py": _net(), "torch.py": "raise SystemExit(3)\n"}, [], 2,
     ["torch.py beside net.py would shadow", "(torch)"]),
    ("scratch.py beside the file", {"net.py": _net(), "scratch.py": "X = 1\n"}, [], 2,
     ["scratch.py beside net.py would shadow", "(scratch)"]),
    ("dataclass, pickle and a lazy import of a neighbour",
     {"net.py": _net(
         at_import="import dataclasses, pickle\n"
         "@dataclasses.dataclass\nclass Box:\n    n: int\npickle.dumps(Box(1))",
         in_loss="from helpers import K; pickle.dumps(Box(K))"),
      "helpers.py": "K = 1\n"}, [], 0, ["no divergence"]),
    ("torch.set_grad_enabled(False) at import",
     {"net.py": _net(at_import="import torch; torch.set_grad_enabled(False)")}, ["--steps", "1"],
     0, ["no divergence"]),
    ("a layer returning a list",
     {"net.py": LAYER_NET.format(forward="(x @ self.W + self.b).tolist()", in_backward="pass")},
     [], 2, ["layers[0].forward returned a list", "numpy array"]),
    ("a non-daemon thread left running",
     {"net.py": _net(at_import="threading.Thread(target=time.sleep, args=(3600,)).start()")},
     [], 0, ["no divergence"]),
    ("a hang that ignores SIGTERM",
     {"net.py": _net(at_import="signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                     "while True:\n    time.sleep(0.01)")},
     ["--timeout", "5"], 2, ["did not finish within --timeout 5 s", "stopped by SIG"]),
]  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 3))
    path = tmp_path_factory.mktemp("data") / "d.csv"
    lines = ["a,b,c,t", *(",".join(f"{v:.4f}" for v in (*x, x @ [1, 2, 3])) for x in X)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("files", "options", "status", "fragments"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_adversarial(
    tmp_path: Path,
    data: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    options: list[str],
    status: int,
    fragments: list[str],
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    monkeypatch.chdir(tmp_path)
    r = subprocess.run(
        [sys.executable, "-P", "-m", "parity.cli", "check", "net.py", "--data", str(data),
         "--target", "t", "--out", "rep", "--json", "c.json", *options],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    text = r.stdout if status == 0 else r.stderr
    assert r.returncode == status, r.stdout + r.stderr
    for fragment in fragments:
        assert fragment in text, r.stdout + r.stderr
    if status:
        assert r.stderr.count("nn-parity: error:") == 1 and "Traceback" not in r.stderr
        assert not (tmp_path / "rep").exists() and not (tmp_path / "c.json").exists()
    else:  # the outputs land where the command was started, whatever the code did
        assert (tmp_path / "rep" / "REPORT.md").is_file() and (tmp_path / "c.json").is_file()


def test_check_piped_to_head_exits_quietly(tmp_path: Path) -> None:
    """Defect 17: ``check ... | head -1`` exits quietly (status 141 when the reader had gone
    before the last line, 0 when the pipe took every line), as train does."""
    r = subprocess.run(
        f"{sys.executable} -m parity.cli check --demo list | head -1; "
        "echo status=${PIPESTATUS[0]}",
        shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.stderr == "" and r.stdout.count("\n") == 2, r.stdout + r.stderr
    assert "status=141" in r.stdout or "status=0" in r.stdout
