"""The checker reads the spellings symbp's writeups and the sources use (issue 8): each step here
is true (or false, where marked) on its network, and must be judged so."""

from __future__ import annotations

import pytest

from symbp.check.report import check_text
from symbp.model import network

SIG = network([2, 3, 2])
TANH = network([2, 3, 2], "tanh", "tanh")
RELU = network([2, 3, 2], "relu", "sigmoid", "bce")
BCE = network([2, 3, 2], "sigmoid", "sigmoid", "bce")
NG_UNIT = network([2, 3, 2], "sigmoid", "sigmoid", "bce", bias="unit", examples=2, l2="1")
NIELSEN_L2 = network([2, 3, 2], "sigmoid", "sigmoid", "mse", examples=3, l2="1/2")

CASES = [
    # (step, network, notation, verdict)
    (r"\frac{\partial a^L_i}{\partial z^L_j} = [i = j] \sigma'(z^L_j)", SIG, "wikipedia", "valid"),
    (
        r"\frac{\partial a^L_i}{\partial z^L_j} = \delta_{ij} \sigma'(z^L_j)",
        SIG,
        "wikipedia",
        "valid",
    ),
    (r"\frac{\partial a^L_i}{\partial z^L_j} = \sigma'(z^L_j)", SIG, "wikipedia", "invalid"),
    (r"\frac{\partial a^1_j}{\partial z^1_j} = \left[z^1_j > 0\right]", RELU, "wikipedia", "valid"),
    (r"z^l_j = \sum_{k=1}^{n_{l-1}} w^l_{jk} a^{l-1}_k + b^l_j", SIG, "wikipedia", "valid"),
    (
        r"\frac{\partial C}{\partial a^{l}_j} = \sum_{k=1}^{n_{l+1}} w^{l+1}_{kj} \delta^{l+1}_k",
        SIG,
        "nielsen",
        "valid",
    ),
    (
        r"\frac{\partial J}{\partial a^{(l)}_j} = \sum_{k=1}^{s_{l+1}} \Theta^{(l)}_{kj} "
        r"\delta^{(l+1)}_k",
        NG_UNIT,
        "ng",
        "valid",
    ),
    (r"z^{(l+1)} = \Theta^{(l)} \begin{pmatrix}1\\ a^{(l)}\end{pmatrix}", NG_UNIT, "ng", "valid"),
    (
        r"C = -\sum_j \left[y_j \log a^L_j + (1 - y_j) \log(1 - a^L_j)\right]",
        BCE,
        "wikipedia",
        "valid",
    ),
    (r"\tanh'(z) = 1 - \tanh^2(z)", TANH, "wikipedia", "valid"),
    (r"\tanh'(z) = \operatorname{sech}^2(z)", TANH, "wikipedia", "valid"),
    (r"\sigma'(z) = \sigma(z) - \sigma^2(z)", SIG, "wikipedia", "valid"),
    (r"\sigma^\prime(z) = \sigma(z)(1 - \sigma(z))", SIG, "wikipedia", "valid"),
    (r"\nabla_x C = (W^1)^T (f^1)' (W^2)^T (f^2)' \nabla_{a^2} C", SIG, "wikipedia", "valid"),
    (
        r"\nabla_x C = (W^1)^\mathsf{T} (f^1)' (W^2)^\top (f^2)' \nabla_{a^2} C",
        SIG,
        "wikipedia",
        "valid",
    ),
    (r"\operatorname{ReLU}'(z) = 1", RELU, "wikipedia", "invalid"),
    (r"\text{ReLU}'(z) = [z > 0]", RELU, "wikipedia", "valid"),
    (r"a^1_j = \max(0, z^1_j)", RELU, "wikipedia", "valid"),
    (r"\frac{\partial C}{\partial w^l_{jk}} = \delta^l_j a^{l-1}_k", SIG, "wikipedia", "valid"),
    (r"\frac{\partial C}{\partial w^l_{jk}} = \delta^l_j a^{l-1}_k", SIG, "nielsen", "valid"),
    (
        r"\frac{\partial C}{\partial w^l_{jk}} = \frac{\partial C_0}{\partial w^l_{jk}} "
        r"+ \frac{\lambda}{n} w^l_{jk}",
        NIELSEN_L2,
        "nielsen",
        "valid",
    ),
    (
        r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j",
        NIELSEN_L2,
        "nielsen",
        "invalid",
    ),
    (r"\frac{\partial E}{\partial b^l_j} = \delta^l_j", SIG, "wikipedia", "valid"),
    (r"\frac{\partial L}{\partial b^l_j} = \delta^l_j", SIG, "wikipedia", "valid"),
    (r"\frac{\partial \mathcal{L}}{\partial b^l_j} = \delta^l_j", SIG, "wikipedia", "valid"),
    (r"\frac{\partial {\cal C}}{\partial b^l_j} = \delta^l_j", SIG, "wikipedia", "valid"),
    (r"\partial C / \partial b^l_j = \delta^l_j", SIG, "wikipedia", "valid"),
    (r"\mathbf{a}^{L} = \sigma(\boldsymbol{z}^{L})", SIG, "wikipedia", "valid"),
    (r"\mathbf{a}^{(l)} = \sigma(\mathbf{z}^{(l)})", SIG, "ng", "valid"),
    (r"\hat{y}_j = a^L_j", SIG, "wikipedia", "valid"),
    (r"z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}", SIG, "wikipedia", "valid"),
    (r"C = \frac{1}{2}\|a^L - y\|_2^2", SIG, "wikipedia", "valid"),
    (r"C = \frac{1}{2}\Vert a^L - y\Vert^2", SIG, "wikipedia", "valid"),
    (r"\delta^L_j = (a^L_j - y_j)\sigma'(z^L_j) \mbox{ (output error)}", SIG, "wikipedia", "valid"),
    (r"\delta^L = (a^L - y) \circ (1 - (a^L)^2)", TANH, "wikipedia", "valid"),
    (r"\delta^L = (a^L - y) \circ (1 - \tanh(z^L)^2)", TANH, "wikipedia", "valid"),
    (r"\frac{\partial C}{\partial a_j} = a_j - y_j", SIG, "nielsen", "valid"),
    (r"\delta^{(l)} = \begin{pmatrix}1\\ a^{(l)}\end{pmatrix}", NG_UNIT, "ng", "invalid"),
]


@pytest.mark.parametrize(("step", "net", "notation", "verdict"), CASES, ids=range(len(CASES)))
def test_spellings_are_read_as_what_they_mean(step, net, notation, verdict):
    got = check_text(f"$${step}$$", net, notation).steps[0]
    assert got.verdict == verdict, (got.method, got.read_as)


@pytest.mark.parametrize(
    ("qualified", "verdict"),
    [
        (r"\quad (k \geq 1)", "valid"),
        (r"\quad \text{for } k \neq 0", "valid"),
        (r", \quad k = 1, \ldots, s_l", "valid"),
        (r"", "invalid"),
    ],
)
def test_qualifiers_restrict_the_indices(qualified, verdict):
    # in Ng's notation column 0 is the bias, so the L2 term is wrong there unless excluded
    step = (
        r"\frac{\partial J}{\partial \Theta^{(l)}_{jk}} = a^{(l)}_k \delta^{(l+1)}_j + "
        r"\frac{\lambda}{m} \Theta^{(l)}_{jk}" + qualified
    )
    got = check_text(f"$${step}$$", NG_UNIT, "ng").steps[0]
    assert got.verdict == verdict, got.method
    assert len(check_text(f"$${step}$$", NG_UNIT, "ng").steps) == 1


def test_ng_accumulators_and_d():
    doc = r"""
$$\Delta^{(l)}_{ij} := \Delta^{(l)}_{ij} + a^{(l)}_j \delta^{(l+1)}_i$$
$$D^{(l)}_{ij} := \frac{1}{m}\left(\Delta^{(l)}_{ij} + \lambda \Theta^{(l)}_{ij}\right)
  \text{ if } j \neq 0$$
$$D^{(l)}_{ij} := \frac{1}{m}\Delta^{(l)}_{ij} \text{ if } j = 0$$
$$\frac{\partial}{\partial \Theta_{i,j}^{(l)}}J(\Theta) = D_{i,j}^{(l)}$$
"""
    steps = check_text(doc, NG_UNIT, "ng").steps
    assert "update rule" in steps[0].method
    assert [s.verdict for s in steps[1:]] == ["valid"] * 3


def test_an_ellipsis_is_written_out_for_the_network():
    step = (
        r"\delta^{l} = (f^{l})' \circ (W^{l+1})^{T} \cdot (f^{l+1})' \circ \cdots \circ "
        r"(W^{L})^{T} \cdot (f^{L})' \circ \nabla_{a^{L}}C"
    )
    for sizes in ([2, 3, 2], [2, 3, 3, 2], [2, 2, 2, 2, 2]):
        assert check_text(f"$${step}$$", network(sizes)).steps[0].verdict == "valid"
    wrong = step.replace(r"\cdot (f^{L})' ", "")
    assert check_text(f"$${wrong}$$", network([2, 2, 2, 2])).steps[0].verdict == "invalid"


@pytest.mark.parametrize(
    ("indices", "verdict"),
    [
        (r"l,i,j \geq 1", "valid"),
        (r"l,i,j \ne 0", "valid"),
        (r"l,i,j", "invalid"),  # the bias column is not regularised in Ng's notation
        (r"l,i,j \geq 2", "unreadable"),
    ],
)
def test_a_sum_over_several_indices_from_one(indices, verdict):
    step = (
        r"J = \frac{1}{m} \sum_{t=1}^{m} J^{(t)} + \frac{\lambda}{2m} \sum_{" + indices + r"}"
        r" \left(\Theta_{i,j}^{(l)}\right)^2"
    )
    got = check_text(f"$${step}$$", NG_UNIT, "ng").steps[0]
    assert got.verdict == verdict, got.method


@pytest.mark.parametrize(
    ("rows", "verdict"),
    [
        (r"\Theta_{i,j}^{(l)} & \text{for}\: j \geq 1 \\0 & \text{otherwise}", "valid"),
        (r"0 & \text{if } j = 0 \\ \Theta_{i,j}^{(l)} & \text{otherwise}", "valid"),
        (r"0 & \text{if } j = 0 \\ \Theta_{i,j}^{(l)} & \text{if } j \geq 1", "valid"),
        (r"\Theta_{i,j}^{(l)} & \text{for}\: j \geq 0 \\0 & \text{otherwise}", "invalid"),
        (r"\Theta_{i,j}^{(l)} & \text{if } j = 0 \\ 0 & \text{otherwise}", "invalid"),
        (r"\Theta_{i,j}^{(l)} & \text{if } j \geq 1", "valid"),  # 0 where no row holds
        (r"0 & \text{otherwise} \\ \Theta_{i,j}^{(l)} & \text{if } j \geq 1", "unreadable"),
        (r"\Theta_{i,j}^{(l)} & \text{if } j \\ 0 & \text{otherwise}", "unreadable"),
    ],
)
def test_a_piecewise_value_with_a_condition_on_an_index(rows, verdict):
    step = (
        r"\frac{\partial R}{\partial \Theta_{i,j}^{(l)}} = \frac{\lambda \left(\begin{cases} "
        + rows
        + r" \end{cases}\right)}{m}"
    )
    got = check_text(f"$${step}$$", NG_UNIT, "ng").steps[0]
    assert got.verdict == verdict, (got.method, got.read_as)


@pytest.mark.parametrize(
    ("step", "notation", "verdict"),
    [
        (r"\frac{\partial C}{\partial b} = \delta", "nielsen", "valid"),
        (r"\frac{\partial C}{\partial w} = a_{\rm in} \delta_{\rm out}", "nielsen", "valid"),
        (r"\frac{\partial C}{\partial b} = 2 \delta", "nielsen", "invalid"),
        (r"\frac{\partial C}{\partial w} = a_{\rm out} \delta_{\rm in}", "nielsen", "invalid"),
        (r"\frac{\partial C}{\partial w} = a_{\rm in} \delta_{\rm out} + 1", "nielsen", "invalid"),
        (r"\frac{\partial C}{\partial b} = \delta", "wikipedia", "unreadable"),
        (
            r"\frac{\partial C}{\partial w^l_{jk}} = a_{\rm in} \delta_{\rm out}",
            "nielsen",
            "unreadable",
        ),
    ],
)
def test_nielsens_index_free_shorthands(step, notation, verdict):
    net = network([2, 3, 2], "sigmoid", "sigmoid", "mse")
    got = check_text(f"$${step}$$", net, notation).steps[0]
    assert got.verdict == verdict, (got.method, got.read_as)


_D_WITH_L2 = (
    r"D_{i,j}^{(l)} := \dfrac{1}{m}\left(\Delta_{i,j}^{(l)} + \lambda \Theta_{i,j}^{(l)}\right)"
)
_D_PLAIN = r"D_{i,j}^{(l)} := \dfrac{1}{m}\Delta_{i,j}^{(l)}"


@pytest.mark.parametrize(
    ("label", "verdicts"),
    [
        (r"if $j \neq 0$", ["valid", "invalid"]),
        (r"2B.9b, if $j = 0$ (the bias)", ["invalid", "valid"]),
    ],
)
def test_a_condition_in_a_label_restricts_the_step(label, verdicts):
    md = f"```math\n\\begin{{aligned}}\n &{_D_WITH_L2} \\\\\n &\\qquad \\text{{{label}}} \\\\\n"
    md += f" &{_D_PLAIN} \\\\\n &\\qquad \\text{{{label}}}\n\\end{{aligned}}\n```\n"
    tag = f"\\tag*{{\\parbox[t]{{5.5cm}}{{\\raggedright\\footnotesize {label}}}}}"
    tex = f"\\begin{{align*}}\n &{_D_WITH_L2} {tag} \\\\\n &{_D_PLAIN} {tag}\n\\end{{align*}}\n"
    for doc in (md, tex):
        got = [s.verdict for s in check_text(doc, NG_UNIT, "ng").steps]
        assert got == verdicts, doc
