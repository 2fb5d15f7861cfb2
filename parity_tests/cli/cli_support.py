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
    assert not list(tmp_path.glob("*.tmp-*"))
