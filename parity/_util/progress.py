"""A dependency-free progress bar for the CLI, drawn on stderr.

On a terminal it redraws one line in place (``grid  [########------------]  48/120  31s``);
elsewhere (a log file, a test's captured stderr) it writes a single line when the task ends,
so logs stay short. It is also a ``progress(done, total)`` callback, the signature
``scratch.fit``, ``torch_impl.fit`` and ``parity.run`` accept.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

_REDRAW_EVERY = 0.1  # seconds between redraws on a terminal


class Progress:
    """``label [####----] done/total elapsed``; use as a context manager or call ``close()``.

    ``stream=None`` draws nothing (for in-process callers that want silence).
    """

    def __init__(
        self, label: str, total: int, stream: TextIO | None = sys.stderr, width: int = 30
    ) -> None:
        self.label, self.total, self.stream, self.width = label, max(int(total), 1), stream, width
        self.done = 0
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._tty = stream is not None and stream.isatty()
        self._closed = False
        self._draw(force=True)

    def __call__(self, done: int, total: int | None = None) -> None:
        """Set progress to ``done`` of ``total`` (the ``progress(step, total)`` callback)."""
        if total is not None:
            self.total = max(int(total), 1)
        self.done = min(int(done), self.total)
        self._draw()

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more units done."""
        self(self.done + n)

    def write(self, line: str, stream: TextIO | None = None) -> None:
        """Print ``line`` (to stdout by default) without garbling the bar, then redraw it."""
        if self._tty and self.stream is not None:
            self.stream.write("\r\033[K")
            self.stream.flush()
        print(line, file=stream or sys.stdout, flush=True)
        self._draw(force=True)

    @property
    def elapsed(self) -> float:
        """Seconds since the bar was created."""
        return time.perf_counter() - self.start

    def close(self) -> None:
        """Finish the line (a terminal) or write the one summary line (anything else)."""
        if self._closed or self.stream is None:
            self._closed = True
            return
        self._closed = True
        if self._tty:
            self._draw(force=True)
            self.stream.write("\n")
        else:
            self.stream.write(f"{self.label}: {self.done}/{self.total} in {self.elapsed:.1f}s\n")
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _draw(self, force: bool = False) -> None:
        if not self._tty or self.stream is None or self._closed:
            return
        now = time.perf_counter()
        if not force and now - self._last_draw < _REDRAW_EVERY and self.done < self.total:
            return
        self._last_draw = now
        filled = int(self.width * self.done / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        width = len(str(self.total))
        self.stream.write(
            f"\r{self.label:<12} [{bar}] {self.done:>{width}}/{self.total}  {self.elapsed:.0f}s"
        )
        self.stream.flush()
