"""Helpers shared by the ``nn-parity`` tests (``parity_tests/cli/test_cli_*.py``).

Commands run in-process through ``parity.cli.main`` (a subprocess pays ~2 s of torch import
each); only what a fresh interpreter imports needs a subprocess (``imported_by``).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np

from parity.cli import main

HEAVY = ("torch", "matplotlib", "sklearn")


def cli(capsys, *argv):
    """Run ``nn-parity *argv`` in-process -> (exit status, stdout, stderr)."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def imported_by(code):
    """Which of ``HEAVY`` a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def read_predictions(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return rows


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def standardise(X, model_dir):
    desc = json.loads((model_dir / "model.json").read_text())
    std = desc["standardize"]
    return (X - np.asarray(std["x_mean"])) / np.asarray(std["x_std"]), desc


def assert_one_line_error(status, out, err, message):
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nn-parity: error: ") and message in lines[0], lines[0]
    assert "Traceback" not in err + out


def nothing_written(tmp_path, out):
    assert not out.exists()
    assert not list(tmp_path.glob(".*.nn-parity*"))


# ------------------------------------------------------------------ a training run held mid-way

# Runs `nn-parity ARGS...` in a fresh interpreter whose training stops after its first step:
# it prints "PROGRESS <side>" on stderr, then waits (at most 60 s) for the file GATE to appear
# before going on. Tests synchronise on that line and that file, never on sleeps.
HELD_TRAIN = """
import sys, time
from pathlib import Path
import parity._util.progress as progress
gate, argv = Path(sys.argv[1]), sys.argv[2:]
step = progress.Progress.__call__
def held(self, done, total=None):
    if done == 1 and not getattr(self, "held", False):
        self.held = True
        print(f"PROGRESS {self.label}", file=sys.stderr, flush=True)
        deadline = time.monotonic() + 60
        while not gate.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
    step(self, done, total)
progress.Progress.__call__ = held
from parity.cli import main
sys.exit(main(argv))
"""


def start_held_train(gate, *argv):
    """A ``nn-parity train`` subprocess held after its first step (see ``HELD_TRAIN``); returns
    it once it has said so on stderr. ``finish(proc)`` collects its exit status and output."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HELD_TRAIN, str(gate), "train", *map(str, argv)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.err_seen = wait_for_line(proc, "PROGRESS ")
    return proc


def wait_for_line(proc, prefix, timeout=60.0):
    """Read ``proc``'s stderr (unbuffered) until a line starts with ``prefix``, bounded by
    ``timeout``; returns what was read."""
    import os
    import select
    import time

    deadline = time.monotonic() + timeout
    seen = b""
    fd = proc.stderr.fileno()
    while time.monotonic() < deadline:
        lines = seen.decode(errors="replace").splitlines(keepends=True)
        if any(line.startswith(prefix) and line.endswith("\n") for line in lines):
            return seen.decode(errors="replace")
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 4096) if ready else b""
        if not chunk:  # timed out, or the process ended without saying it
            break
        seen += chunk
    proc.kill()
    raise AssertionError(f"no {prefix!r} line on stderr; got {seen!r}")


def finish(proc, timeout=60):
    """Wait for ``proc`` -> (exit status, stdout, all of stderr)."""
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out.decode(), proc.err_seen + err.decode()


def snapshot(directory):
    """Every file under ``directory`` with its bytes (directories as None): to compare before
    and after a command that must not have changed it."""
    return {
        str(p.relative_to(directory)): None if p.is_dir() else p.read_bytes()
        for p in sorted(directory.rglob("*"))
    }


def strict_json(text):
    """``json.loads`` that refuses NaN, Infinity and -Infinity (Python's json accepts them)."""

    def refuse(token):
        raise ValueError(f"not strict JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def leftovers(parent):
    """Staging, set-aside and lock files a command left in ``parent`` (``parity._util.publish``:
    hidden names carrying ``nn-parity``)."""
    return sorted(p.name for p in parent.iterdir() if ".nn-parity" in p.name)
