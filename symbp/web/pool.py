"""A pool of worker processes, each job under a wall-clock limit and a memory cap.

The checker's per-step ``SIGALRM`` limit works only in a main thread, and a web server answers
requests on many; so every check or derive runs in a worker process of its own. The parent waits
for the answer at most ``seconds``, then kills the worker (the job with it) and starts another.
The worker caps its own address space with ``resource.setrlimit(RLIMIT_AS)``, so that a job
that grows past it gets ``MemoryError`` instead of taking the machine. A worker that dies for
any other reason (killed from outside, a crash deep in a parser) is replaced the same way.

A job is a picklable function named by the server's code and its arguments; nothing a user
typed is ever turned into code.

>>> import asyncio, operator
>>> async def demo():
...     pool = WorkerPool(size=1, memory_mib=1024)
...     try:
...         return await pool.run(operator.add, 2, 3, seconds=60)
...     finally:
...         pool.close()
>>> asyncio.run(demo())
5
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from symbp.errors import SymbpError

DEFAULT_MEMORY_MIB = 2048
QUEUE_PER_WORKER = 20  # jobs that may wait for a busy pool, per worker; one more is refused
START_SECONDS = 120  # a fresh worker imports SymPy; on a busy machine that takes a while


class JobFailed(SymbpError):
    """A job ran past its time limit, ran out of memory, or its worker died."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind  # "time", "memory", "died", "error" (the input's), "internal", "busy"


class PoolBusy(JobFailed):
    """Every worker is busy and the queue is full: the request is refused, not queued."""

    def __init__(self, waiting: int) -> None:
        super().__init__(
            f"the server is busy: every worker is running a job and {waiting} more are waiting "
            "(the queue's limit); try again in a few seconds",
            "busy",
        )


def default_size() -> int:
    """Workers for this machine: one per usable CPU, at least two (so one stuck job never
    blocks the next request).

    >>> default_size() >= 2
    True
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(2, cpus)


def _worker_main(conn, memory_mib: int) -> None:
    """The loop of one worker process: cap memory, say ready, answer jobs until the pipe
    closes."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one thread, one small arena
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import resource

    from symbp.web import jobs

    jobs.warm_up()  # the imports and parser tables every job needs, before the cap and "ready"

    cap = memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        conn.send(("ready", os.getpid()))
    except OSError:  # the pool closed while this worker started
        return
    while True:
        try:
            func, args = conn.recv()
            conn.send(("started", None))
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", func(*args)))
        except MemoryError:
            conn.send(("memory", None))
            return  # a worker that ran out of memory is not trusted with the next job
        except RecursionError:
            conn.send(("error", "the input is nested too deeply to read"))
        except SymbpError as error:
            conn.send(("error", str(error)))
        except Exception as error:  # noqa: BLE001 - one line to the user, never a traceback
            conn.send(("internal", f"internal error ({type(error).__name__}): {error}"))


class _Worker:
    def __init__(self, memory_mib: int) -> None:
        ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, memory_mib), daemon=True)
        self.process.start()
        child.close()

    def wait_ready(self) -> bool:
        if not self.conn.poll(START_SECONDS):
            return False
        try:
            return self.conn.recv()[0] == "ready"
        except (EOFError, OSError):
            return False

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def call(self, func: Callable, args: tuple, seconds: float, memory_mib: int) -> Any:
        """Run one job; raise JobFailed (and leave the worker dead) past the limits."""
        deadline = time.monotonic() + seconds
        try:
            self.conn.send((func, args))
            started = self.conn.poll(seconds) and self.conn.recv()[0] == "started"
        except (EOFError, OSError):  # it died before it took the job: the job is not to blame
            raise JobFailed("the worker was gone", "lost") from None
        try:
            answered = started and self.conn.poll(max(deadline - time.monotonic(), 0))
            message = self.conn.recv() if answered else None
        except (EOFError, OSError):
            raise JobFailed("the worker stopped before answering", "died") from None
        if message is None:
            self.kill()
            raise JobFailed(f"took longer than the limit of {seconds:g} s and was stopped", "time")
        status, value = message
        if status == "ok":
            return value
        if status == "memory":
            self.kill()
            raise JobFailed(f"needed more than the memory limit of {memory_mib} MiB", "memory")
        raise JobFailed(value, status)  # "error" (the input's) or "internal"


class WorkerPool:
    """``size`` worker processes; :meth:`run` awaits a free one and runs a job on it. While
    every worker is busy at most ``queue_per_worker * size`` jobs wait; past that :meth:`run`
    raises :class:`PoolBusy` at once."""

    def __init__(
        self,
        size: int | None = None,
        memory_mib: int = DEFAULT_MEMORY_MIB,
        queue_per_worker: int = QUEUE_PER_WORKER,
    ) -> None:
        self.size = size or default_size()
        self.memory_mib = memory_mib
        self.max_waiting = queue_per_worker * self.size
        self.waiting = 0  # jobs awaiting a free worker now
        self._threads = ThreadPoolExecutor(max_workers=self.size + 2, thread_name_prefix="symbp")
        self._idle: asyncio.Queue[_Worker] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: set[_Worker] = set()
        self._busy: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.replaced = 0

    def pids(self) -> list[int]:
        """The process ids of the live workers (for tests and the log)."""
        with self._lock:
            return sorted(w.pid for w in self._workers if w.alive() and w.pid)

    def busy_pids(self) -> list[int]:
        """The process ids of the workers running a job now."""
        with self._lock:
            return sorted(w.pid for w in self._busy if w.pid)

    async def start(self) -> None:
        """Start every worker and wait until each has imported symbp."""
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        started = [self._loop.run_in_executor(self._threads, self._spawn) for _ in range(self.size)]
        for worker in await asyncio.gather(*started):
            self._idle.put_nowait(worker)

    def _spawn(self) -> _Worker:
        while True:
            worker = _Worker(self.memory_mib)
            if worker.wait_ready():
                with self._lock:
                    self._workers.add(worker)
                return worker
            worker.kill()
            if self._closed:
                raise JobFailed("the server is shutting down", "died")

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and, in the background, put a fresh one in its place."""
        with self._lock:
            self._workers.discard(worker)
            self._busy.discard(worker)
        worker.kill()
        if self._closed:
            return
        self.replaced += 1

        def fresh() -> None:
            new = self._spawn()
            if self._closed:
                new.kill()
            elif self._loop is not None and self._idle is not None:
                self._loop.call_soon_threadsafe(self._idle.put_nowait, new)

        self._threads.submit(fresh)

    async def run(self, func: Callable, *args: Any, seconds: float) -> Any:
        """``func(*args)`` in a worker, answered within ``seconds`` or :class:`JobFailed`."""
        if self._idle is None or self._loop is None:
            await self.start()
        if self._idle.empty() and self.waiting >= self.max_waiting:
            raise PoolBusy(self.waiting)
        while True:
            self.waiting += 1
            try:
                worker = await self._idle.get()
            finally:
                self.waiting -= 1
            if not worker.alive():
                self._replace(worker)  # died while idle (killed from outside): no job lost
                continue
            with self._lock:
                self._busy.add(worker)
            try:
                result = await self._loop.run_in_executor(
                    self._threads, worker.call, func, args, seconds, self.memory_mib
                )
            except JobFailed as failure:
                if failure.kind in ("error", "internal"):
                    self._release(worker)
                    raise
                self._replace(worker)
                if failure.kind == "lost":  # it never started the job: give it to another
                    continue
                raise
            except BaseException:  # cancelled while the job runs: the worker's state is unknown
                self._replace(worker)
                raise
            self._release(worker)
            return result

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
        self._idle.put_nowait(worker)

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            worker.kill()
        self._threads.shutdown(wait=False, cancel_futures=True)
