"""The limits every user input is held to, stated once, and a wall-clock limit for one step.

Each limit is checked before work starts and named in the error when it is passed; where a user
may really want more, ``--force`` lifts it with a warning of the time and memory it will take.

A wall-clock limit for one step, so that no input can stall the checker:

SIGALRM interrupts SymPy wherever it is; outside the main thread (or on a platform without it)
the limit is not enforced and the work simply runs to the end.

>>> with time_limit(5):
...     1 + 1
2
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from contextlib import contextmanager

from symbp.errors import SymbpError

MAX_LAYERS = 100
"""Weight layers of a network."""
MAX_UNITS = 100_000
"""Units of one layer."""
MAX_PARAMETERS = 50_000_000
"""Parameters of a network that is compiled or trained (400 MB of float64 weights); --force."""
MAX_SYMBOLIC_PARAMETERS = 100_000
"""Parameters of a network that is derived or checked, one SymPy derivation each (200-100-10,
21,110 parameters: 16 s and 110 MB without the proof; 784-1024-10: minutes and gigabytes);
--force lifts it for ``symbp derive``."""
WARN_SYMBOLIC_PARAMETERS = 10_000
"""Past this many parameters ``symbp derive`` warns that it will take a while."""
MAX_CHECK_SECONDS = 120.0
"""Wall-clock seconds for all the steps of one document together (each step also has its own
limit); steps still unchecked when it runs out are reported unreadable with that reason."""
MAX_EXAMPLES = 1_000_000
"""m, the number of examples the cost is the mean over."""
MAX_PROOF_EXAMPLES = 100
"""m for a proof or a check: the composed objective holds m copies of the network (2-3-2 with
m = 64: 9 s, m = 1000: 67 s); ``symbp derive --force`` lifts it."""
MAX_L2 = 10**6
"""The L2 strength lambda."""
MAX_HEADER_CHARS = 2_000
"""Characters on the ``% symbp:`` line of a document."""
MAX_DOCUMENT_BYTES = 2_000_000
"""Bytes of a document given to ``symbp check``."""
MAX_DATA_BYTES = 500_000_000
"""Bytes of a CSV or NPZ data file (and of one array in an NPZ); --force lifts it."""
MAX_DATA_VALUES = 50_000_000
"""Numbers in a data set (rows x columns); --force lifts it."""
MAX_CLASSES = 10_000
"""Distinct labels of a data set."""
MAX_EPOCHS = 10_000_000
"""Epochs of ``symbp train``."""


def check_symbolic_parameters(network: str, count: int, force: bool = False) -> None:
    """Refuse, before any work, a network of more than MAX_SYMBOLIC_PARAMETERS parameters
    (``force`` lifts it: the caller warns of the time it takes).

    >>> check_symbolic_parameters("784-1024-10", 814_090)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.SymbpError: 784-1024-10 has 814,090 parameters, past the limit of 100,000 ...
    """
    if count > MAX_SYMBOLIC_PARAMETERS and not force:
        raise SymbpError(
            f"{network} has {count:,} parameters, past the limit of "
            f"{MAX_SYMBOLIC_PARAMETERS:,} for a symbolic derivation "
            "(symbp.limits.MAX_SYMBOLIC_PARAMETERS); symbp derive --force goes past it "
            "(minutes, gigabytes)"
        )


def warn(message: str) -> None:
    """One warning line on stderr (a limit lifted with --force: the time or memory it takes)."""
    print(f"symbp: warning: {message}", file=sys.stderr)


class TimeUp(Exception):
    """The step ran past its time limit."""


REFIRE_SECONDS = 0.25


@contextmanager
def time_limit(seconds: float):
    """Raise :class:`TimeUp` inside the block after ``seconds``; nested limits keep the outer."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return
    outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    if outer_left and outer_left < seconds:
        yield
        return
    fired: list[bool] = []

    def _raise(signum, frame):  # noqa: ARG001 - the signal handler's signature
        fired.append(True)
        raise TimeUp()

    previous = signal.signal(signal.SIGALRM, _raise)
    # after the first alarm, one every REFIRE_SECONDS until the block ends: a TimeUp that some
    # library swallows (an ``except Exception`` inside SymPy) is raised again, never lost
    signal.setitimer(signal.ITIMER_REAL, seconds, REFIRE_SECONDS)
    try:
        yield
        # NOTE: a TimeUp raised inside a callback (a garbage-collection hook, a __del__) is
        # swallowed there and the block runs on to the end: the step still ran past its limit.
        if fired:
            raise TimeUp()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:
            left = outer_left - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)
