"""Writeups of a network whose hidden layers have different activations (ReLU, tanh, sigmoid):
each layer's activation and derivative are printed by their own names, never by layer 1's, and
symbp's checker judges every step valid but the update rules."""

from __future__ import annotations

import re

import pytest

from symbp.check.report import check_text
from symbp.derive.concrete import derive
from symbp.latex import writeup
from symbp.model import network

HIDDEN = ("relu", "tanh", "sigmoid")
NOTATIONS = ("wikipedia", "ng", "nielsen")
# what each notation calls each hidden activation and its derivative
NAMES = {
    "nielsen": {
        "relu": ("\\operatorname{ReLU}", "\\operatorname{ReLU}'"),
        "tanh": ("\\tanh", "\\tanh'"),
        "sigmoid": ("\\sigma", "\\sigma'"),
    },
    "ng": {
        "relu": ("\\operatorname{ReLU}", "\\operatorname{ReLU}'"),
        "tanh": ("\\tanh", "\\tanh'"),
        "sigmoid": ("g", "g'"),
    },
}


@pytest.fixture(scope="module")
def mixed():
    net = network([2, 2, 2, 2, 1], activations=[*HIDDEN, "sigmoid"], loss="bce")
    return net, derive(net)


def _matrix_form(text: str) -> str:
    return text.split("The matrix form", 1)[1].split("```", 2)[1]


def _rows(block: str) -> list[str]:
    return [r.strip() for r in block.split("\\\\\n") if "&" in r]


@pytest.mark.parametrize("notation", ("ng", "nielsen"))
def test_each_hidden_layer_is_named_by_its_own_activation(mixed, notation):
    _, der = mixed
    rows = _rows(_matrix_form(writeup.render(der, notation, svg_name=None).text))
    z = {"ng": "z^{{({})}}", "nielsen": "z^{{{}}}"}[notation]
    for layer, act in enumerate(HIDDEN, start=2):  # both notations call the input layer 1
        name, prime = NAMES[notation][act]
        forward = [r for r in rows if r.startswith(f"a^{{({layer})}}" if notation == "ng"
                                                   else f"a^{{{layer}}}")]  # fmt: skip
        assert len(forward) == 1, (layer, rows)
        assert f"{name}({z.format(layer)})" in forward[0]
        recursion = [r for r in rows if "recursion" in r and f"layer {layer}}}" in r]
        assert recursion and f"{prime}({z.format(layer)})" in recursion[0], (layer, recursion)
        # no other activation's name at this layer's z
        for other, (other_name, _) in NAMES[notation].items():
            if other != act:
                assert f"{other_name}({z.format(layer)})" not in _matrix_form(
                    writeup.render(der, notation, svg_name=None).text
                )


@pytest.mark.parametrize("notation", NOTATIONS)
def test_relu_is_never_printed_as_sigma_nor_given_another_output_form(mixed, notation):
    _, der = mixed
    block = _matrix_form(writeup.render(der, notation, svg_name=None).text)
    # ReLU is layer 1 (Wikipedia) / 2 (Ng, Nielsen); it has no output form a(1 - a)
    relu = 1 if notation == "wikipedia" else 2
    layer = re.escape(f"({relu})" if notation == "ng" else f"{relu}")
    assert not re.search(rf"(\\sigma|g)'?\(z\^\{{{layer}\}}\)", block)
    assert not re.search(rf"1 - a\^\{{{layer}\}}", block)
    # the sigmoid's and tanh's output forms are there, each at its own layer
    output_forms = [r for r in _rows(block) if "written with its output" in r]
    assert len(output_forms) == 2, output_forms


@pytest.mark.parametrize("notation", NOTATIONS)
def test_the_checker_judges_every_step_valid_but_the_updates(mixed, notation):
    net, der = mixed
    report = check_text(writeup.render(der, notation, svg_name=None).text, net, notation)
    other = [s for s in report.steps if s.verdict != "valid"]
    assert all("an update rule" in s.method for s in other), [(s.source, s.method) for s in other]
    assert len(report.steps) - len(other) > 60
