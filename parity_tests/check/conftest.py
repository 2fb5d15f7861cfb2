"""Fixtures of the ``parity.check`` tests: the ``nn-parity`` command run in-process (the one
assertion every example goes through is ``check_support.assert_finds``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest


@dataclass
class Result:
    status: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """``cli("check", "--demo")``: run ``nn-parity`` in-process, return status and output."""
    from parity.cli import main

    def run(*argv: str) -> Result:
        try:
            status = main(list(argv))
        except SystemExit as done:  # argparse's own option errors exit 2
            status = int(done.code or 0)
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run
