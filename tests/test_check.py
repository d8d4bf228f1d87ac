"""symbp check: the corpus in tests/check_corpus, the CLI contract, and fuzzing of the reader."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.check.grammar import parse_side
from symbp.check.render import render
from symbp.check.report import NothingToCheck, check_text
from symbp.check.split import extract_steps, header_flags
from symbp.check.verdict import CHECKER_ERROR
from symbp.cli import build_parser, main, network_from_args
from symbp.model import network

CORPUS = Path(__file__).parent / "check_corpus"
VALID = sorted(CORPUS.glob("*_valid.md"))
WRONG = sorted(CORPUS.glob("*_wrong*.md"))
EXPECT = re.compile(r"<!-- expect: (\d+) (.+?) -->")


def _check_file(path: Path):
    text = path.read_text()
    args = build_parser().parse_args(["check", str(path), *header_flags(text)])
    return text, check_text(text, network_from_args(args), args.notation)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_every_correct_step_is_valid(path):
    _, report = _check_file(path)
    bad = [(s.line, s.source, s.method) for s in report.steps if s.verdict != "valid"]
    assert bad == []
    assert report.exit_status == 0


def _wrong_cases(path: Path):
    text, report = _check_file(path)
    lines = text.split("\n")
    marks = [(n + 1, EXPECT.match(line)) for n, line in enumerate(lines) if EXPECT.match(line)]
    for (line, m), nxt in zip(marks, [*marks[1:], (len(lines) + 1, None)], strict=True):
        steps = [s for s in report.steps if line < s.line < nxt[0]]
        yield line, int(m.group(1)), m.group(2), steps


@pytest.mark.parametrize("path", WRONG, ids=lambda p: p.stem)
def test_every_wrong_step_is_invalid_at_the_right_step_with_its_hint(path):
    for line, position, mistake, steps in _wrong_cases(path):
        verdicts = [s.verdict for s in steps]
        assert verdicts[: position - 1] == ["valid"] * (position - 1), line
        wrong = steps[position - 1]
        assert wrong.verdict == "invalid", (line, wrong.method)
        assert wrong.hint is not None and mistake in wrong.hint, (line, wrong.hint)


def test_corpus_sizes():
    correct = sum(len(extract_steps(p.read_text())) for p in VALID)
    wrong = sum(1 for p in WRONG for _ in EXPECT.finditer(p.read_text()))
    assert correct >= 60 and wrong >= 40
    for notation in ("wikipedia", "nielsen", "ng"):
        texts = " ".join(p.read_text() for p in WRONG if p.name.startswith(notation))
        for mistake in (
            "transpose",
            "swapped",
            "activation derivative",
            "off-by-one",
            "sign",
            "1/m",
            "squared-error",
        ):
            assert f" {mistake} -->" in texts, (notation, mistake)


def test_counterexample_names_indices_values_and_both_sides():
    report = check_text(
        r"$$\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_j \delta^l_k$$",
        network([2, 3, 2]),
        "nielsen",
    )
    step = report.steps[0]
    assert step.verdict == "invalid" and report.exit_status == 1
    example = step.counterexample
    assert set(example["indices"]) == {"j", "k", "l"}
    assert "w^{2}_{11}" in example["values"] and "x_{1}" in example["values"]
    assert example["left"] != example["right"]


def test_identity_without_network_quantities_and_method_wording():
    report = check_text(
        r"$$\sigma'(z) = \sigma(z)(1-\sigma(z))$$ $$a^{l} = \sigma(w^l a^{l-1}+b^l)$$",
        network([2, 3, 2]),
        "nielsen",
    )
    assert [s.method for s in report.steps] == [
        "proved symbolically",
        "agreed at 3 random points for the one index value (not a proof)",
    ]


def test_unreadable_says_why_and_where():
    text = "intro\n$$\\delta^1 = (f^{1})' \\cdots \\nabla_a C$$\n$$ q = \\foo{x} $$"
    report = check_text(text, network([2, 3, 2]), "wikipedia")
    assert [s.verdict for s in report.steps] == ["unreadable", "unreadable"]
    assert "ellipsis" in report.steps[0].method and "line 2" in report.steps[0].method
    assert "\\foo" in report.steps[1].method
    assert report.exit_status == 2


def test_parse_prints_back_to_the_same_tree():
    for path in VALID:
        for step in extract_steps(path.read_text()):
            for side in (step.left, step.right):
                tree = parse_side(side.text)
                assert parse_side(render(tree)) == tree, side.text


def test_cli_json_exit_codes_stdin_and_header(tmp_path, capsys, monkeypatch):
    assert main(["check", str(CORPUS / "nielsen_wrong_mean.md"), "--json"]) == 1
    steps = json.loads(capsys.readouterr().out)["steps"]
    assert set(steps[0]) == {"source", "line", "verdict", "method", "counterexample", "hint"}
    assert steps[0]["line"] == 3 and steps[0]["verdict"] == "invalid"
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("$$\\delta^L_j = \\frac{\\partial C}{\\partial z^L_j}$$")
    )
    assert main(["check", "-"]) == 0
    assert "VALID" in capsys.readouterr().out
    empty = tmp_path / "empty.md"
    empty.write_text("")
    assert main(["check", str(empty)]) == 2
    assert main(["check", str(tmp_path / "missing.tex")]) == 2
    prose = tmp_path / "prose.md"
    prose.write_text("no equations here")
    assert main(["check", str(prose)]) == 2
    assert "error" in capsys.readouterr().err


def test_nothing_to_check_raises():
    with pytest.raises(NothingToCheck):
        check_text("just words", network([2, 2]))


PIECES = [
    "a^{l}_j",
    "w^{l+1}_{kj}",
    "\\delta^L",
    "(",
    ")",
    "{",
    "}",
    "^",
    "_",
    "=",
    "+",
    "-",
    "\\frac{",
    "\\partial ",
    "\\sum_k ",
    "\\odot ",
    "\\cdot ",
    "'",
    "\\sigma",
    "C",
    "T",
    "\\|",
    "\\left(",
    "\\right)",
    "2",
    "x",
    "\\nabla_",
    "\\log",
    "e^",
    "&",
    "\\\\",
    ".*",
    "\\Theta^{(l)}",
    "j",
    "\\operatorname{diag}",
    "\\begin{aligned}",
    "$",
    "\\",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=10),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=10),
)
def test_fuzzed_input_never_crashes(left, right):
    text = "$$" + "".join(left) + " = " + "".join(right) + "$$"
    try:
        report = check_text(text, network([2, 3, 2]), "wikipedia")
    except NothingToCheck:
        return
    assert all(s.verdict in ("valid", "invalid", "unreadable") for s in report.steps)
    assert not any(s.method.startswith(CHECKER_ERROR) for s in report.steps), report.steps


def test_network_free_identity_goes_to_the_backend_with_natural_log():
    text = "$$\\frac{1}{\\cosh^2(z)} = 1 - \\tanh^2(z)$$ $$\\log(e^{z}) = z$$ $$\\tanh(z) = 2z$$"
    report = check_text(text, network([2, 2]))
    assert [s.verdict for s in report.steps] == ["valid", "valid", "invalid"]
    assert set(report.steps[2].counterexample["values"]) == {"z"}


def test_a_step_past_its_time_limit_is_unreadable(monkeypatch):
    import symbp.check.verdict as verdict

    monkeypatch.setattr(verdict, "STEP_SECONDS", 0.001)
    report = check_text(
        r"$$\nabla_{x} C = (W^{1})^{T} (f^{1})' \circ \nabla_{a^{1}} C$$", network([2, 3, 2])
    )
    assert report.steps[0].verdict == "unreadable"
    assert "took longer" in report.steps[0].method


def test_check_file_reads_the_header(tmp_path):
    from symbp.check import check_file

    report = check_file(str(CORPUS / "ng_regularised_valid.md"))
    assert report.notation == "ng" and report.network.examples == 3
    assert report.exit_status == 0


@pytest.mark.parametrize("bias", ["explicit", "unit"])
def test_ng_corpus_holds_with_either_bias_style(bias):
    text = (CORPUS / "ng_valid.md").read_text()
    net = network([2, 3, 2], "sigmoid", "sigmoid", "bce", bias=bias)
    assert {s.verdict for s in check_text(text, net, "ng").steps} == {"valid"}


def test_softmax_and_relu_networks():
    text = r"""
$$\delta^L = a^L - y$$
$$\delta^{l-1} = (f^{l-1})' \circ (W^l)^T \delta^l$$
$$\frac{\partial C}{\partial w^l_{jk}} = \delta^l_j a^{l-1}_k$$
$$\delta^L = (a^L - y) \circ (f^L)'$$
"""
    softmax = check_text(text, network([2, 3, 3], "relu", "softmax", "cce"))
    assert [s.verdict for s in softmax.steps] == ["valid", "valid", "valid", "invalid"]
    assert "shape mismatch" in softmax.steps[3].method


@pytest.mark.parametrize("notation", ["wikipedia", "ng", "nielsen"])
def test_symbp_own_writeups_check_valid(notation):
    """symbp derive's Markdown (```math blocks, \\text notes) reads back as valid, except the
    gradient-descent update, which is an assignment."""
    import symbp
    from symbp.latex.writeup import render as writeup

    net = network([2, 2, 1], "sigmoid", "sigmoid", "bce")
    doc = writeup(symbp.derive(net), notation=notation, fmt="markdown", svg_name="n.svg")
    report = check_text(doc.text, net, notation)
    assert {s.verdict for s in report.steps if "update rule" not in s.method} == {"valid"}
    # the matrix form's two updates: the weights' and the biases'
    assert sum("update rule" in s.method for s in report.steps) == 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="\\{}^_()[]=+-*/.,'&$ 0123456789abcdeflmjkwxyzCJLT|", max_size=40))
def test_fuzzed_raw_text_never_crashes(body):
    try:
        report = check_text("$$" + body + "$$", network([2, 2]), "ng")
    except NothingToCheck:
        return
    assert not any(s.method.startswith(CHECKER_ERROR) for s in report.steps), report.steps


def test_missing_l2_term_hint():
    text = r"$$\frac{\partial J}{\partial \Theta^{(1)}_{21}} = a^{(1)}_1 \delta^{(2)}_2$$"
    net = network([2, 3, 2], "sigmoid", "sigmoid", "bce", examples=2, l2="0.5")
    step = check_text(text, net, "ng").steps[0]
    assert step.verdict == "invalid"
    assert step.hint == "missing the L2 term \\frac{\\lambda}{m}\\Theta^{(1)}_{2,1}"


def test_named_activations_mean_that_activation():
    text = r"""
$$\delta^{l} = ((W^{l+1})^T \delta^{l+1}) \circ \tanh'(z^{l})$$
$$\tanh'(z) = 1 - \tanh(z)^2$$
$$a^{1}_j = \operatorname{ReLU}(z^1_j)$$
"""
    report = check_text(text, network([2, 3, 2], "tanh", "sigmoid"))
    assert [s.verdict for s in report.steps] == ["valid", "valid", "invalid"]


def test_steps_of_every_display_kind_with_lines():
    doc = "\n".join(
        [
            r"% symbp: --layers 2,2",
            r"\[ a = b \]",
            r"\begin{eqnarray} c &=& d \\ e &=& f \end{eqnarray}",
            r"\begin{align*}",
            r"g &= h \nonumber \\",
            r"  &= i, \qquad j = k.",
            r"\end{align*}",
            r"```math",
            r"m = n = o",
            r"```",
            r"$$ f(x = 1) $$",
        ]
    )
    steps = [(s.source, s.line, s.chain) for s in extract_steps(doc)]
    assert [(src, line) for src, line, _ in steps] == [
        ("a = b", 2),
        ("c = d", 3),
        ("e = f", 3),
        ("g = h", 5),
        ("h = i", 6),
        ("j = k", 6),
        ("m = n", 9),
        ("n = o", 9),
    ]
    chains = [chain for *_, chain in steps]
    assert chains[3] == chains[4] != chains[5] and chains[6] == chains[7]
