"""``parity.report.jobs``: batches in this process and on spawned workers, collected in the
order of their items, with the main process's thread limits, failures raised."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from parity.report import Batch, Workers, worker_pool


def _late_if_first(index: int) -> tuple[int, int]:
    """``(index, torch threads)``, item 0 finishing last. Module level: picklable."""
    import torch

    if index == 0:
        time.sleep(1.0)
    return index, torch.get_num_threads()


def _exit_freezes() -> bool:
    """Whether this worker will freeze its objects at exit: a ``multiprocessing.util``
    finalizer calling ``gc.freeze``, run after the others (lowest priority)."""
    import gc
    from multiprocessing import util

    registered = util._finalizer_registry.values()  # type: ignore[attr-defined]
    return any(f._callback is gc.freeze for f in registered)


def _refuse(index: int) -> int:
    raise ValueError(f"cell {index} is broken")


@pytest.fixture(scope="module")
def workers():
    with worker_pool(2, threads=2) as workers:
        yield workers
    assert multiprocessing.active_children() == []  # shut down, nothing left


def test_results_come_in_item_order_with_the_given_threads(workers):
    batch = workers.start(_late_if_first, [(i,) for i in range(4)])
    assert batch.futures is not None and len(batch.futures) == 4
    assert batch.results("test", None) == [(0, 2), (1, 2), (2, 2), (3, 2)]
    assert batch.futures[1].done() and batch.futures[0].done()


def test_a_worker_leaves_its_objects_to_the_os_at_exit(workers):
    """Without it, each worker's exit (waited for by the pool's shutdown) collects every
    object torch loaded, one by one: ~1 s per worker on 2 cores."""
    assert workers.start(_exit_freezes, [()]).results("test", None) == [True]


def test_a_workers_failure_is_raised_in_the_main_process(workers):
    with pytest.raises(ValueError, match="cell 1 is broken"):
        workers.start(_refuse, [(1,)]).results("test", None)


def test_one_job_runs_nothing_until_collected_then_in_order_with_progress():
    calls = []

    def record(name, progress=None):
        calls.append((name, progress is not None))
        return name.upper()

    with worker_pool(1) as one:
        assert one == Workers(None, 1, "cpu")
        batch = one.start(record, [("a",), ("b",)], progress=True)
        assert calls == [] and isinstance(batch, Batch) and batch.futures is None
        assert batch.results("test", None) == ["A", "B"]
    assert calls == [("a", True), ("b", True)]


@pytest.mark.parametrize(("jobs", "error"), [(0, ValueError), (2.0, TypeError), (None, TypeError)])
def test_worker_pool_refuses_a_bad_number_of_jobs(jobs, error):
    with pytest.raises(error, match=r"^jobs must be"), worker_pool(jobs):
        pass
