"""Writeups of a recurrent layer: backpropagation through time in index form, derived by SymPy
from the rnn's own index-form forward equation, every step proved on a 3-step instance."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import sympy

from symbp.derive import layer_index as li
from symbp.derive.layer_index_proof import StepNotProved, prove_step
from symbp.latex.writeup_layers import render_layers
from symbp.layers import index as ix
from symbp.layers.spec import parse_net
from symbp.model import layered_network
from tests.latex_tools import needs_pdflatex, overfull, pdflatex

NET = ("4x2", "rnn(3,tanh) last dense(2,softmax)", "cce")


@pytest.fixture(scope="module")
def form() -> li.LayerForm:
    return li.layer_form(parse_net("rnn(3,tanh)")[0], (5, 2), 1)


def test_every_bptt_step_is_derived_and_proved(form: li.LayerForm) -> None:
    assert form.forward_verified_by.startswith("every entry of 1 instance (input 3x2)")
    assert [q for q, _ in form.stated.targets] == ["hidden", "Wx", "Wh", "b", "input"]
    for step in form.steps:
        assert step.verified_by.startswith("every entry of"), step
    u, g2, o = ix.SPATIAL[3][0], ix.g2, ix.o
    recursion = form.steps_for("hidden")[-1].rhs
    expected = ix.dA[u, g2] + sympy.Sum(ix.Wh[o, g2] * ix.delta[u + 1, o], (o, 0, ix.C_OUT - 1))
    assert recursion == expected
    (wh,) = form.steps_for("Wh")[-1:]
    assert wh.rhs == sympy.Sum(
        ix.delta[ix.TIME, ix.c] * ix.h[ix.TIME - 1, g2], (ix.TIME, 0, ix.T - 1)
    )
    # tanh's derivative is written with the output: dC/dh (1 - h^2)
    assert form.steps_for("delta")[-1].rhs.has(ix.h[u, ix.c])


def test_a_wrong_recursion_is_refused(form: li.LayerForm) -> None:
    last = form.steps_for("hidden")[-1]
    u = ix.SPATIAL[3][0]
    same_step = last.rhs.xreplace({ix.delta[u + 1, ix.o]: ix.delta[u, ix.o]})
    with pytest.raises(StepNotProved, match="fails at"):
        prove_step(form, replace(last, rhs=same_step), [(3, 2)])
    forgot_above = last.rhs - ix.dA[u, ix.g2]
    with pytest.raises(StepNotProved, match="fails at"):
        prove_step(form, replace(last, rhs=forgot_above), [(3, 2)])


@pytest.mark.parametrize("notation", ["wikipedia", "nielsen", "ng"])
def test_markdown_prints_bptt_in_the_notation(notation: str) -> None:
    text = render_layers(layered_network(*NET), notation, "markdown")
    assert "### Layer 1: `rnn(3,tanh)`" in text
    assert "backpropagation through time" in text
    assert "Over a batch this is `shifted_matmul(DZ, Wh)`" in text
    assert "Over a batch this is `shifted_outer_sum(DZ, A)`" in text
    assert "}^{2}_{t,j}^" not in text and "}_{t,j}^{2}^" not in text  # no double superscripts
    assert "\\delta^{2}_{t + 1,i}" in text if notation == "nielsen" else "t + 1" in text


@needs_pdflatex
def test_latex_compiles(tmp_path: Path) -> None:
    command = f"symbp derive --input {NET[0]} --net '{NET[1]}' --loss {NET[2]} --format latex"
    text = render_layers(layered_network(*NET), "nielsen", "latex", command=command)
    log = pdflatex(tmp_path, text, "rnn.tex")
    assert overfull(log) == []  # the page fits: nothing sticks into the margin


def test_the_product_of_jacobians_is_derived_and_a_wrong_one_refused(form: li.LayerForm) -> None:
    from symbp.derive import layer_bptt

    steps, proved = layer_bptt.bptt(form)
    assert proved.startswith("every entry of") and all(s.verified_by for s in steps)
    jacobian = steps[-1].rhs
    assert jacobian == (1 - ix.h[ix.TIME, ix.o] ** 2) * ix.Wh[ix.o, ix.g2]
    transposed = jacobian.xreplace({ix.Wh[ix.o, ix.g2]: ix.Wh[ix.g2, ix.o]})
    with pytest.raises(StepNotProved, match="Jacobian step"):
        layer_bptt._prove_jacobian_step(form, replace(steps[-1], rhs=transposed), [(3, 2)])
    with pytest.raises(StepNotProved, match="unrolled gradient fails"):
        layer_bptt._prove_unrolled(form, transposed, [(3, 2)])
    doc = render_layers(layered_network(*NET), "wikipedia", "markdown")
    assert "Through time: the Jacobian of one step" in doc
    assert "\\left(J^{1}_{t+1}\\right)^{T} \\cdots \\left(J^{1}_{\\tau}\\right)^{T}" in doc
