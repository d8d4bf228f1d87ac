"""``symbp check`` on index-form derivations of layered networks (issue 10): a convolution's
weight and input gradients, max-pooling's routing, backpropagation through time, each judged on
instances of the layer as symbp proves its own steps, with the usual mistakes hinted; and the
layer steps of symbp's own layered writeups judged valid in every notation."""

from __future__ import annotations

from pathlib import Path

import pytest

from symbp.check.report import check_text
from symbp.latex.writeup_layers import render_layers
from symbp.model import layered_network

CORPUS = Path(__file__).parent / "check_corpus"
CNN = ("1x4x4", "conv2d(2,3,relu) maxpool2d(2) flatten dense(2,softmax)")
RNN = ("3x2", "rnn(2) last dense(2,softmax)")

# line of the step in the corpus file -> (verdict, words its hint must hold, or None)
CONV_EXPECTED = {
    2: ("valid", None),
    4: ("invalid", "correlates delta with the kernel"),
    6: ("valid", None),
    8: ("invalid", "flipped"),
    10: ("invalid", "kernel is flipped where it should not be"),
    12: ("invalid", "every input of the window"),
    14: ("valid", None),
    16: ("invalid", "activation's derivative is missing"),
    18: ("invalid", "sign error"),
}
RNN_EXPECTED = {
    1: ("invalid", "a sum over t is missing"),
    2: ("valid", None),
    3: ("invalid", "through the next time step"),
    4: ("valid", None),
    5: ("invalid", "not transposed"),
    6: ("invalid", "activation's derivative is missing"),
    7: ("valid", None),
    8: ("invalid", None),
}


def _report(name: str, shape: str, spec: str):
    text = (CORPUS / name).read_text()
    return check_text(text, layered_network(shape, spec, "cce"), "wikipedia")


@pytest.mark.parametrize(
    "name, net, expected",
    [("layers_conv_pool.md", CNN, CONV_EXPECTED), ("layers_rnn.md", RNN, RNN_EXPECTED)],
)
def test_hand_derivations_of_layers_get_the_right_verdict_and_hint(name, net, expected):
    report = _report(name, *net)
    got = {v.line: v for v in report.steps}
    assert sorted(got) == sorted(expected)
    for line, (verdict, hint) in expected.items():
        v = got[line]
        assert v.verdict == verdict, (line, v.verdict, v.hint, v.method)
        if verdict == "invalid" and v.counterexample is None:
            assert hint and "missing" in hint  # a structural verdict: no values to show
        if hint is not None:
            assert v.hint and hint in v.hint, (line, v.hint)
        elif verdict == "invalid":
            assert v.hint is None or "sign" not in v.hint
        if verdict == "valid":
            assert v.method.startswith("proved on every entry")


def test_a_counterexample_gives_the_indices_and_both_sides():
    report = _report("layers_conv_pool.md", *CNN)
    wrong = next(v for v in report.steps if v.line == 4)
    c = wrong.counterexample
    assert set(c["indices"]) == {"c'", "u", "v"} and c["left"] != c["right"]
    assert "INVALID" in report.human() and "hint:" in report.human()


def test_unreadable_names_say_why():
    net = layered_network(*CNN, "cce")
    text = r"$$\frac{\partial C}{\partial W^{7}_{c,c',p,q}} = \sum_{i,j} Q_{i} \delta^{1}_{c,i,j}$$"
    (v,) = check_text(text, net, "wikipedia").steps
    assert v.verdict == "unreadable" and "W^7" in v.method
    text = r"$$\frac{\partial C}{\partial b^{1}_{c}} = \sum_{i,j} Z \delta^{1}_{c,i,j}$$"
    (v,) = check_text(text, net, "wikipedia").steps
    assert v.verdict == "unreadable" and "Z is neither an index" in v.method
    text = r"$$\frac{\partial C}{\partial b^{1}_{c}} = \sum_{i,j} \delta^{1}_{c,i+j,j}$$"
    (v,) = check_text(text, net, "wikipedia").steps
    assert v.verdict == "invalid"  # the sum reads delta off its diagonal


@pytest.mark.parametrize(
    "shape, spec, notation",
    [(*CNN, "wikipedia"),
     ("1x5x5", "conv2d(1,3,tanh,stride=2,padding=1) avgpool2d(2) flatten dense(2,sigmoid)", "ng"),
     ("2x6", "conv1d(2,3,sigmoid) maxpool1d(2) flatten dense(2,softmax)", "nielsen"),
     (*RNN, "nielsen"), (*RNN, "ng")],
)  # fmt: skip
def test_every_layer_step_of_symbps_own_writeup_is_valid(shape, spec, notation):
    """Every index-form step of a conv, pool, dense or rnn layer is judged valid; the steps the
    layered checker does not read (the output layer's generic steps, the unrolled product of
    Jacobians) are unreadable, never invalid."""
    net = layered_network(shape, spec, "cce")
    text = render_layers(net, notation=notation, fmt="markdown")
    report = check_text(text, net, notation)
    verdicts = [v.verdict for v in report.steps]
    assert "invalid" not in verdicts, [(v.line, v.source[:80]) for v in report.steps
                                       if v.verdict == "invalid"]  # fmt: skip
    valid = verdicts.count("valid")
    assert valid >= 15, (valid, len(verdicts))
