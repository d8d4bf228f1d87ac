"""Products print in a textbook's order (symbp/latex/factor_order.py), never changing the value."""

from __future__ import annotations

import sympy

import symbp
from symbp.derive import matrix as mx
from symbp.latex.concrete import to_latex
from symbp.latex.factor_order import node_factors
from symbp.latex.printer import GenericPrinter, style_for

a, y, z, w, d = (sympy.Symbol(n, real=True) for n in ("a2_1", "y1", "z1_1", "w2_1_1", "delta2_1"))


def test_loss_term_then_the_activation_derivative_with_its_activation():
    assert to_latex((1 - a) * (a - y) * a, "nielsen") == (
        "\\left(a^{3}_{1} - y_{1}\\right) a^{3}_{1} \\left(1 - a^{3}_{1}\\right)"
    )


def test_weight_then_error_then_the_relu_bracket_last():
    assert to_latex(sympy.Heaviside(z, 0) * d * w, "nielsen") == (
        "w^{3}_{11} \\delta^{3}_{1} \\left[z^{2}_{1} > 0\\right]"
    )


def test_numbers_first_and_signs_and_fractions_kept():
    assert to_latex(-2 * a * (1 - a) * d / w, "wikipedia") == (
        "- \\frac{2 \\delta_{1}^{2} a_{1}^{2} \\left(1 - a_{1}^{2}\\right)}{w_{11}^{2}}"
    )


def test_every_printed_delta_of_a_network_is_the_same_expression():
    # the order is the printer's only: the expression (and so its proof) is untouched
    der = symbp.derive(symbp.network([2, 3, 2], "tanh", "sigmoid", "bce"))
    for value in der.deltas.values():
        before = sympy.srepr(value)
        to_latex(value, "ng")
        assert sympy.srepr(value) == before


def test_hadamard_prints_the_loss_term_first_and_the_derivative_last_or_first():
    a_l, one, target = mx.Vec("a", mx.DEPTH), mx.Vec("one"), mx.Vec("y")
    node = mx.Hadamard(a_l, mx.Add(one, mx.Neg(a_l)), mx.Add(a_l, mx.Neg(target)))
    assert GenericPrinter(style_for("nielsen")).doprint(node) == (
        "(a^{L} - y) \\odot a^{L} \\odot (1 - a^{L})"
    )
    # Wikipedia writes the activation's derivative first: (f^L)' o grad_a C
    assert node_factors(node.args, derivative_first=True)[-1] == node.args[2]
