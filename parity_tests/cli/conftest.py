"""Fixtures of the ``nn-parity`` tests: bad input files, and two small trained models."""

from __future__ import annotations

import shutil

import pytest
from cli_support import write_csv

from parity.cli import main


@pytest.fixture
def files(tmp_path):
    good = [[i % 3, (i * 7) % 5, i % 2] for i in range(12)]
    return {
        "good": write_csv(tmp_path / "good.csv", ["a", "b", "t"], good),
        "nan": write_csv(tmp_path / "nan.csv", ["a", "b", "t"], [*good, [1, 2, "nan"]]),
        "text": write_csv(tmp_path / "text.csv", ["a", "b", "t"], [*good, [1, "two", 0]]),
        "ragged": write_csv(tmp_path / "ragged.csv", ["a", "b", "t"], [*good, [1, 2]]),
        "one": write_csv(
            tmp_path / "one.csv", ["a", "b", "label"], [[i, i + 1, 0] for i in range(6)]
        ),
        "lonely": write_csv(
            tmp_path / "lonely.csv", ["a", "t"], [[i, "ab"[i % 2]] for i in range(8)] + [[9, "c"]]
        ),
        "one_to_k": write_csv(
            tmp_path / "k.csv", ["a", "b", "t"], [[a, b, t + 1] for a, b, t in good]
        ),
    }


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small moons model (scratch only) and a second model of another shape."""
    root = tmp_path_factory.mktemp("trained")
    for name, hidden in (("moons", "8"), ("wide", "4,4")):
        args = ["train", "--dataset", "moons", "--hidden", hidden, "--epochs", "2"]
        assert main([*args, "--backend", "scratch", "--out", str(root / name)]) == 0
    return root


@pytest.fixture(scope="session")
def xor_run(tmp_path_factory):
    """A small scratch-only xor run directory, trained once for the session (copy it)."""
    out = tmp_path_factory.mktemp("xor") / "run"
    args = ["train", "--dataset", "xor", "--epochs", "1", "--hidden", "4"]
    assert main([*args, "--backend", "scratch", "--out", str(out)]) == 0
    return out


@pytest.fixture
def old_run(xor_run, tmp_path):
    """An earlier run in ``tmp_path/run``, with a file of the user's (``notes.txt``) in it."""
    out = tmp_path / "run"
    shutil.copytree(xor_run, out)
    (out / "notes.txt").write_text("mine")
    return out
