"""The index-form vocabulary in which a layer kind states its forward equation with symbolic
sizes (``LayerKind.index_forward``), next to the concrete equations it writes over arrays of
symbols (``LayerKind.equations``). Both are the layer's own statement; nothing here knows a
layer. :mod:`symbp.derive.layer_index` differentiates the index form with SymPy, and proves the
index form equal to the concrete equations at every entry of small instances before it derives
anything from it.

Arrays are ``sympy.IndexedBase``; an entry outside an array's index range is 0 (zero padding).

>>> source((i, j), (r, t), STRIDE, PAD)
(-P + i*s + r, -P + j*s + t)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

C = sympy.Symbol("C")  # the cost
x, z, a, W, b = (sympy.IndexedBase(n) for n in ("x", "z", "a", "W", "b"))
delta, dA, M = sympy.IndexedBase("delta"), sympy.IndexedBase("dA"), sympy.IndexedBase("M")
_int = {"integer": True}
# o: an output channel (a dense unit), e: an input channel (a dense input) summed over;
# c, c': the channels of the entries differentiated; then per spatial axis (up to 2):
o, e, c, c2 = sympy.symbols("o e c c'", **_int)
SPATIAL = tuple(sympy.symbols(n, **_int) for n in ("i j", "r t", "p q", "u v"))
i, j = SPATIAL[0]  # output positions
r, t = SPATIAL[1]  # window offsets summed over
C_OUT, C_IN = sympy.symbols("C C'", integer=True, positive=True)
K = sympy.Symbol("k", integer=True, positive=True)
OUT = sympy.symbols("H' W'", integer=True, positive=True)
IN = sympy.symbols("H W", integer=True, positive=True)
STRIDE, PAD = sympy.Symbol("s", integer=True, positive=True), sympy.Symbol("P", **_int)


@dataclass(frozen=True)
class IndexForward:
    """``lhs = rhs``: one entry of the layer's output (``z[o, i, j]`` or ``a[o, i, j]``) in
    index form; ``channels`` is the size symbol of the output's channel axis."""

    lhs: sympy.Indexed
    rhs: sympy.Expr
    channels: sympy.Symbol


def positions(dims: int) -> tuple[sympy.Symbol, ...]:
    """The output position indices of ``dims`` spatial axes."""
    return SPATIAL[0][:dims]


def offsets(dims: int) -> tuple[sympy.Symbol, ...]:
    """The window offset indices of ``dims`` spatial axes."""
    return SPATIAL[1][:dims]


def window(dims: int) -> list[tuple[sympy.Symbol, int, sympy.Expr]]:
    """The summation limits of a k-window: every offset from 0 to k - 1."""
    return [(q, 0, K - 1) for q in offsets(dims)]


def source(pos, off, stride, pad) -> tuple[sympy.Expr, ...]:
    """The input index that output position ``pos`` reads at window offset ``off``."""
    return tuple(stride * p + q - pad for p, q in zip(pos, off, strict=True))
