"""The worker pool behind ``symbp serve``: a job past its wall-clock limit or its memory cap is
stopped with a clear error, the pool keeps serving, and a killed worker is replaced."""

from __future__ import annotations

import asyncio
import operator
import os
import signal
import time

import pytest

from symbp.web.pool import QUEUE_PER_WORKER, JobFailed, PoolBusy, WorkerPool, default_size


@pytest.fixture(scope="module")
def pool():
    pool = WorkerPool(size=2, memory_mib=1024)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def loop(pool):
    loop = asyncio.new_event_loop()
    loop.run_until_complete(pool.start())
    yield loop
    loop.close()


def run(loop, pool, func, *args, seconds=60):
    return loop.run_until_complete(pool.run(func, *args, seconds=seconds))


def settled(loop, pool):
    """The pids once every replacement has started (a fresh worker imports SymPy)."""
    deadline = time.monotonic() + 120
    while len(pool.pids()) < pool.size and time.monotonic() < deadline:
        loop.run_until_complete(asyncio.sleep(0.2))
    return pool.pids()


def test_pool_is_sized_to_the_machine():
    assert default_size() == max(2, len(os.sched_getaffinity(0)))


def test_a_job_past_its_time_limit_is_stopped_and_the_pool_goes_on(loop, pool):
    started = time.monotonic()
    with pytest.raises(JobFailed, match=r"took longer than the limit of 1 s") as failure:
        run(loop, pool, time.sleep, 30, seconds=1)
    assert failure.value.kind == "time" and time.monotonic() - started < 10
    assert run(loop, pool, operator.add, 2, 3) == 5


def test_a_job_past_the_memory_cap_gets_a_clear_error(loop, pool):
    with pytest.raises(JobFailed, match=r"more than the memory limit of 1024 MiB"):
        run(loop, pool, bytearray, 2 * 1024**3)
    assert run(loop, pool, operator.mul, 6, 7) == 42


def test_an_error_in_the_job_is_one_line_and_keeps_the_worker(loop, pool):
    before = settled(loop, pool)
    with pytest.raises(JobFailed, match=r"^internal error \(ZeroDivisionError\)") as failure:
        run(loop, pool, operator.truediv, 1, 0)
    assert failure.value.kind == "internal" and pool.pids() == before


def test_a_killed_worker_is_replaced(loop, pool):
    before = settled(loop, pool)
    assert len(before) == 2
    os.kill(before[0], signal.SIGKILL)
    results = [run(loop, pool, operator.add, i, 1) for i in range(6)]
    assert results == [1, 2, 3, 4, 5, 6]
    after = settled(loop, pool)
    assert len(after) == 2 and before[0] not in after and before[1] in after


def test_a_worker_killed_during_its_job_fails_that_job_only_and_is_replaced(loop, pool):
    settled(loop, pool)  # both workers up

    async def kill_soon():
        await asyncio.sleep(1.5)
        while len(pool.busy_pids()) != 1:  # only the sleeping job left running
            await asyncio.sleep(0.1)
        (busy,) = pool.busy_pids()
        os.kill(busy, signal.SIGKILL)
        return busy

    async def both():
        job = asyncio.ensure_future(pool.run(time.sleep, 1000, seconds=120))
        await asyncio.sleep(0.5)
        idle = pool.run(operator.add, 1, 1, seconds=60)  # the other worker serves meanwhile
        return await asyncio.gather(job, idle, return_exceptions=True)

    killer = loop.create_task(kill_soon())
    started = time.monotonic()
    failed, other = loop.run_until_complete(both())
    assert isinstance(failed, JobFailed) and failed.kind == "died" and other == 2
    assert str(failed) == "the worker stopped before answering"
    assert time.monotonic() - started < 60
    after = settled(loop, pool)
    assert len(after) == 2 and loop.run_until_complete(killer) not in after


def test_the_queue_holds_its_limit_per_worker_and_refuses_one_more_at_once(loop, pool):
    settled(loop, pool)
    sized = WorkerPool(size=3, queue_per_worker=4)
    assert sized.max_waiting == 12 and pool.max_waiting == 2 * QUEUE_PER_WORKER
    sized.close()
    pool.max_waiting = 2  # one waiting job a worker, for this test

    async def flood():
        busy = [asyncio.ensure_future(pool.run(time.sleep, 3, seconds=60)) for _ in range(2)]
        await asyncio.sleep(1)  # both workers run a job now
        waiting = [asyncio.ensure_future(pool.run(operator.add, i, 1, seconds=60)) for i in (1, 2)]
        await asyncio.sleep(0.2)
        started = time.monotonic()
        try:
            await pool.run(operator.add, 3, 1, seconds=60)
        except PoolBusy as refused:
            answer = (refused, time.monotonic() - started)
        else:
            answer = (None, 0.0)
        return answer, await asyncio.gather(*busy, *waiting)

    try:
        (refused, took), results = loop.run_until_complete(flood())
    finally:
        pool.max_waiting = 2 * QUEUE_PER_WORKER
    assert isinstance(refused, JobFailed) and refused.kind == "busy" and took < 0.5
    assert "every worker is running a job and 2 more are waiting" in str(refused)
    assert results == [None, None, 2, 3]  # the waiting jobs were answered
    assert pool.waiting == 0 and run(loop, pool, operator.add, 4, 1) == 5
