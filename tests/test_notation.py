"""The notation objects: one per source, looked up by one registry, read by writer and checker."""

from __future__ import annotations

from dataclasses import replace

import pytest

from symbp import notation as nt
from symbp.check.report import check_text
from symbp.cli import main
from symbp.derive.generic import derive_generic
from symbp.errors import SpecError
from symbp.latex import writeup_generic
from symbp.latex.writeup import render
from symbp.model import network
from symbp.notation import sources

KINDS = ("input", "weight", "bias", "pre", "act", "delta", "W", "b", "Delta", "D", "z", "a")


@pytest.mark.parametrize("name", nt.GENERIC_NOTATIONS)
def test_label_and_layer_are_inverse_for_every_kind(name):
    source = nt.get_notation(name)
    for kind in KINDS:
        for layer in range(0, 5):
            assert source.layer(source.label(layer, kind), kind) == layer


def test_the_sources_number_layers_as_they_write_them():
    # Ng: Theta^{(l)} maps his layer l to l+1, so it keeps symbp's number; units shift by one
    assert (nt.NG.label(1, "weight"), nt.NG.label(1, "act")) == (1, 2)
    assert (nt.NIELSEN.label(1, "weight"), nt.NIELSEN.label(1, "act")) == (2, 2)
    assert (nt.WIKIPEDIA.label(1, "weight"), nt.WIKIPEDIA.label(1, "act")) == (1, 1)
    assert [n.first_unit for n in (nt.WIKIPEDIA, nt.NG, nt.NIELSEN)] == [1, 0, 1]


def test_cost_names_per_scope():
    assert nt.NG.cost_name("example") == "J"  # one example and no mean: J is that cost
    assert nt.NG.cost_name("example", examples=True) == "J^{(t)}"  # J is the mean
    assert nt.NG.cost_name("mean") == "J"
    assert nt.WIKIPEDIA.cost_name("example", examples=True) == "C"
    assert nt.NIELSEN.cost_name("term") == "C^{(t)}"
    with pytest.raises(ValueError):
        nt.NG.cost_name("batch")


def test_an_unknown_name_is_one_clear_error():
    with pytest.raises(SpecError, match="unknown notation 'gauss'; known: wikipedia, ng"):
        nt.get_notation("gauss")
    with pytest.raises(SpecError, match="known: wikipedia, ng, nielsen$"):
        nt.get_notation("ufldl", concrete=True)
    with pytest.raises(SpecError, match="unknown Hadamard style 'star'; known: cdot, circ"):
        nt.WIKIPEDIA.hadamard_tex("star")


@pytest.mark.parametrize("command", ["derive", "compile"])
def test_cli_refuses_an_unknown_notation_in_one_line(command, capsys):
    assert main([command, "--notation", "gauss"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'gauss'" in err and err.count("\n") == 1


def _copy_of_nielsen(monkeypatch) -> nt.Notation:
    """A new notation that is one object: Nielsen's fields under another name."""
    copy = replace(nt.NIELSEN, name="nielsen-copy", title="a copy of Nielsen's notation")
    registry = {**sources.REGISTRY, copy.name: copy}
    monkeypatch.setattr(sources, "REGISTRY", registry)
    monkeypatch.setattr(sources, "NOTATIONS", (*sources.NOTATIONS, copy.name))
    monkeypatch.setattr(sources, "GENERIC_NOTATIONS", tuple(registry))
    return copy


def test_a_new_notation_is_one_object_for_the_writer(monkeypatch):
    copy = _copy_of_nielsen(monkeypatch)
    gder = derive_generic(loss="mse")
    assert writeup_generic.matrix_rows(gder, copy.name) == writeup_generic.matrix_rows(
        gder, "nielsen"
    )
    doc = render(gder, copy.name, "markdown", svg_name=None).text
    assert "a copy of Nielsen's notation" in doc and "\\odot" in doc


def test_a_new_notation_is_one_object_for_the_checker(monkeypatch):
    copy = _copy_of_nielsen(monkeypatch)
    text = (
        "$$\\delta^{3}_{1} = (a^{3}_{1} - y_{1}) \\sigma'(z^{3}_{1})$$\n"
        "$$\\frac{\\partial C}{\\partial w^{3}_{12}} = a^{2}_{2} \\delta^{3}_{1} + 1$$\n"
    )
    net = network([2, 3, 2], "sigmoid", "sigmoid", "mse")
    verdicts = [s.verdict for s in check_text(text, net, copy.name).steps]
    assert verdicts == [s.verdict for s in check_text(text, net, "nielsen").steps]
    assert verdicts == ["valid", "invalid"]


def test_ng_names_one_example_cost_apart_from_the_mean():
    """Ng's J(Theta) is the regularised mean; delta differentiates one example's cost."""
    gder = derive_generic(output="sigmoid", loss="bce", bias="unit", examples=True, l2=True)
    doc = render(gder, "ng", "markdown", svg_name=None).text
    assert "\\delta^{(l)} &:= \\dfrac{\\partial J^{(t)}}{\\partial z^{(l)}}" in doc
    assert "J^{(t)} &= -\\sum_j" in doc
    assert "J &= \\frac{1}{m} \\sum_{t=1}^{m} J^{(t)}" in doc
    assert "\\nabla_{\\Theta^{(l)}}J^{(t)} &= \\delta^{(l+1)}(a^{(l)})^{T}" in doc
    assert "\\partial J}{\\partial z" not in doc  # J is never one example's cost
    one = render(derive_generic(output="sigmoid", loss="bce"), "ng", "markdown", svg_name=None)
    assert "J^{(t)}" not in one.text  # without a mean, J is the one example's cost
