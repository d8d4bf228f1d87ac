"""Writeups of a network whose hidden layers have different activations (ReLU, tanh, sigmoid):
each layer's activation and derivative are printed by their own names, never by layer 1's, and
symbp's checker judges every step valid but the update rules."""

from __future__ import annotations

import re

import pytest

from symbp.check.report import check_text
from symbp.derive.concrete import derive
from symbp.latex import writeup, writeup_generic
from symbp.model import network
from symbp.notation import layer_label

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


@pytest.mark.parametrize("notation", ("ng", "nielsen"))
def test_each_hidden_layer_is_named_by_its_own_activation(mixed, notation):
    _, der = mixed
    gder = writeup_generic.for_network(der.network)
    rows = [
        f"{lhs} {rhs} | {what}" for lhs, rhs, what in writeup_generic.matrix_rows(gder, notation)
    ]
    z = {"ng": "z^{{({})}}", "nielsen": "z^{{{}}}"}[notation]
    for layer, act in enumerate(HIDDEN, start=2):  # both notations call the input layer 1
        name, prime = NAMES[notation][act]
        forward = [r for r in rows if r.startswith(f"a^{{({layer})}}" if notation == "ng"
                                                   else f"a^{{{layer}}}")]  # fmt: skip
        assert len(forward) == 1, (layer, rows)
        assert f"{name}({z.format(layer)})" in forward[0]
        recursion = [r for r in rows if "recursion" in r and r.endswith(f"layer {layer}")]
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
    # the tanh's and the sigmoid's output forms are there, each at its own layer
    rows = writeup_generic.matrix_rows(writeup_generic.for_network(der.network), notation)
    output_forms = [r for r in rows if "written with its output" in r[2]]
    layers = [str(layer_label(k, notation)) for k in (2, 3)]  # tanh, sigmoid (input layer 0)
    assert [r[2].rsplit(" ", 1)[1] for r in output_forms] == layers, output_forms


@pytest.mark.parametrize("notation", NOTATIONS)
def test_the_checker_judges_every_step_valid_but_the_updates(mixed, notation):
    net, der = mixed
    report = check_text(writeup.render(der, notation, svg_name=None).text, net, notation)
    other = [s for s in report.steps if s.verdict != "valid"]
    assert all("an update rule" in s.method for s in other), [(s.source, s.method) for s in other]
    assert len(report.steps) - len(other) > 60
