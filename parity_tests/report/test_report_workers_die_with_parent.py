"""Defect 15 (issue 18): a ``kill -9`` of ``report --jobs`` must not orphan its workers. The
workers' initializer (``parity.report.jobs._init_worker``) ends a worker whose parent died."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

PARENT = """
import multiprocessing, sys, time
from parity.report.jobs import _init_worker

def work():
    _init_worker()  # what every --jobs worker runs first (it ignores SIGTERM too)
    time.sleep(600)

if __name__ == "__main__":
    p = multiprocessing.get_context("spawn").Process(target=work)
    p.start()
    print(p.pid, flush=True)
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie (not yet reaped by init) has ended
        return f.read().split(") ")[1][0] != "Z"


def test_worker_ends_when_its_parent_is_killed_9(tmp_path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(parent.stdout.readline())  # type: ignore[union-attr]
        time.sleep(1.0)  # the initializer has run
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker), "the worker outlived its killed parent"
    finally:
        parent.kill()
