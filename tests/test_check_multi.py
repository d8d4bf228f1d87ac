"""``symbp check`` on the multi-index steps of attention, meanpool, last and lstm layers, in
the writeups' own notation (issues 8 and 11): symbp's own writeups are judged valid, and wrong
variants of their steps invalid with a counterexample (and a hint for the usual mistakes);
a step read in a way the checker is not sure of is unreadable, never valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from symbp.check.report import check_text
from symbp.latex.writeup_layers import render_layers
from symbp.model import layered_network

ATTENTION = ("3x2", "attention(2) meanpool dense(2,softmax)")
LSTM = ("3x2", "lstm(2) last dense(2,softmax)")


def _verdict(net: tuple[str, str], step: str, notation: str = "wikipedia"):
    report = check_text(f"$${step}$$", layered_network(*net, "cce"), notation)
    (verdict,) = report.steps
    return verdict


@pytest.mark.parametrize("net", [ATTENTION, LSTM, ("3x2", "residual(attention(2)) last "
                                                    "dense(2,softmax)")])  # fmt: skip
@pytest.mark.parametrize("notation", ["wikipedia", "nielsen"])
def test_symbps_own_multi_layer_steps_are_valid(net, notation) -> None:
    """Every step of the attention/meanpool/last/lstm sections is read and proved; nothing of
    the writeup is invalid."""
    network = layered_network(*net, "cce")
    report = check_text(render_layers(network, notation, "markdown"), network, notation)
    invalid = [(v.line, v.source[:70]) for v in report.steps if v.verdict == "invalid"]
    assert not invalid, invalid
    placed = [v for v in report.steps if "multi-equation" not in v.method
              and ("proved on every entry of an instance" in v.method)]  # fmt: skip
    assert len(placed) >= 30, len(placed)


CORPUS = Path(__file__).parent / "check_corpus" / "layers_attention_writeup.md"
EXPECTED = {  # line: (verdict, hint words or None) of the corpus, in the writeups' notation
    1: ("valid", None),  # dq with 1/sqrt(d_k)
    2: ("valid", None),  # dS through the softmax Jacobian
    3: ("valid", None),  # meanpool's forward equation
    4: ("valid", None),  # the Jacobian per entry, with Iverson brackets
    5: ("valid", None),  # the input gradient: three paths
    6: ("invalid", "the scale 1/sqrt(d_k) is missing"),
    7: ("invalid", "not 1/d_k"),
    8: ("invalid", "the softmax Jacobian is not diagonal"),
    9: ("invalid", "diag(p) - p p^T"),
    10: ("invalid", "sign error"),
    11: ("invalid", "a sum over t is missing"),
    12: ("invalid", "the indices of P are swapped"),
    13: ("invalid", "the factor 1/T is missing"),
    14: ("invalid", None),  # a forward equation without its 1/T: no derived mistake names it
    15: ("invalid", "the term through k"),
    16: ("unreadable", "only through"),  # da/dS: a reads S only through P
}


def test_the_writeup_notation_corpus_gets_its_verdicts_and_hints() -> None:
    network = layered_network(*ATTENTION, "cce")
    got = {v.line: v for v in check_text(CORPUS.read_text(), network, "wikipedia").steps}
    assert sorted(got) == sorted(EXPECTED)
    for line, (verdict, words) in EXPECTED.items():
        v = got[line]
        assert v.verdict == verdict, (line, v.verdict, v.method)
        if verdict == "valid":
            assert "proved" in v.method, (line, v.method)
        elif verdict == "invalid":
            example = v.counterexample
            assert example is not None, line
            if "sum over" not in (words or ""):
                assert example["left"] != example["right"], line
            assert (words is None and v.hint is None) or words in (v.hint or ""), (line, v.hint)
        else:
            assert words in v.method, (line, v.method)


VALID = [
    (LSTM, r"\frac{\partial C}{\partial c_{t,j}^{1}} = \frac{\partial C}{\partial s_{t,j}^{1}} "
           r"\left(1 - \left(s_{t,j}^{1}\right)^{2}\right) + f_{t + 1,j}^{1} \frac{\partial C}"
           r"{\partial c_{t + 1,j}^{1}}"),
]  # fmt: skip


@pytest.mark.parametrize("net, step", VALID)
def test_hand_written_steps_in_the_writeups_notation_are_proved(net, step) -> None:
    verdict = _verdict(net, step)
    assert verdict.verdict == "valid" and "proved" in verdict.method, verdict.method


WRONG = [  # (net, step, hint or None): each a usual mistake in a printed lstm step
    (LSTM, r"\frac{\partial C}{\partial c_{t,j}^{1}} = \frac{\partial C}{\partial s_{t,j}^{1}} "
           r"\left(1 - \left(s_{t,j}^{1}\right)^{2}\right)", "through c"),  # no carousel
    (LSTM, r"\frac{\partial C}{\partial c_{t,j}^{1}} = \frac{\partial C}{\partial s_{t,j}^{1}} "
           r"\left(1 - \left(s_{t,j}^{1}\right)^{2}\right) + f_{t,j}^{1} \frac{\partial C}"
           r"{\partial c_{t + 1,j}^{1}}", None),  # the forget gate of the wrong step
]  # fmt: skip


@pytest.mark.parametrize("net, step, hint", WRONG)
def test_wrong_steps_are_invalid_with_a_counterexample(net, step, hint) -> None:
    verdict = _verdict(net, step)
    assert verdict.verdict == "invalid", (verdict.verdict, verdict.method)
    example = verdict.counterexample
    assert example["left"] != example["right"] and example["indices"] is not None
    if hint is not None:
        assert verdict.hint is not None and hint in verdict.hint, verdict.hint
    else:
        assert verdict.hint is None or "sign" not in verdict.hint


def test_a_derivative_through_other_arrays_is_unreadable_not_judged() -> None:
    """a reads S only through P: the derivative of a's own equation by S would be 0, which is
    not what the step means, so it is not read (never invalid by reading it wrongly)."""
    step = (r"\frac{\partial C}{\partial S_{m,l}^{1}} = \sum_{t,c} \frac{\partial C}{\partial "
            r"a_{t,c}^{1}} \frac{\partial a_{t,c}^{1}}{\partial S_{m,l}^{1}}")  # fmt: skip
    verdict = _verdict(ATTENTION, step)
    assert verdict.verdict == "unreadable" and "only through" in verdict.method


def test_a_sum_whose_range_cannot_be_told_is_unreadable() -> None:
    step = r"\frac{\partial C}{\partial v_{i,j}^{1}} = \sum_{w} P_{i,j}^{1}"
    verdict = _verdict(ATTENTION, step)
    assert verdict.verdict == "unreadable" and "range of w" in verdict.method


def test_a_broken_iverson_bracket_row_is_joined() -> None:
    """The Markdown layout breaks a long row inside [t = tau - 1]: the two rows are one."""
    text = (
        "```math\n\\begin{aligned}\n"
        r"\frac{\partial C}{\partial h_{t,j}^{1}} &= \frac{\partial C}{\partial a_{t,j}^{1}} + "
        r"\sum_{\tau,k} [t = \tau \\" "\n"
        r" &\quad {}- 1] \left(W^{1}_{h}\right)_{k,j} \frac{\partial C}{\partial "
        r"{z^{(i)}}_{\tau,k}^{1}} + \sum_{k} \left(W^{1}_{h}\right)_{k + n,j} \frac{\partial C}"
        r"{\partial {z^{(f)}}_{t + 1,k}^{1}} + \sum_{k} \left(W^{1}_{h}\right)_{2 n + k,j} "
        r"\frac{\partial C}{\partial {z^{(g)}}_{t + 1,k}^{1}} + \sum_{k} \left(W^{1}_{h}"
        r"\right)_{3 n + k,j} \frac{\partial C}{\partial {z^{(o)}}_{t + 1,k}^{1}}" "\n"
        "\\end{aligned}\n```\n"
    )  # fmt: skip
    (verdict,) = check_text(text, layered_network(*LSTM, "cce"), "wikipedia").steps
    assert verdict.verdict == "valid", verdict.method
    wrong = text.replace("[t = \\tau \\\\\n &\\quad {}- 1]", "[t = \\tau \\\\\n &\\quad {}+ 1]")
    (verdict,) = check_text(wrong, layered_network(*LSTM, "cce"), "wikipedia").steps
    assert verdict.verdict == "invalid"


def test_odd_steps_get_a_verdict_never_a_traceback() -> None:
    """A size alone on a side, an entry with the wrong number of indices, an unknown array, a
    sum over an index that is also free: each a verdict (a size alone is a number, 3 here)."""
    steps = [
        r"e^{S_{t,w}^{1}} = T",
        r"P_{t}^{1} = 1",
        r"Z_{t,u}^{1} = P_{t,u}^{1}",
        r"\frac{\partial C}{\partial v_{i,j}^{1}} = \sum_{i} P_{i,j}^{1} v_{i,j}^{1}",
    ]
    verdicts = [_verdict(ATTENTION, s) for s in steps]
    assert verdicts[0].verdict == "invalid" and verdicts[0].counterexample["right"] == "3"
    assert [v.verdict for v in verdicts[1:3]] == ["unreadable", "unreadable"]
    assert verdicts[3].verdict == "unreadable" and "both summed and free" in verdicts[3].method
