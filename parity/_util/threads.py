"""Thread limits for the small networks of this project.

The matrices here are tiny (widths of tens), so thread pools only spin-wait: on a few
cores one torch thread and one BLAS thread are several times faster than the defaults.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any


@contextmanager
def limit_threads(n: int, *, torch_threads: bool = True) -> Iterator[None]:
    """torch's intra-op threads and the BLAS pools (via threadpoolctl, if installed) at ``n``
    for the duration of the block; the previous torch setting is restored afterwards.

    ``torch_threads=False`` leaves torch alone (and unimported): for a block that runs no
    torch, such as scratch-only training, which then starts without torch's import time."""
    if torch_threads:
        import torch

        previous = torch.get_num_threads()
        torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits

        limits: Any = threadpool_limits(limits=n, user_api="blas")
    except ImportError:
        limits = nullcontext()
    try:
        with limits:
            yield
    finally:
        if torch_threads:
            torch.set_num_threads(previous)
