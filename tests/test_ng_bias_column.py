"""Ng's bias unit (issue 8): column 0 of Theta^(l) is the bias, which the L2 term leaves out, so
D^(l) has the notes' two cases, j != 0 (regularised) and j = 0 (2B.9a/b); each printed case is
proved where it holds, and symbp check judges both rows of the writeup valid."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sympy

import symbp
from symbp.check.report import check_text
from symbp.derive import indexform as ix
from symbp.derive.generic import derive_generic
from symbp.derive.verify import StepNotVerified
from symbp.derive.verify_generic import verify_generic_step
from symbp.latex import writeup
from symbp.model import network

D_ROWS = (
    r"D_{i,j}^{(l)} &:= \dfrac{1}{m}\left(\Delta_{i,j}^{(l)} + \lambda \Theta_{i,j}^{(l)}\right)"
    r" \quad (j \neq 0)",
    r"D_{i,j}^{(l)} &:= \dfrac{1}{m}\Delta_{i,j}^{(l)} \quad (j = 0)",
)
REGULARISES_COLUMN_0 = r"D^{(l)} &:= \dfrac{1}{m}\left(\Delta^{(l)} + \lambda \Theta^{(l)}\right)"


@pytest.fixture(scope="module")
def ng():
    return derive_generic("sigmoid", "sigmoid", "bce", "unit", examples=True, l2=True)


def test_the_l2_derivative_is_split_at_the_bias_column_and_each_case_is_proved(ng):
    steps = ng.steps_for("mean_grad")
    bias, other = steps[-2], steps[-1]
    assert bias.lhs.variables[0] == ix.w[ix.LAYER, ix.P, 0] and bias.rhs == 0
    m, lam = sympy.Symbol("m", positive=True), sympy.Symbol("lambda", nonnegative=True)
    assert other.rhs == lam * ix.w[ix.LAYER, ix.P, ix.Q] / m and other.where == ((ix.Q, 1),)
    for step in steps:
        assert step.verified_by.startswith("every instantiation on "), step
    # the regularised case is false in the bias column: without its condition it fails
    with pytest.raises(StepNotVerified):
        verify_generic_step(replace(other, where=()), ng.spec, ng.bias)


def test_explicit_biases_have_one_case_and_one_matrix_form():
    der = derive_generic("sigmoid", "sigmoid", "bce", "explicit", examples=True, l2=True)
    assert all(not s.where for s in der.steps)
    text = writeup.render(der, notation="ng").text
    assert REGULARISES_COLUMN_0 in text and "(j = 0)" not in text


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_ng_writeup_states_both_cases_of_d_and_never_regularises_column_0(ng, fmt):
    text = writeup.render(ng, notation="ng", fmt=fmt).text
    assert all(row in text for row in D_ROWS)
    assert REGULARISES_COLUMN_0 not in text
    assert r"\sum_{l,i,j \geq 1} \left(\Theta_{i,j}^{(l)}\right)^2" in text
    assert r"\frac{\partial R}{\partial \Theta_{i,0}^{(l)}} &= 0" in text
    assert r"= \frac{\lambda \Theta_{i,j}^{(l)}}{m} \quad (j \geq 1)" in text
    assert "2B.9a, if $j \\neq 0$" in text and "2B.9b, if $j = 0$ (the bias)" in text


def test_the_checker_proves_both_cases_of_d_in_a_sized_ng_writeup():
    net = network([2, 2, 1], "sigmoid", "sigmoid", "bce", bias="unit", examples=3, l2="1/2")
    text = writeup.render(symbp.derive(net), notation="ng").text
    assert all(row in text for row in D_ROWS)
    verdicts = [s for s in check_text(text, net, "ng").steps if s.source.startswith("D_{i,j}")]
    assert [(s.verdict, s.method.rsplit(" where ", 1)[-1]) for s in verdicts] == [
        ("valid", "j != 0"),
        ("valid", "j = 0"),
    ]
