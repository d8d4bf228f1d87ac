"""No false verdict: values that are not finite, constant gaps, sums and products over plain
letters, huge computations and too many free indices (issue 9)."""

from __future__ import annotations

import pytest

from symbp.check.report import check_text
from symbp.check.split import extract_steps
from symbp.check.verdict import CHECKER_ERROR
from symbp.model import network

NET = network([2, 3, 2])


def _verdict(step: str, net=NET, notation: str = "wikipedia"):
    return check_text(f"$${step}$$", net, notation).steps[0]


@pytest.mark.parametrize(
    ("step", "verdict", "why"),
    [
        (r"\frac{\partial C}{\partial w^l_{jk}} = e^{800}", "unreadable", "overflows"),
        (r"e^{1000000} = 1", "unreadable", "overflows"),
        (r"\frac{\partial C}{\partial z^l_j} = \delta^l_j + 10^{-9}", "invalid", "differ"),
        (r"\frac{\partial C}{\partial z^l_j} = \delta^l_j + 10^{-25}", "invalid", "constant"),
        (r"1 = 1.000000001", "invalid", "differ"),
        (r"\sum_{j=1}^{3} j = 6", "valid", "proved"),
        (r"\sum_{j=1}^{3} j = 3", "invalid", "differ"),
        (r"\sum_{n=1}^{4} n^2 = 30", "valid", "proved"),
        (r"\prod_{n=1}^{10^9} n = 1", "unreadable", "more than 10,000 terms"),
        (r"\prod_{n=1}^{4} n = 24", "valid", "proved"),
        (r"100000000000! = 1", "unreadable", "too large"),
        (r"\Gamma(10^{10}) = 1", "unreadable", "too large"),
        (r"2^{10^{10}} = 1", "unreadable", "too large"),
        (r"\operatorname{ReLU}'(z) = 1", "invalid", "differ"),
        (r"\max(0, z) = z", "invalid", "differ"),
        (r"H(z) = 1", "unreadable", "unknown function H"),
    ],
)
def test_no_false_verdict(step, verdict, why):
    got = _verdict(step)
    assert (got.verdict, why in got.method) == (verdict, True), got.method
    assert not got.method.startswith(CHECKER_ERROR)


def test_a_tiny_gap_shows_in_the_counterexample():
    got = _verdict(r"1 = 1.000000001")
    assert got.counterexample["left"] != got.counterexample["right"]


def test_plain_letters_are_tried_on_both_sides_of_zero_and_past_one():
    assert _verdict(r"\sqrt{u^2} = u").verdict == "invalid"
    assert _verdict(r"\sigma'(z) = \sigma(z)(1 - \sigma(z))").verdict == "valid"


def test_many_free_indices_are_refused_early_with_the_limit_named():
    step = r"a^p_i a^q_j a^r_k a^s_m a^t_n a^u_o a^v_h a^x_g = 0"
    got = _verdict(step, network([2, 3, 3, 2]))
    assert got.verdict == "unreadable"
    assert "combinations" in got.method and "limit" in got.method


@pytest.mark.parametrize("opener", ["$$", "\\[", "\\begin{equation}", "```math\n"])
def test_unclosed_displays_are_skipped_and_later_ones_read(opener):
    doc = "\\[ c = d \\]\n" + opener + " a = b " * 2000
    assert [s.source for s in extract_steps(doc)] == ["c = d"]
    if opener != "$$":
        doc = opener * 2000 + "\n$$ c = d $$"
        assert [s.source for s in extract_steps(doc)] == ["c = d"]


def test_align_inside_dollars_is_read_row_by_row():
    doc = r"$$\begin{align} a^l_j &= f(z^l_j) \\ z^l_j &= b^l_j \end{align}$$"
    assert [s.source for s in extract_steps(doc)] == ["a^l_j = f(z^l_j)", "z^l_j = b^l_j"]
