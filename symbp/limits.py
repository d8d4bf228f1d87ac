"""A wall-clock limit for one step, so that no input can stall the checker.

SIGALRM interrupts SymPy wherever it is; outside the main thread (or on a platform without it)
the limit is not enforced and the work simply runs to the end.

>>> with time_limit(5):
...     1 + 1
2
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager


class TimeUp(Exception):
    """The step ran past its time limit."""


def _raise(signum, frame):  # noqa: ARG001 - the signal handler's signature
    raise TimeUp()


@contextmanager
def time_limit(seconds: float):
    """Raise :class:`TimeUp` inside the block after ``seconds``; nested limits keep the outer."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    if outer_left and outer_left < seconds:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:
            left = outer_left - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
