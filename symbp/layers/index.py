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
# a recurrent layer: its state h (also its output), the weights of its input and of h_{t-1}, and
# dH, the whole gradient of h (through the layers above and through the next time step; dA is
# the part through the layers above)
h, Wx, Wh, dH = (sympy.IndexedBase(n) for n in ("h", "Wx", "Wh", "dH"))
GRADIENT = {z: delta, a: dA, h: dH}
"""The base of dC/d(entry) for each base the derivation differentiates by."""
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
T = sympy.Symbol("T", integer=True, positive=True)  # the number of time steps
TIME = sympy.Symbol("t", integer=True)  # an output's time step (u: the differentiated entry's)
g, g2 = sympy.symbols("g g'", **_int)  # a hidden unit of h_{t-1} summed over / differentiated
Range = tuple[sympy.Expr, sympy.Expr]


@dataclass(frozen=True)
class IndexForward:
    """One layer's forward equation in index form and what its derivation needs to know of it.

    ``lhs = rhs`` is one entry of what the layer computes before its activation (``z``) or of its
    output (``a``, a pooling layer). ``ranges``: the range of every index symbol the derivation
    uses; ``axes``: the index range of every axis of every array (an entry outside is 0);
    ``targets``: the entries differentiated, by quantity (``"W"``, ``"b"``, ``"input"``, ...);
    ``sizes``: each size symbol as (``"x"`` or ``"out"``, axis) of the instance's arrays;
    ``output``: the base of the layer's output, ``total``: the base of its whole gradient, and
    ``delta_target``: the entry of z the error delta is derived for (None: no activation)."""

    lhs: sympy.Indexed
    rhs: sympy.Expr
    ranges: dict[sympy.Symbol, Range]
    axes: dict[sympy.IndexedBase, tuple[Range, ...]]
    targets: tuple[tuple[str, sympy.Indexed], ...]
    sizes: dict[sympy.Symbol, tuple[str, int]]
    output: sympy.IndexedBase = a
    total: sympy.IndexedBase = dA
    delta_target: sympy.Indexed | None = None


def window_form(lhs: sympy.Indexed, rhs: sympy.Expr, dims: int, pooled: bool) -> IndexForward:
    """The ranges, axes, targets and sizes of a channels-first layer with ``dims`` spatial axes
    reading k-windows (a dense layer: ``dims`` 0): a convolution or dense layer (z, W, b), or a
    pool (``pooled``: its output a keeps the input's channels)."""
    pos, off, kern, inp = (s[:dims] for s in SPATIAL)
    channels = C_IN if pooled else C_OUT
    ranges: dict[sympy.Symbol, Range] = {o: (0, channels - 1), c: (0, channels - 1),
                                         e: (0, C_IN - 1), c2: (0, C_IN - 1)}  # fmt: skip
    ranges.update({i: (0, n - 1) for i, n in zip(pos, OUT, strict=False)})
    ranges.update({u: (0, n - 1) for u, n in zip(inp, IN, strict=False)})
    ranges.update({r: (0, K - 1) for r in (*off, *kern)})
    outputs = tuple((0, n - 1) for n in OUT[:dims])
    kernel = ((0, K - 1),) * dims
    axes = {
        x: ((0, C_IN - 1), *((0, n - 1) for n in IN[:dims])),
        z: ((0, C_OUT - 1), *outputs),
        a: ((0, channels - 1), *outputs),
        W: ((0, C_OUT - 1), (0, C_IN - 1), *kernel),
        b: ((0, C_OUT - 1),),
        M: ((0, C_IN - 1), *outputs, *kernel),
    }
    axes.update({delta: axes[z], dA: axes[a]})
    targets: list[tuple[str, sympy.Indexed]] = []
    if not pooled:
        targets += [("W", W[(c, c2, *kern)]), ("b", b[c])]
    targets.append(("input", x[(c2, *inp)]))
    sizes = {C_IN: ("x", 0), (C_IN if pooled else C_OUT): ("out", 0)}
    sizes.update({n: ("x", d + 1) for d, n in enumerate(IN[:dims])})
    sizes.update({n: ("out", d + 1) for d, n in enumerate(OUT[:dims])})
    delta_target = None if pooled else z[(c, *inp)]
    return IndexForward(lhs, rhs, ranges, axes, tuple(targets), sizes,
                        delta_target=delta_target)  # fmt: skip


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
