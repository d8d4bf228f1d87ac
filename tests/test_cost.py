"""The cost comparison counts what the algorithms really multiply.

Oracle: backprop, the naive per-delta products and forward accumulation run on numbers that
count their multiplications (dense loops, as the counts assume), and their gradients agree.
"""

from __future__ import annotations

import math
import random

import pytest

from symbp.derive.cost import cost_comparison
from symbp.model import network

COUNT = [0]


class Num(float):
    """A float that counts multiplications."""

    def __mul__(self, other):
        COUNT[0] += 1
        return Num(float(self) * float(other))

    __rmul__ = __mul__

    def __add__(self, other):
        return Num(float(self) + float(other))

    __radd__ = __add__


def _setup(sizes, seed=0):
    rng = random.Random(seed)
    W = {
        m: [[rng.uniform(-1, 1) for _ in range(sizes[m - 1])] for _ in range(sizes[m])]
        for m in range(1, len(sizes))
    }
    b = {m: [rng.uniform(-1, 1) for _ in range(sizes[m])] for m in range(1, len(sizes))}
    x = [rng.uniform(-1, 1) for _ in range(sizes[0])]
    return W, b, x


def _forward(sizes, W, b, x):
    a, z = {0: x}, {}
    for m in range(1, len(sizes)):
        z[m] = [
            sum(W[m][j][k] * a[m - 1][k] for k in range(sizes[m - 1])) + b[m][j]
            for j in range(sizes[m])
        ]
        a[m] = [1 / (1 + math.exp(-v)) for v in z[m]]
    return a, z


def _fprime(a):
    return [Num(v * (1 - v)) for v in a]


def _back(sizes, W, a, grad, start):
    """delta^start .. delta^L by the recursion from delta^L = f' o grad (counted)."""
    L = len(sizes) - 1
    delta = {L: [f * g for f, g in zip(_fprime(a[L]), grad, strict=True)]}
    for m in range(L, start, -1):
        back = [
            sum(Num(W[m][j][k]) * delta[m][j] for j in range(sizes[m])) for k in range(sizes[m - 1])
        ]
        delta[m - 1] = [f * v for f, v in zip(_fprime(a[m - 1]), back, strict=True)]
    return delta


@pytest.mark.parametrize("sizes", [[2, 2, 1], [3, 2, 2, 1], [2, 3, 3, 3, 2]])
def test_counts_match_counted_algorithms(sizes):
    net = network(sizes, "sigmoid", "sigmoid", "mse")
    c = cost_comparison(net)
    W, b, x = _setup(sizes)
    a, _ = _forward(sizes, W, b, x)
    L = len(sizes) - 1
    y = [0.5] * sizes[-1]
    grad = [Num(v - t) for v, t in zip(a[L], y, strict=True)]

    COUNT[0] = 0
    delta = _back(sizes, W, a, grad, 1)
    gw = {
        m: [[delta[m][j] * a[m - 1][k] for k in range(sizes[m - 1])] for j in range(sizes[m])]
        for m in range(1, L + 1)
    }
    gx = [sum(Num(W[1][j][k]) * delta[1][j] for j in range(sizes[1])) for k in range(sizes[0])]
    assert COUNT[0] == c.backprop

    COUNT[0] = 0
    for start in range(1, L + 1):
        _back(sizes, W, a, grad, start)
    for m in range(1, L + 1):
        [[delta[m][j] * a[m - 1][k] for k in range(sizes[m - 1])] for j in range(sizes[m])]
    [sum(Num(W[1][j][k]) * delta[1][j] for j in range(sizes[1])) for k in range(sizes[0])]
    assert COUNT[0] == c.naive

    COUNT[0] = 0
    forward_grads = {}

    def tangent(layer, dz):
        for m in range(layer, L + 1):
            da = [f * v for f, v in zip(_fprime(a[m]), dz, strict=True)]
            if m < L:
                dz = [
                    sum(Num(W[m + 1][j][k]) * da[k] for k in range(sizes[m]))
                    for j in range(sizes[m + 1])
                ]
        return sum(g * v for g, v in zip(grad, da, strict=True))

    for m in range(1, L + 1):
        for j in range(sizes[m]):
            for k in range(sizes[m - 1]):
                seed = [Num(0)] * sizes[m]
                seed[j] = Num(a[m - 1][k]) * Num(1)
                forward_grads[(m, j, k)] = tangent(m, seed)
            seed = [Num(0)] * sizes[m]
            seed[j] = Num(1)
            tangent(m, seed)
    for k in range(sizes[0]):
        tangent(1, [Num(W[1][j][k]) for j in range(sizes[1])])
    assert COUNT[0] == c.forward
    assert c.passes == net.parameter_count + sizes[0]

    for (m, j, k), value in forward_grads.items():
        assert value == pytest.approx(gw[m][j][k], rel=1e-12, abs=1e-15)
    assert len(gx) == sizes[0]


def test_backprop_is_cheaper_and_the_gap_grows():
    small = cost_comparison(network([4, 4, 4, 4], "sigmoid", "sigmoid", "mse"))
    large = cost_comparison(network([16, 16, 16, 16], "sigmoid", "sigmoid", "mse"))
    assert 1 < small.ratio < large.ratio
    assert small.backprop <= small.naive
    assert "passes" in small.explanation


def test_softmax_output_costs_a_full_jacobian():
    elementwise = cost_comparison(network([3, 3, 3], "sigmoid", "sigmoid", "bce"))
    softmax = cost_comparison(network([3, 3, 3], "sigmoid", "softmax", "cce"))
    assert softmax.backprop - elementwise.backprop == 3 * 3 - 3


@pytest.mark.parametrize("sizes", [[2, 2, 1], [3, 2, 2, 1], [4, 5, 3, 2, 2], [1, 1]])
def test_generic_formulas_give_the_concrete_counts(sizes):
    from symbp.derive.cost import cost_formulas, evaluate_formula

    c = cost_comparison(network(sizes, "tanh", "sigmoid", "mse"))
    formulas = cost_formulas()
    assert evaluate_formula(formulas["backprop"], tuple(sizes)) == c.backprop
    assert evaluate_formula(formulas["naive"], tuple(sizes)) == c.naive
    assert evaluate_formula(formulas["forward"], tuple(sizes)) == c.forward
