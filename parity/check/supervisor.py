"""The parent side of ``nn-parity check``: run the check in a child process
(``parity.check.child``), supervise it, and return its reports.

Whatever the checked code does in the child (``sys.exit``, ``os._exit``, ``os.chdir``,
``sys.path`` edits, threads it leaves running, a bare ``except:`` that swallows signals, a
hang), the parent gets either the reports or one line that says how the child ended and where
your code stopped: an :class:`~parity.errors.InputError` (exit status 2). A hang ends after
``timeout`` seconds: SIGTERM, then SIGKILL after ``GRACE`` seconds. Ctrl-C or SIGTERM of the
parent ends the child the same way before the interrupt goes on.

The child starts with ``python -P`` (the working directory is not on its ``sys.path``, so a
``torch.py`` there cannot replace torch) and with this ``parity`` first on ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from parity.errors import Failure, InputError

STDOUT_CLOSED = "\0stdout closed"  # a key in run_check's result: stdout's reader has gone
GRACE = 5.0  # seconds between SIGTERM and SIGKILL
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<name>\S+)')


def _env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[2])  # the folder that holds this parity
    paths = [root, *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _stop(proc: subprocess.Popen[bytes]) -> str:
    """End ``proc``: SIGTERM, then SIGKILL after ``GRACE`` s; which one ended it."""
    if proc.poll() is not None:
        return "it had ended"
    proc.terminate()
    try:
        proc.wait(GRACE)
        return "SIGTERM"
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return f"SIGKILL (it ignored SIGTERM for {GRACE:g} s)"


class _Relay(threading.Thread):
    """Copies the child's stdout or stderr into this process's (``sys.stdout`` as it is now:
    a test's capture included), line by line; a reader that has gone (``| head -1``) only
    stops the copying, the pipe is drained to its end."""

    def __init__(self, source: IO[bytes], sink: IO[str]) -> None:
        super().__init__(daemon=True)
        self.source, self.sink, self.broken = source, sink, False

    def run(self) -> None:
        for line in self.source:
            if self.broken:
                continue
            try:
                self.sink.write(line.decode("utf-8", errors="replace"))
                self.sink.flush()
            except BrokenPipeError:
                self.broken = True
        self.source.close()


def _relay(source: IO[bytes] | None, sink: IO[str]) -> _Relay:
    if source is None:
        raise RuntimeError("the child's output is not a pipe")
    relay = _Relay(source, sink)
    relay.start()
    return relay


def where_stopped(stack: str, file: str) -> str:
    """``net.py:12 in loss_fn`` from a faulthandler dump: the innermost frame in your file,
    else the innermost outside nn-parity, torch and numpy; "" when none."""
    frames = [m.groupdict() for m in _FRAME.finditer(stack)]  # innermost first, per thread
    ours = ("/parity/", "/torch/", "/numpy/", "/threading.py", "/selectors.py")
    mine = [f for f in frames if file and os.path.abspath(f["file"]) == file]
    mine = mine or [f for f in frames if not any(p in f["file"] for p in ours)]
    if not mine:
        return ""
    f = mine[0]
    return f"{os.path.basename(f['file'])}:{f['line']} in {f['name']}"


def _at(where: str) -> str:
    return f" at {where}" if where else ""


def run_check(request: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The child's reports for ``request`` (``parity.check.request``): ``{name: CheckReport}``.

    Raises InputError for bad input or for a child that ended without a result (one line:
    how, and where your code stopped), Failure for a child that failed by a bug of ours."""
    with tempfile.TemporaryDirectory(prefix="nn-parity-check-") as tmp:
        out = Path(tmp)
        (out / "request.json").write_text(json.dumps(request))
        proc = subprocess.Popen(
            [sys.executable, "-P", "-m", "parity.check.child", tmp],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        relays = [_relay(proc.stdout, sys.stdout), _relay(proc.stderr, sys.stderr)]
        try:
            try:
                proc.wait(timeout)
                how = ""
            except subprocess.TimeoutExpired:
                how = _stop(proc)
            except BaseException:  # Ctrl-C, SIGTERM: end the child, then go on
                _stop(proc)
                raise
        finally:
            for relay in relays:
                relay.join()
        stack = (out / "stack.txt").read_text(errors="replace") if how else ""
        result = _result(out)
    file = request.get("file") or ""
    if how:
        raise InputError(
            f"the check did not finish within --timeout {timeout:g} s; it was stopped by {how}"
            f"{_at(where_stopped(stack, file))}"
        )
    if result is None:
        raise _no_result(proc.returncode)
    if "error" in result:
        raise InputError(result["error"])
    if "ended" in result:
        raise InputError(
            f"your code {result['ended']}{_at(result['where'])}, which ends the check's "
            "process; the check did not finish (nothing was checked after that point)"
        )
    reports: dict[str, Any] = result["reports"]
    if relays[0].broken:  # the reader of stdout has gone: the caller exits quietly
        reports = {**reports, STDOUT_CLOSED: None}
    return reports


def _result(out: Path) -> dict[str, Any] | None:
    try:
        with open(out / "result.pickle", "rb") as f:
            result: dict[str, Any] = pickle.load(f)
    except FileNotFoundError:
        return None
    return result


def _no_result(status: int) -> Exception:
    if status < 0:
        name = signal.Signals(-status).name
        why = " (out of memory?)" if name == "SIGKILL" else ""
        return InputError(
            f"the check's process was killed by {name}{why} while running; the check did not "
            "finish"
        )
    if status == 1:  # the child printed the traceback of an error of ours
        return Failure("the check's process failed (exit status 1; its traceback is above)")
    return InputError(
        f"the check's process ended with exit status {status} before it finished (your code "
        "ended it, or a thread of yours did); nothing was checked after that point"
    )
