"""``--jobs N``: the report's measurements spread over worker processes, collected in order.

A measurement is a :class:`Batch`: calls of one function over a list of argument tuples (the
grid's ``check_cell`` per cell, ``parity.run`` per dataset, the claims). :class:`Workers`
starts it:

- one job (``pool`` None): nothing runs until the results are collected, then the calls run
  here, one after another, exactly as without workers;
- N jobs: every call is submitted at once to a ``ProcessPoolExecutor`` of N processes, so
  the grid, the dataset runs and the claims, all started before the first section runs,
  share the workers while this process draws figures.

Results come back in the order of the items, never of completion, and every worker runs with
the main process's thread limits (``limit_threads``) and device settings (``parity_mode``),
so the report is the same for every N. The workers are started by ``spawn`` (a fresh
interpreter), not ``fork``: forking a process that has run torch (its thread pools, a CUDA
context) is unsafe. They freeze their objects on the way out (``_init_worker``). They ignore
SIGINT and SIGTERM: Ctrl-C and SIGTERM reach the main process, whose ``worker_pool`` then
cancels what has not started, kills the workers and waits for them, before the report's
staging directory is removed. A worker whose main process died (``kill -9``) ends itself
(``parity._util.parent``).
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.util
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TextIO, TypeVar

from parity._util.parent import exit_with_parent
from parity._util.progress import Progress

T = TypeVar("T")
JOBS_MEANING = "worker processes; 1 runs everything in this process"


@dataclass
class Batch(Generic[T]):
    """Calls ``fn(*args)`` for every ``args`` of ``items``: submitted to workers
    (``futures``, one per item) or, with ``futures`` None, run when collected; then, with
    ``progress``, as ``fn(*args, progress=bar)`` (a ``progress(done, total)`` callback)."""

    fn: Callable[..., T]
    items: list[tuple[Any, ...]]
    futures: list[Future[T]] | None = None
    progress: bool = False

    def results(self, label: str, stream: TextIO | None) -> list[T]:
        """Every call's result, in the order of ``items``, with a progress bar ``label`` on
        ``stream``. A call's exception is raised here (from a worker: with its traceback as
        the cause) as soon as it arrives."""
        with Progress(label, len(self.items), stream) as bar:
            if self.futures is None:
                done = []
                for args in self.items:
                    done.append(self.fn(*args, progress=bar) if self.progress else self.fn(*args))
                    bar.advance()
                return done
            for future in as_completed(self.futures):
                future.result()  # raise the first failure now, not after the rest
                bar.advance()
            return [future.result() for future in self.futures]


def _in_worker(fn: Callable[..., T], args: tuple[Any, ...], threads: int, device: str) -> T:
    """``fn(*args)`` in a worker, under the main process's thread limits and device mode."""
    import torch_impl
    from parity._util.threads import limit_threads

    with limit_threads(threads), torch_impl.parity_mode(device):
        return fn(*args)


def _init_worker() -> None:
    """A worker's initializer: Ctrl-C and SIGTERM are the main process's to handle; at the
    worker's exit its objects are frozen (``gc.freeze``), so that the interpreter's shutdown
    does not collect them one by one (~1 s per worker with torch loaded, waited for by
    ``pool.shutdown``); the OS takes them back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    multiprocessing.util.Finalize(None, gc.freeze, exitpriority=-100)  # after the others
    exit_with_parent()  # a kill -9 of the main process must not orphan the worker


@dataclass(frozen=True)
class Workers:
    """Where a batch runs: ``pool`` (None: here, when collected), and the ``threads`` and
    ``device`` every call runs with in a worker."""

    pool: ProcessPoolExecutor | None = None
    threads: int = 1
    device: str = "cpu"

    def start(
        self, fn: Callable[..., T], items: Sequence[tuple[Any, ...]], *, progress: bool = False
    ) -> Batch[T]:
        """``fn`` over ``items`` (argument tuples), submitted now if there is a pool;
        ``progress``: run here, ``fn`` also takes ``progress=`` (see :class:`Batch`).

        With a pool ``fn`` must be picklable: a module-level function (or a
        ``functools.partial`` of one), its arguments and result picklable too."""
        if self.pool is None:
            return Batch(fn, list(items), progress=progress)
        futures = [
            self.pool.submit(_in_worker, fn, args, self.threads, self.device) for args in items
        ]
        return Batch(fn, list(items), futures)


def check_count(name: str, value: object, meaning: str) -> int:
    """``value`` if it is an int >= 1; otherwise a TypeError or ValueError naming ``name``,
    the value and what it counts (``meaning``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{name} must be an int >= 1 ({meaning}), got {type(value).__name__} {value!r}"
        )
    if value < 1:
        raise ValueError(f"{name} must be >= 1 ({meaning}), got {value}")
    return value


@contextmanager
def worker_pool(jobs: int, *, threads: int = 1, device: str = "cpu") -> Iterator[Workers]:
    """:class:`Workers` for the block: ``jobs`` spawned processes, or none for ``jobs=1``.

    On the way out every worker has exited. If the block raises (an error, Ctrl-C, SIGTERM
    turned into KeyboardInterrupt), calls not yet started are cancelled and running ones
    killed, instead of being waited for."""
    if check_count("jobs", jobs, JOBS_MEANING) == 1:
        yield Workers(None, threads, device)
        return
    pool = ProcessPoolExecutor(
        jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker
    )
    try:
        yield Workers(pool, threads, device)
    except BaseException:
        _kill(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _kill(pool: ProcessPoolExecutor) -> None:
    """Kill ``pool``'s workers (they ignore SIGTERM) and wait for them; the pool then sees
    them gone, fails what was pending, and ``shutdown`` joins its manager thread.

    CPython keeps the workers in ``_processes`` (Python 3.14 adds ``kill_workers()``)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.kill()
    for process in processes:
        process.join()
