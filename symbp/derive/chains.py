"""Long products of the generic derivation, unrolled from its recursion: the chain rule over all
layers (Wikipedia's total-derivative product), ``nabla_x C`` and ``delta^l`` written out in
full, and the "naively computing forwards" list delta^1 ... delta^L.

An :class:`Unrolled` product is periodic in the layer: its items for layer m are read off the
derived recursion ``delta^{m} = (W^{m+1})^T delta^{m+1} o (f^{m})'`` (the recursion with its
``delta^{m+1}`` taken out), so nothing here types an equation in. :meth:`Unrolled.chain` shows
``head`` items from the start, an ellipsis, and ``tail`` items at the end, as the sources do.

>>> from symbp.derive.generic import derive_generic
>>> print(delta_product(derive_generic(), LAYER).chain(3, 5))
(f^l)' o (W^(l + 1))^T (f^(l + 1))' o ... o (W^(L - 1))^T (f^(L - 1))' o (W^L)^T (f^L)' o grad_a^L C
>>> print(delta_product(derive_generic(), DEPTH - 1).chain(3, 5))
(f^(L - 1))' o (W^L)^T (f^L)' o grad_a^L C
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symbp.derive import matrix as mx
from symbp.derive.matrix import DEPTH, ELLIPSIS, LAYER

Item = tuple[mx.Node, str | None]
"""An item and the operation that joins it to the next one (None for the last item)."""

_M = sympy.Symbol("m", integer=True)


def _factors(node: mx.Node, hole: mx.Node) -> list[Item]:
    """Items of a right-nested product, elementwise factors first, ``hole`` left out."""
    if node == hole:
        return []
    if isinstance(node, mx.Hadamard):
        vectors = [x for x in node.args if not isinstance(x, mx.FPrime)]
        elementwise = [x for x in node.args if isinstance(x, mx.FPrime)]
        out: list[Item] = [(x, "hadamard") for x in elementwise]
        for x in vectors:
            out += _factors(x, hole)
        return out
    if isinstance(node, mx.MatMul):
        out = []
        for x in node.args:
            out += _factors(x, hole) if x == hole else [(x, "matmul")]
        return out
    return [(node, None)]


@dataclass(frozen=True)
class Unrolled:
    """``lead`` items, then ``period(m)`` for m = start .. DEPTH - 1, then ``base`` items."""

    lead: tuple[Item, ...]
    period: tuple[Item, ...]
    start: sympy.Expr
    base: tuple[Item, ...]

    def _period(self, m: sympy.Expr) -> list[Item]:
        return [(mx.substitute(node, {_M: m}), op) for node, op in self.period]

    def count(self) -> sympy.Expr:
        return DEPTH - self.start

    def items(self, head: int, tail: int) -> list[Item]:
        """Items shown: ``head`` from the start, :data:`ELLIPSIS`, ``tail`` at the end (all of
        them when the number of layers is known)."""
        periods = sympy.simplify(self.count())
        if periods.is_Integer:
            out = list(self.lead)
            for i in range(int(periods)):
                out += self._period(self.start + i)
            return out + list(self.base)
        front = list(self.lead)
        m = self.start
        while len(front) < head:
            front += self._period(m)
            m += 1
        back = list(self.base)
        m = DEPTH - 1
        while len(back) < tail + len(self.period):
            back = self._period(m) + back
            m -= 1
        joining = back[len(back) - tail - 1][1]
        return front[:head] + [(ELLIPSIS, joining)] + back[len(back) - tail :]

    def chain(self, head: int, tail: int) -> mx.Chain:
        items = self.items(head, tail)
        return mx.Chain(tuple(n for n, _ in items), tuple(op for _, op in items[:-1]))


def delta_product(der, start: sympy.Expr) -> Unrolled:
    """delta^start written out: the recursion applied until delta^L."""
    recursion = der.equations["delta_recursion"]
    shifted = mx.substitute(recursion, {LAYER: _M + 1})
    period = _factors(shifted.rhs, mx.Vec("delta", _M + 1))
    base = _factors(der.equations["delta_L"].rhs, None)
    base = [(n, op) for n, op in base[:-1]] + [(base[-1][0], None)]
    return Unrolled((), tuple(period), start, tuple(base))


def input_gradient_product(der) -> Unrolled:
    """nabla_x C = (W^1)^T delta^1, with delta^1 written out."""
    grad_x = der.equations["grad_x"].rhs
    lead = _factors(grad_x, mx.Vec("delta", 1))
    inner = delta_product(der, sympy.Integer(1))
    return Unrolled(tuple(lead), inner.period, inner.start, inner.base)


def _row(node: mx.Node) -> mx.Node:
    """The item of the transposed (row, Jacobian) product: (W^T)^T = W, f' stays, grad -> dC/da."""
    if isinstance(node, mx.T):
        return node.arg
    if isinstance(node, mx.Grad):
        return mx.Partial(node.cost, node.wrt, total=True)
    return node


def jacobian_items(der, head: int, tail: int) -> mx.Chain:
    """dC/dx as the row product dC/da^L o (f^L)' W^L ... (f^1)' W^1 (Wikipedia's order)."""
    column = input_gradient_product(der).items(tail, head)
    nodes = [_row(node) for node, _ in column]
    joins = [op for _, op in column[:-1]]
    return mx.Chain(tuple(reversed(nodes)), tuple(reversed(joins)))


def _local_jacobian(node: mx.Node) -> mx.Node:
    """The chain-rule factor a local item came from: (f^m)' = da^m/dz^m, W^m = dz^m/da^{m-1}."""
    if isinstance(node, mx.FPrime):
        return mx.Partial(mx.Vec("a", node.layer), mx.Vec("z", node.layer), total=True)
    if isinstance(node, mx.Mat) and node.kind == "W":
        below = mx.Vec("x") if node.layer == 1 else mx.Vec("a", node.layer - 1)
        return mx.Partial(mx.Vec("z", node.layer), below, total=node.layer != 1)
    return node


def chain_rule_items(der, head: int, tail: int) -> mx.Chain:
    """dC/dx = dC/da^L . da^L/dz^L . dz^L/da^{L-1} ... : the chain rule before substitution.

    The last factor, dz^1/dx, is a partial derivative as in Wikipedia (x is the input).
    """
    substituted = jacobian_items(der, head, tail)
    nodes = tuple(_local_jacobian(n) for n in substituted.items)
    return mx.Chain(nodes, tuple("matmul" for _ in substituted.ops))


def naive_deltas(der) -> list[tuple[mx.Node, mx.Chain | None]]:
    """The "naively computing forwards" list: delta^1, delta^2, (vdots), delta^{L-1}, delta^L,
    each written out in full; the vertical ellipsis is the entry ``(ELLIPSIS, None)``."""
    rows: list[tuple[mx.Node, mx.Chain | None]] = []
    for start, head in ((sympy.Integer(1), 3), (sympy.Integer(2), 1)):
        rows.append((mx.Vec("delta", start), delta_product(der, start).chain(head, 5)))
    rows.append((ELLIPSIS, None))
    for start in (DEPTH - 1, DEPTH):
        rows.append((mx.Vec("delta", start), delta_product(der, start).chain(0, 5)))
    return rows


def diagonal_form(node: mx.Node) -> mx.Node:
    """f' o v written as diag(f') v (Nielsen's Sigma'(z) form, problem (33)-(35)).

    >>> from symbp.derive.generic import derive_generic
    >>> print(diagonal_form(derive_generic().equations["delta_recursion"]))
    delta^(l - 1) = diag((f^(l - 1))') (W^l)^T delta^l
    """
    if isinstance(node, mx.Equation):
        return mx.Equation(node.lhs, diagonal_form(node.rhs), node.relation)
    if isinstance(node, mx.Chain):
        items = tuple(mx.Diag(x) if isinstance(x, mx.FPrime) else x for x in node.items)
        return mx.Chain(items, tuple("matmul" for _ in node.ops))
    if isinstance(node, mx.Hadamard):
        diagonal = [mx.Diag(x) for x in node.args if isinstance(x, mx.FPrime)]
        rest: list[mx.Node] = []
        for x in node.args:
            if isinstance(x, mx.MatMul):
                rest += list(x.args)
            elif not isinstance(x, mx.FPrime):
                rest.append(x)
        return mx.MatMul(*diagonal, *rest)
    return node
