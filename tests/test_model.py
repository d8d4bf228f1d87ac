"""Network specifications: forward equations and every bad-specification error."""

from __future__ import annotations

import pytest
import sympy

from symbp.algebra import product
from symbp.errors import SpecError
from symbp.model import forward, network


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(sizes=[2, 0, 1]), "layer sizes must be integers >= 1, got [2, 0, 1]"),
        (dict(sizes=[3]), "a network needs at least 2 layer sizes (input and output), got [3]"),
        (dict(sizes="2,x"), "cannot read layer sizes '2,x'; write positive integers like 2,3,2"),
        (dict(sizes=[2, 1], hidden="sigmod", output="sigmod"), "unknown activation 'sigmod'"),
        (dict(sizes=[2, 3, 1], activations=["tanh"]), "2 weight layers need 2 activations, got 1"),
        (dict(sizes=[2, 1], output="softmax"), "softmax on a layer of 1 unit is the constant 1"),
        (dict(sizes=[2, 2], output="tanh", loss="cross-entropy"), "loss 'categorical_cross_"),
        (dict(sizes=[2, 2], output="relu", loss="bce"), "'relu' outputs lie in unknown"),
        (dict(sizes=[2, 1], bias="none"), "unknown bias style 'none'; known: explicit, unit"),
        (dict(sizes=[2, 1], examples=0), "the number of examples m must be an integer >= 1"),
        (dict(sizes=[2, 1], l2="-1"), "l2 lambda must be a finite number >= 0, got '-1'"),
        (dict(sizes=[2, 1], l2="nan"), "l2 lambda must be"),
        (dict(sizes=[2, 1], l2="abc"), "l2 lambda must be a number, got 'abc'"),
    ],
)
def test_bad_specifications_raise_one_clear_error(kwargs, message):
    with pytest.raises(SpecError) as err:
        network(**kwargs)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_forward_equations_with_explicit_biases():
    fwd = forward(network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
    w, x, b = sympy.Symbol("w1_2_1", real=True), sympy.Symbol("x1", real=True), None
    b = sympy.Symbol("b1_2", real=True)
    x2, w2 = sympy.Symbol("x2", real=True), sympy.Symbol("w1_2_2", real=True)
    assert fwd.z_def[(1, 2)] == w * x + w2 * x2 + b
    assert fwd.a_def[(1, 2)] == 1 / (1 + sympy.exp(-sympy.Symbol("z1_2", real=True)))
    assert len(fwd.parameters) == 9


def test_ng_bias_unit_is_column_zero_and_not_regularised():
    net = network([2, 3, 1], "sigmoid", "sigmoid", "bce", bias="unit", examples=5, l2="0.1")
    fwd = forward(net)
    assert not fwd.biases
    assert sorted(k for (layer, j, k) in fwd.weights if layer == 1 and j == 1) == [0, 1, 2]
    assert fwd.z_def[(1, 1)].has(sympy.Symbol("w1_1_0", real=True))
    assert not fwd.regularised(sympy.Symbol("w1_1_0", real=True))
    assert fwd.regularised(sympy.Symbol("w1_1_1", real=True))
    assert net.l2 == sympy.Rational(1, 10)
    assert net.parameter_count == 13


def test_product_is_sympys_canonical_mul():
    names = ["w2_1_3", "a1_3", "delta2_1", "x1", "b1_1", "a10_2", "delta1_10", "y3"]
    syms = [sympy.Symbol(n, real=True) for n in names]
    for s in syms:
        for t in syms:
            got, want = product(s, t), sympy.Mul(s, t)
            assert got == want and hash(got) == hash(want) and got.args == want.args
    assert product(sympy.Integer(1), syms[0]) is syms[0]
