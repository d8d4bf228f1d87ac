"""Hints on a corpus of wrong hand derivations (issue 8): at least 60% of the invalid steps carry
a hint, and no hint names the wrong mistake."""

from __future__ import annotations

from symbp.check.report import check_text
from symbp.model import network

SIG = network([2, 3, 2])
RELU = network([2, 3, 2], "relu", "sigmoid", "bce")
TANH = network([2, 3, 2], "tanh", "tanh")
BCE = network([2, 3, 2], "sigmoid", "sigmoid", "bce")
MEAN = network([2, 3, 2], "sigmoid", "sigmoid", "mse", examples=4)
NG_L2 = network([2, 3, 2], "sigmoid", "sigmoid", "bce", bias="unit", examples=4, l2="1/2")
NIELSEN_L2 = network([2, 3, 2], "sigmoid", "sigmoid", "mse", examples=3, l2="1/2")
WIKI_L2 = network([2, 3, 2], "sigmoid", "sigmoid", "mse", examples=4, l2="1/3")

# (wrong step, network, notation, the mistake it makes: a word its hint must contain, or None
# for a mistake no hint is expected to name; any hint given must then not be one of HINT_WORDS)
CORPUS = [
    (r"\delta^1_j = \sum_k w^2_{kj} \delta^2_k", RELU, "wikipedia", "activation derivative"),
    (r"\delta^{1} = (W^{2})^T \delta^{2}", RELU, "wikipedia", "activation derivative"),
    (r"\delta^{l-1} = (W^{l})^T \delta^{l}", TANH, "wikipedia", "activation derivative"),
    (r"\delta^{l} = ((w^{l+1})^T \delta^{l+1})", SIG, "nielsen", "activation derivative"),
    (r"\delta^L_j = a^L_j - y_j", SIG, "wikipedia", "activation derivative"),
    (r"\delta^L_j = (a^L_j - y_j) \sigma'(z^L_j)", BCE, "wikipedia", "squared-error"),
    (r"\delta^{(L)} = (a^{(L)} - y) .* g'(z^{(L)})", BCE, "ng", "squared-error"),
    (r"\frac{\partial C}{\partial w^l_{jk}} = \delta^l_k a^{l-1}_j", SIG, "wikipedia", "swapped"),
    (r"\frac{\partial C}{\partial w^l_{jk}} = \delta^l_j a^{l}_k", SIG, "nielsen", "off-by-one"),
    (r"\frac{\partial C}{\partial w^l_{jk}} = -\delta^l_j a^{l-1}_k", SIG, "wikipedia", "sign"),
    (r"\nabla_{W^{l}} C = \delta^{l} a^{l-1}", SIG, "wikipedia", "transpose"),
    (r"\nabla_{W^{l}} C = (\delta^{l})^T (a^{l-1})^T", SIG, "wikipedia", "transpose"),
    (r"\delta^{l-1} = (f^{l-1})' \circ W^{l} \delta^{l}", SIG, "wikipedia", "transpose"),
    (r"\nabla_{a^L} C = y - a^L", SIG, "wikipedia", "sign"),
    (r"\frac{\partial C}{\partial b^l_j} = \delta^{l+1}_j", SIG, "nielsen", "off-by-one"),
    (
        r"\frac{\partial J}{\partial \Theta^{(l)}_{ij}} = "
        r"\sum_{t=1}^{m} a^{(l)}_j \delta^{(l+1)}_i "
        r"+ \frac{\lambda}{m} \Theta^{(l)}_{ij} \quad (j \geq 1)",
        NG_L2,
        "ng",
        "1/m",
    ),
    (
        r"\frac{\partial J}{\partial \Theta^{(l)}_{ij}} = a^{(l)}_j \delta^{(l+1)}_i"
        r" \quad (j \geq 1)",
        NG_L2,
        "ng",
        "L2",
    ),
    (r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j", NIELSEN_L2, "nielsen", "L2"),
    (
        r"\frac{\partial C}{\partial w^l_{jk}} = \frac{\partial C_0}{\partial w^l_{jk}}",
        NIELSEN_L2,
        "nielsen",
        "L2",
    ),
    (
        r"\frac{\partial C}{\partial w^l_{jk}} = \sum_{i=1}^{m} \delta^l_j a^{l-1}_k",
        MEAN,
        "wikipedia",
        "1/m",
    ),
    (
        r"\frac{\partial C}{\partial w^l_{jk}} = \sum_{i=1}^{m} \delta^l_j a^{l-1}_k"
        r" + \frac{\lambda}{m} w^l_{jk}",
        WIKI_L2,
        "wikipedia",
        "1/m",
    ),
    (r"\frac{\partial C}{\partial w^l_{jk}} = \delta^l_j a^{l-1}_k", WIKI_L2, "wikipedia", "L2"),
    (r"\delta^{(l)} = (\Theta^{(l)}) \delta^{(l+1)} .* g'(z^{(l)})", BCE, "ng", "transpose"),
    (r"\delta^{(l)} = ((\Theta^{(l)})^T \delta^{(l+1)}) .* g'(z^{(l+1)})", BCE, "ng", "off-by-one"),
    (
        r"\frac{\partial C}{\partial a^{l}_k} = \sum_j w^{l+1}_{kj} \delta^{l+1}_j",
        SIG,
        "wikipedia",
        "swapped",
    ),
    (r"\frac{\partial C}{\partial a^L_j} = 2 (a^L_j - y_j)", SIG, "wikipedia", None),
    (r"\sigma'(z) = \sigma(z)(1 + \sigma(z))", SIG, "wikipedia", None),
    (r"\tanh'(z) = 1 + \tanh^2(z)", TANH, "wikipedia", None),
    (r"\delta^L = (a^L - y) \circ a^L", SIG, "wikipedia", None),
    (r"\frac{\partial C}{\partial b^l_j} = \delta^l_j a^{l-1}_j", SIG, "wikipedia", None),
    (r"\frac{\partial C}{\partial w^1_{jk}} = \delta^1_j x_j", SIG, "wikipedia", None),
]
HINT_WORDS = (
    "activation derivative",
    "squared-error",
    "swapped",
    "off-by-one",
    "sign",
    "transpose",
    "1/m",
    "L2",
)


def _judge():
    out = []
    for step, net, notation, mistake in CORPUS:
        got = check_text(f"$${step}$$", net, notation).steps[0]
        out.append((step, mistake, got))
    return out


def test_the_corpus_steps_are_invalid_and_no_hint_names_the_wrong_mistake():
    wrong_hints, not_invalid = [], []
    for step, mistake, got in _judge():
        if got.verdict != "invalid":
            not_invalid.append((step, got.verdict, got.method))
            continue
        if got.hint is None:
            continue
        if mistake is None:
            named = [w for w in HINT_WORDS if w in got.hint]
            if named:
                wrong_hints.append((step, got.hint))
        elif mistake not in got.hint:
            wrong_hints.append((step, got.hint))
    assert not_invalid == []
    assert wrong_hints == []


def test_hint_coverage_is_at_least_60_percent():
    judged = [got for _, _, got in _judge() if got.verdict == "invalid"]
    hinted = [got for got in judged if got.hint]
    assert len(hinted) >= 0.6 * len(judged), (len(hinted), len(judged))
    expected = [m for _, _, _, m in CORPUS if m is not None]
    assert len(expected) >= 0.6 * len(CORPUS)
