"""The network picture: layers, units, elision of large layers, the labelled weight."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import symbp
from symbp.latex import picture
from symbp.notation import NOTATIONS

SVG = "{http://www.w3.org/2000/svg}"


def _circles(svg_text: str) -> int:
    return len(ET.fromstring(svg_text).findall(f"{SVG}circle"))


@pytest.mark.parametrize("notation", NOTATIONS)
def test_small_network_draws_every_unit_and_names_one_weight(notation):
    layout = picture.concrete_layout(symbp.network([2, 2, 1]), notation)
    svg = picture.svg(layout)
    assert _circles(svg) == 5
    assert len(ET.fromstring(svg).findall(f"{SVG}line")) == 2 * 2 + 2 * 1
    expected = {"wikipedia": "w_{12}^{2}", "ng": "\\Theta^{(2)}_{12}", "nielsen": "w^{3}_{12}"}
    assert layout.label == expected[notation]
    assert f"${layout.label}$" in picture.tikz(layout)


def test_large_layers_are_elided():
    layout = picture.concrete_layout(symbp.network([784, 30, 10]), "nielsen")
    svg = picture.svg(layout)
    assert _circles(svg) == 4 + 4 + 4
    assert svg.count("\u22ee") == 3  # one vertical ellipsis per elided layer
    assert "x_{784}" in picture.tikz(layout)


def test_ng_bias_unit_is_drawn_on_every_layer_but_the_output():
    svg = picture.svg(picture.concrete_layout(symbp.network([2, 3, 1], bias="unit"), "ng"))
    assert svg.count(">+1</text>") == 2


@pytest.mark.parametrize("notation", NOTATIONS)
def test_generic_network_labels_the_weight_between_layers_l_minus_1_and_l(notation):
    layout = picture.generic_layout(notation)
    expected = {"wikipedia": "w_{jk}^{l}", "ng": "\\Theta^{(l - 1)}_{jk}", "nielsen": "w^{l}_{jk}"}
    assert layout.label == expected[notation]
    ET.fromstring(picture.svg(layout))  # well-formed XML


def test_svg_is_deterministic():
    net = symbp.network([3, 4, 2])
    assert picture.svg(picture.concrete_layout(net, "wikipedia")) == picture.svg(
        picture.concrete_layout(net, "wikipedia")
    )
