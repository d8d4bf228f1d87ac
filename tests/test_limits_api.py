"""The limits hold for the Python API too, not only on the command line."""

from __future__ import annotations

import pytest

from symbp import limits
from symbp.check import check_text
from symbp.derive.concrete import derive
from symbp.errors import SymbpError
from symbp.model import network

STEPS = r"$$\frac{\partial C}{\partial b^l_j} = \delta^l_j$$" + "\n"


def test_derive_refuses_a_network_past_the_symbolic_parameter_limit():
    with pytest.raises(SymbpError, match="MAX_SYMBOLIC_PARAMETERS"):
        derive(network([400, 300, 10]))  # 123,310 parameters


def test_check_text_refuses_a_document_past_the_size_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_DOCUMENT_BYTES", 100)
    with pytest.raises(SymbpError, match="MAX_DOCUMENT_BYTES"):
        check_text(STEPS * 5, network([2, 3, 2]))


def test_a_document_past_its_whole_time_limit_leaves_the_rest_unchecked(monkeypatch):
    report = check_text(STEPS * 3, network([2, 3, 2]))
    assert [s.verdict for s in report.steps] == ["valid"] * 3
    monkeypatch.setattr(limits, "MAX_CHECK_SECONDS", 0.0)
    report = check_text(STEPS * 3, network([2, 3, 2]))
    assert [s.verdict for s in report.steps] == ["unreadable"] * 3
    assert all("MAX_CHECK_SECONDS" in s.method for s in report.steps)
    assert report.exit_status != 0


def test_a_swallowed_time_limit_fires_again() -> None:
    """A library that catches the first TimeUp (SymPy has ``except Exception`` blocks) must not
    turn a step limit into an unbounded run: the alarm repeats until the block ends."""
    import time

    from symbp.limits import TimeUp, time_limit

    started = time.monotonic()
    swallowed = []
    with pytest.raises(TimeUp):
        with time_limit(0.2):
            try:
                while True:
                    pass
            except TimeUp:
                swallowed.append(True)  # what an ``except Exception`` inside a library does
            while time.monotonic() - started < 5:
                pass
    assert swallowed and time.monotonic() - started < 2
