"""A worker process that ends when the process that started it dies.

A worker (``report --jobs``, ``check``'s child) must not outlive its parent: after a
``kill -9`` of the parent nobody would read its results, and it could block on a pipe for
ever. :func:`exit_with_parent` starts a daemon thread that polls the parent's pid; when the
worker is re-parented (its parent died), it ends the worker at once with ``os._exit``.
Polling is portable and needs no cooperation from the parent (``prctl(PR_SET_PDEATHSIG)``
is Linux only, and fires when the parent's *thread* ends).
"""

from __future__ import annotations

import os
import threading
import time

ORPHANED = 70  # the worker's exit status when its parent died (EX_SOFTWARE)


def exit_with_parent(interval: float = 0.5) -> None:
    """End this process (status ``ORPHANED``) within ``interval`` s of its parent's death."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(ORPHANED)

    threading.Thread(target=watch, daemon=True, name="nn-parity-exit-with-parent").start()
