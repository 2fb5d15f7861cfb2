"""The child process of ``nn-parity check``: it runs the check, your code with it, and hands
the reports back to the parent (``parity.check.supervisor``), which writes every output.

Run as ``python -m parity.check.child DIR``: ``DIR/request.json`` says what to check; the
child prints the tables on its stdout and leaves ``DIR/result.pickle``, a dict with
``reports`` (name -> ``CheckReport``; the name ``""`` for a single report), or ``error`` (one
line: bad input, exit status 2), or ``ended`` (your code ended the process: how, and where).

Your code runs here, not in the parent, so nothing it does can end or bend the parent:

- ``sys.exit`` anywhere in your code is caught and reported with the line that called it;
  ``os._exit`` is wrapped to record its caller before it ends the process;
- ``os.chdir`` and ``sys.path`` edits change only this process (every path it is given is
  absolute, and it writes no output);
- SIGINT is ignored (Ctrl-C is the parent's to handle), so a ``KeyboardInterrupt`` here is
  one your code raised; SIGTERM keeps its default (ends the process, whatever ``except:`` your
  code has) and first dumps every thread's stack into ``DIR/stack.txt`` (``faulthandler``),
  which the parent reads to say where a hang stopped;
- when the check is done the child leaves by ``os._exit``: a thread your code started cannot
  keep it alive; it also leaves when the parent dies (``parity._util.parent``).
"""

from __future__ import annotations

import faulthandler
import json
import os
import pickle
import signal
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from parity._util.parent import exit_with_parent

REQUEST, RESULT, STACK = "request.json", "result.pickle", "stack.txt"

_real_exit = os._exit


def _yours(tb: TracebackType | None, file: str) -> str:
    """``net.py:12 in loss_fn``: the innermost frame of ``tb`` in your file, or ""."""
    frames = traceback.extract_tb(tb) if tb is not None else traceback.extract_stack()
    mine = [f for f in frames if file and os.path.abspath(f.filename) == file]
    if not mine:
        mine = [f for f in frames if "/parity/" not in f.filename and "importlib" not in f.filename]
    if not mine:
        return ""
    f = mine[-1]
    return f"{os.path.basename(f.filename)}:{f.lineno} in {f.name}"


def _wrapped_exit(file: str, out: Path) -> Any:
    def _exit(status: int) -> None:  # your code's os._exit: record where, then end
        where = _yours(None, file)
        _save(out, {"ended": f"called os._exit({status!r})", "where": where})
        _real_exit(status)

    return _exit


def _save(out: Path, result: dict[str, Any]) -> None:
    tmp = out / (RESULT + ".part")
    with open(tmp, "wb") as f:
        pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, out / RESULT)


def main(argv: list[str]) -> int:
    """Run the request in ``argv[0]`` (a directory); the result goes beside it."""
    out = Path(argv[0])
    request = json.loads((out / REQUEST).read_text(encoding="utf-8"))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stack = open(out / STACK, "w")
    faulthandler.register(signal.SIGTERM, file=stack, all_threads=True, chain=True)
    exit_with_parent()
    file = request.get("file") or ""
    from parity.check import request as checks  # (the loader imports torch, ... first)

    os._exit = _wrapped_exit(file, out)  # type: ignore[assignment]
    try:
        result = checks.run(request)
    except SystemExit as err:
        where = _yours(err.__traceback__, file)
        result = {"ended": f"called sys.exit({err.code!r})", "where": where}
    except KeyboardInterrupt as err:  # SIGINT is ignored here: your code raised it
        result = {"ended": "raised KeyboardInterrupt", "where": _yours(err.__traceback__, file)}
    finally:
        os._exit = _real_exit
    _save(out, result)
    return 0


if __name__ == "__main__":
    status = 1
    try:
        status = main(sys.argv[1:])
    except BaseException:  # a bug in nn-parity keeps its traceback
        traceback.print_exc()
    finally:  # a thread your code started cannot hold the exit
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        _real_exit(status)
