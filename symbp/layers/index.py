"""The index-form vocabulary in which a layer kind states its forward equations with symbolic
sizes, next to the concrete equations it writes over arrays of symbols (``LayerKind.equations``):
one equation (``LayerKind.index_forward``, an :class:`IndexForward`: dense, conv, pool, rnn) or
several in forward order (``LayerKind.index_equations``, an :class:`IndexEquations`: attention,
lstm, meanpool, last, dense on a sequence, residual). Both are the layer's own statement;
nothing here knows a layer, and nothing here is a backward pass. :mod:`symbp.derive.layer_index`
and :mod:`symbp.derive.layer_index_multi` differentiate the index form with SymPy, and prove it
equal to the concrete equations at every entry of small instances before they derive anything
from it.

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
D = sympy.Symbol("d", integer=True, positive=True)  # a sequence's features (d of T x d)
N = sympy.Symbol("n", integer=True, positive=True)  # a sequence layer's units
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


@dataclass(frozen=True)
class IndexEquations:
    """A layer's forward equations in index form, in forward order (each ``lhs = rhs`` one
    entry of an array the layer defines), and what ties them to its concrete equations.

    ``axes``: the index range of every axis of every array (an entry outside is 0); ``roles``:
    each array's role in the layer's concrete equations (``"q"``, ``"a"``, or a parameter's
    role ``"Wq"``); ``sizes``: each size symbol as (role, axis) of those arrays;
    ``activation``: an elementwise activation the equations apply (its derivative is the
    registry's, with its kink convention), or None.

    >>> n = sympy.Symbol("n", integer=True, positive=True)
    >>> eqs = IndexEquations(((a[o], 2 * x[o]),), {x: ((0, n - 1),), a: ((0, n - 1),)},
    ...                      {x: "x", a: "a"}, {n: ("x", 0)})
    >>> eqs.ranges_of(), eqs.equation_of(a)
    ({o: (0, n - 1)}, (a[o], 2*x[o]))
    """

    equations: tuple[tuple[sympy.Indexed, sympy.Expr], ...]
    axes: dict[sympy.IndexedBase, tuple[Range, ...]]
    roles: dict[sympy.IndexedBase, str]
    sizes: dict[sympy.Symbol, tuple[str, int]]
    activation: object = None

    def ranges_of(self, *exprs: sympy.Expr) -> dict[sympy.Symbol, Range]:
        """The range of every bare index symbol of an array entry in ``exprs`` and in the
        equations (an index has the range of the axis it indexes)."""
        found: dict[sympy.Symbol, Range] = {}
        every = [*exprs, *(e for pair in self.equations for e in pair)]
        for expr in every:
            for entry in sympy.sympify(expr).atoms(sympy.Indexed):
                for index, span in zip(entry.indices, self.axes.get(entry.base, ()), strict=False):
                    if isinstance(index, sympy.Symbol):
                        found.setdefault(index, span)
        return found

    def equation_of(self, base: sympy.IndexedBase) -> tuple[sympy.Indexed, sympy.Expr]:
        """The equation that defines the entries of ``base``."""
        return next(pair for pair in self.equations if pair[0].base == base)


@dataclass(frozen=True)
class IndexStages:
    """A layer's forward equations as staged definitions along one axis of ``size`` entries
    (a norm's m examples or n features): each ``lhs = rhs`` defines a scalar (the mean mu) or
    an entry (x_hat[i]) from the input and the quantities before it; ``parameters``: the
    layer's parameters as they appear (an entry gamma[i], or one scalar gamma per feature)."""

    size: sympy.Symbol
    parameters: tuple[sympy.Expr, ...]
    definitions: tuple[tuple[sympy.Expr, sympy.Expr], ...]


def sequence_reduction(rhs: sympy.Expr) -> IndexEquations:
    """a_c = rhs: one vector of d features read off a T x d sequence x (its mean, its last
    step), with c a feature."""
    seq, feat = (0, T - 1), (0, D - 1)
    axes = {x: (seq, feat), a: (feat,)}
    return IndexEquations(((a[c], rhs),), axes, {x: "x", a: "a"}, {T: ("x", 0), D: ("x", 1)})


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
