"""``symbp check`` on a staged derivation of self-attention's backward pass (issue 11): dV, dP,
dS through the softmax's Jacobian, dQ and dK with 1/sqrt(d_k), the weights and dX, judged
against the chain rule over the layer's own forward equations, with hints for the usual
mistakes (tests/check_corpus/layers_attention.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.check.attention import AttentionChecker
from symbp.check.attention_hints import MISTAKES
from symbp.check.report import check_text
from symbp.check.split import Side, Step
from symbp.model import layered_network

CORPUS = Path(__file__).parent / "check_corpus" / "layers_attention.md"
NET = ("3x2", "attention(2) meanpool dense(2,softmax)")
SUM = "a sum over i is missing"
ORDER = "an index order or a transpose is wrong"
DIAGONAL = "the softmax Jacobian is not diagonal"
SCALE = "the scale 1/sqrt(d_k) is missing"
EXPECTED = {
    1: ("valid", None),  # dV = P^T dA
    2: ("invalid", SUM),
    3: ("invalid", "P is transposed"),
    4: ("valid", None),  # dP = dA V^T
    5: ("valid", None),  # dS = P o (dP - rowsum(P o dP))
    6: ("valid", None),  # the full Jacobian, with Kronecker's delta
    7: ("invalid", DIAGONAL),  # dS = P o dP
    8: ("invalid", DIAGONAL),  # dS = P o (1 - P) o dP
    9: ("invalid", "sign error"),
    10: ("valid", None),  # dQ = dS K / sqrt(d_k)
    11: ("invalid", SCALE),
    12: ("invalid", "not 1/d_k"),
    13: ("invalid", "dS is transposed"),
    14: ("invalid", "j runs over the T positions in dC/dS_{ij} but over the d_k columns in K_{kj}"),
    15: ("valid", None),  # dK = dS^T Q / sqrt(d_k)
    16: ("invalid", "dK needs dS^T, not dS"),
    17: ("invalid", SCALE),
    18: ("valid", None),  # dW_q = dQ^T X
    19: ("valid", None),
    20: ("valid", None),
    21: ("invalid", SUM),
    22: ("invalid", ORDER),  # dW_q = X^T dQ
    23: ("valid", None),  # dX: the three paths
    24: ("invalid", "the path through K is missing"),
    25: ("invalid", "the paths through Q and K are missing"),
    26: ("valid", None),  # dX through dS, written out
    27: ("valid", None),  # shorthand dV, dA; 0-based
    # matrix form, expanded into entries
    28: ("valid", None),  # dV = P^T dA
    29: ("invalid", "P is transposed"),
    30: ("valid", None),  # dP = dA V^T
    31: ("valid", None),  # dS = P o (dP - rowsum(dP o P))
    32: ("valid", None),  # with diag(rowsum(...)) P
    33: ("valid", None),  # with (dP o P) 1 1^T
    34: ("invalid", DIAGONAL),
    35: ("valid", None),  # dQ = dS K / sqrt(d_k)
    36: ("invalid", SCALE),
    37: ("shape mismatch", "K should not be transposed"),
    38: ("invalid", "dS is transposed"),
    39: ("valid", None),  # dK = dS^T Q / sqrt(d_k)
    40: ("invalid", "dK needs dS^T, not dS"),
    41: ("valid", None),  # dW_q = dQ^T X
    42: ("shape mismatch", "the right side is transposed"),  # X^T dQ
    43: ("valid", None),  # dX: the three paths
    44: ("invalid", "the path through K is missing"),
    45: ("invalid", None),  # one path's sign flipped: no usual mistake names it
}
CHECKER = AttentionChecker()
HINTS = {why for rows in MISTAKES.values() for _, why in rows}


@pytest.fixture(scope="module")
def report():
    return check_text(CORPUS.read_text(), layered_network(*NET, "cce"), "wikipedia")


def test_every_step_of_the_corpus_gets_its_verdict_and_only_its_hint(report):
    got = {v.line: v for v in report.steps}
    assert sorted(got) == sorted(EXPECTED)
    for line, (verdict, hint) in EXPECTED.items():
        v = got[line]
        mismatch = verdict == "shape mismatch"
        assert v.verdict == ("invalid" if mismatch else verdict), (line, v.verdict, v.method)
        if verdict == "valid":
            assert v.method.startswith("proved exactly modulo the layer's definitions"), line
            assert v.hint is None and v.counterexample is None
        elif hint is None:
            assert v.hint is None, (line, v.hint)
        else:
            assert hint in (v.hint or ""), (line, v.hint)
            assert not {h for h in HINTS if h != v.hint and h in (v.hint or "")}, line
        if mismatch:
            assert v.method.startswith("shape mismatch: "), (line, v.method)
        elif verdict == "invalid":
            assert v.counterexample["left"] != v.counterexample["right"], line
    assert report.exit_status == 1


def test_each_named_mistake_appears_in_the_corpus(report):
    hints = {v.hint for v in report.steps if v.hint}
    for rows in MISTAKES.values():
        for _, why in rows:
            assert why in hints, why


@pytest.mark.parametrize(
    "row, verdict",
    [
        # lower case, commas between indices, W^Q, another cost letter, limits up to T
        (r"\frac{\partial L}{\partial W^{Q}_{a,b}} = \sum_{t=1}^{T} \frac{\partial L}"
         r"{\partial q_{t,a}} x_{t,b}", "valid"),
        # the Jacobian with an Iverson bracket, the scale written as a power
        (r"\frac{\partial C}{\partial S_{ij}} = \sum_{l} \frac{\partial C}{\partial P_{il}} "
         r"P_{il} ([l = j] - P_{ij})", "valid"),
        (r"\frac{\partial C}{\partial Q_{ik}} = d_k^{-1/2} \sum_{j} \frac{\partial C}"
         r"{\partial S_{ij}} K_{jk}", "valid"),
        # true because each row of P sums to 1, which P is not expanded to prove: agreed only
        (r"\frac{\partial C}{\partial V_{jk}} = \sum_{i} P_{ij} \frac{\partial C}{\partial "
         r"A_{ik}} \sum_{l} P_{il}", "valid"),
        # matrix form: \nabla, W^Q, \top, a scale written after the product
        (r"\nabla_{W^Q} L = (\nabla_Q L)^\top X", "valid"),
        (r"\frac{\partial C}{\partial K} = dS^{\top} Q \, d_k^{-1/2}", "valid"),
        (r"dV = P^{2} dA", "unreadable"),
        (r"dS = \operatorname{softmax}(S)", "unreadable"),
        (r"\frac{\partial C}{\partial Z_{ij}} = P_{ij}", "unreadable"),
        # bounded: a long sum, a large power, a division by zero, deep nesting
        (r"dV_{jk} = \sum_{i=1}^{100000} P_{ij} dA_{ik}", "unreadable"),
        (r"dV_{jk} = (P_{jj} + 1)^{100000}", "unreadable"),
        (r"dV = P^T dA / 0", "unreadable"),
        (r"dV_{jk} = " + "(" * 400 + "P_{jj}" + ")" * 400, "unreadable"),
        (r"\frac{\partial C}{\partial S_{ij}} = e^{S_{ij}}", "unreadable"),
        (r"\frac{\partial C}{\partial P_{i}} = V_{ik}", "unreadable"),
    ],
)  # fmt: skip
def test_spellings_and_edges(row, verdict):
    (v,) = check_text(f"$${row}$$", layered_network(*NET, "cce"), "wikipedia").steps
    assert v.verdict == verdict, (v.verdict, v.method, v.hint)
    if row.endswith(r"\sum_{l} P_{il}"):
        assert "not a proof" in v.method


def _cli(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "symbp", "check", *args, "--input", NET[0], "--net", NET[1],
         "--loss", "cce"], capture_output=True, text=True, timeout=300, input=stdin,
    )  # fmt: skip


def test_the_cli_exits_1_on_a_wrong_step_and_0_when_all_are_valid():
    run = _cli(str(CORPUS))
    assert run.returncode == 1, run.stderr
    assert "hint: the softmax Jacobian is not diagonal" in run.stdout
    assert "Traceback" not in run.stderr
    valid = [line for n, line in enumerate(CORPUS.read_text().splitlines(), 1)
             if EXPECTED[n][0] == "valid"][:3]  # fmt: skip
    run = _cli("-", "--json", stdin="\n".join(valid))
    assert run.returncode == 0, run.stdout + run.stderr
    assert [s["verdict"] for s in json.loads(run.stdout)["steps"]] == ["valid"] * 3


def test_the_cli_exits_2_when_no_step_can_be_read():
    run = _cli("-", stdin=r"$$\frac{\partial C}{\partial Z_{ij}} = P_{ij}$$")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr


_PIECES = [r"P_{ij}", "dV", "P^T", r"\sqrt{d_k}", r"\sum_{i=1}^{T}", r"\sum_j", "(", ")", "{",
           "}", "^", "_", "dA", r"\odot", r"\mathbf{1}", r"\operatorname{diag}(", "K_{kj}",
           "[i=j]", r"\delta_{ij}", "-", "+", "/", "0", "2", "W_q", "W^Q_{ab}",
           r"\frac{\partial C}{\partial S_{ij}}", r"\frac{\partial C}{\partial S}", "X", "T",
           r"d_k^{-1/2}", r"\nabla_V C", r"\top", r"\frac", "i", "Q_{ijk}",
           "S_{i+1,j}"]  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["dV", r"\frac{\partial C}{\partial S_{ij}}", "dX", "P_{ij}"]),
       st.lists(st.sampled_from(_PIECES), min_size=1, max_size=7))  # fmt: skip
def test_no_input_crashes_the_attention_checker(left, pieces):
    step = Step(Side(left, 0), Side(" ".join(pieces), 0), "=", 1, 0)
    verdict = CHECKER.check(step)
    assert verdict.verdict in ("valid", "invalid", "unreadable")


def test_a_sum_over_the_wrong_axis_is_named():
    tex = r"$$dV_{jk} = \sum_{i=1}^{d_k} P_{ij} dA_{ik}$$"
    (v,) = check_text(tex, layered_network(*NET, "cce"), "wikipedia").steps
    assert v.verdict == "invalid"
    assert v.hint.startswith("the sum over i runs over the d_k columns, but i indexes the T")


RESIDUAL = ("3x2", "residual(attention(2)) meanpool dense(2,softmax)")
_DX = r"\frac{\partial C}{\partial X_{ib}}"
_DA = r"\frac{\partial C}{\partial A_{ib}}"
_PATHS = [r"\frac{\partial C}{\partial Q_{ia}} (W_q)_{ab}",
          r"\frac{\partial C}{\partial K_{ia}} (W_k)_{ab}",
          r"\frac{\partial C}{\partial V_{ia}} (W_v)_{ab}"]  # fmt: skip


def _dx(identity: bool, paths=_PATHS) -> str:
    total = rf"\sum_{{a}} \left({' + '.join(paths)}\right)"
    return f"$${_DX} = {_DA + ' + ' if identity else ''}{total}$$"


@pytest.mark.parametrize(
    "tex, verdict, hint",
    [
        (_dx(True), "valid", None),
        (_dx(False), "invalid", "the identity path is missing"),
        (_dx(True, [_PATHS[0], _PATHS[2]]), "invalid", "the path through K is missing"),
        (r"$$dX = dA + dQ W_q + dK W_k + dV W_v$$", "valid", None),  # matrix form
        (r"$$dX = dQ W_q + dK W_k + dV W_v$$", "invalid", "the identity path is missing"),
        (r"$$\frac{\partial C}{\partial V_{jk}} = \sum_{i=1}^{T} P_{ij} "
         r"\frac{\partial C}{\partial A_{ik}}$$", "valid", None),  # the inner layer's, as before
    ],
)  # fmt: skip
def test_residual_attention_is_checked_with_its_identity_path(tex, verdict, hint):
    (v,) = check_text(tex, layered_network(*RESIDUAL, "cce"), "wikipedia").steps
    assert v.verdict == verdict, (v.verdict, v.method, v.hint)
    assert (hint is None and v.hint is None) or hint in (v.hint or ""), v.hint
    if verdict == "invalid":
        assert v.counterexample["instance"].endswith("(residual)")


def test_the_truth_sizes_follow_the_network():
    """d = d_k = 3: the step with sqrt(3) written out is true of this network (proved at its
    own sizes), and refuted on the default sizes (d_k = 2 and 4) of a d_k = 2 network."""
    tex = (r"$$\frac{\partial C}{\partial Q_{ik}} = \frac{1}{\sqrt{3}} \sum_{j} "
           r"\frac{\partial C}{\partial S_{ij}} K_{jk}$$")  # fmt: skip
    own = layered_network("4x3", "attention(3) meanpool dense(2,softmax)", "cce")
    (v,) = check_text(tex, own, "wikipedia").steps
    assert v.verdict == "valid" and "T=3, d=3, d_k=3 and T=2, d=3, d_k=3" in v.method
    (v,) = check_text(tex, layered_network(*NET, "cce"), "wikipedia").steps
    assert v.verdict == "invalid"


def test_wide_networks_keep_the_default_sizes():
    from symbp.check.attention import SIZES, attention_checker

    wide = layered_network("4x8", "attention(6) meanpool dense(2,softmax)", "cce")
    assert attention_checker(wide).sizes == SIZES
    plain = layered_network("3x2", "meanpool dense(2,softmax)", "cce")
    assert attention_checker(plain) is None
