"""``symbp check --net``: the output layer's generic steps of a layered writeup (labels L and
L-1) are judged on the one-layer dense network the last dense layer is; a wrong step is
invalid with a counterexample, and a step naming anything else is never read this way."""

from __future__ import annotations

import pytest

from symbp.check.output_layer import speaks_of_output_only
from symbp.check.report import check_text
from symbp.latex.writeup_layers import render_layers
from symbp.model import layered_network

NET = ("3x2", "attention(2) meanpool dense(2,softmax)")


def _verdict(step: str, net=NET, loss: str = "cce", notation: str = "wikipedia"):
    (verdict,) = check_text(f"$${step}$$", layered_network(*net, loss), notation).steps
    return verdict


@pytest.mark.parametrize("notation", ["wikipedia", "ng"])
def test_the_printed_output_layer_steps_are_valid(notation) -> None:
    net = layered_network(*NET, "cce")
    report = check_text(render_layers(net, notation, "markdown"), net, notation)
    output = [v for v in report.steps if "one-layer dense network" in v.method]
    assert len(output) >= 9 and all(v.verdict == "valid" for v in output)


@pytest.mark.parametrize("step", [
    r"\delta^{L} = a^{L} + y",
    r"\frac{\partial C}{\partial a_{i}^{L}} = \frac{y_{i}}{a_{i}^{L}}",
    r"\frac{\partial a_{i}^{L}}{\partial z_{j}^{L}} = [i = j] a_{i}^{L}",
    r"\frac{\partial C}{\partial W^{L}_{j,k}} = a^{L-1}_{j} \delta^{L}_{k}",
])  # fmt: skip
def test_wrong_output_steps_are_invalid(step) -> None:
    verdict = _verdict(step)
    assert verdict.verdict == "invalid", verdict.method
    assert verdict.counterexample or "shape" in verdict.method


def test_a_tanh_output_with_mse() -> None:
    net = ("3", "dense(2,tanh) dense(2,tanh)")
    good = r"\delta^{L}_{j} = (a^{L}_{j} - y_{j}) (1 - \tanh^{2}(z^{L}_{j}))"
    assert _verdict(good, net, "mse").verdict == "valid"
    assert _verdict(good.replace("1 - ", "1 + "), net, "mse").verdict == "invalid"


@pytest.mark.parametrize("step", [
    r"\delta^{2} = a^{L} - y",  # another layer's number
    r"z^{L} = W^{L} x + b^{L}",  # x is the network's input, not the output layer's
    r"\delta^{l} = a^{L} - y",  # a generic layer
])  # fmt: skip
def test_steps_naming_other_layers_are_not_read_as_the_output_layer(step) -> None:
    assert not speaks_of_output_only(step)
    assert "one-layer dense network" not in _verdict(step).method
    assert _verdict(step).verdict != "valid"
