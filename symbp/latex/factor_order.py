"""The order in which a product's factors are printed: a textbook's, not SymPy's.

Textbooks write a product as numbers and constants, Iverson brackets, loss terms such as
``(a - y)``, weights, activations (inputs too), errors (``\\delta`` and ``\\partial C/\\partial
...``), sums, other derivatives, and the activation's derivative last, the activation it is
written with included: ``(a - y) a (1 - a)``, ``\\sum_k w_{kj} \\delta_k \\, \\sigma'(z_j)``,
``w \\delta [z > 0]``. Printing order only: the expression (and its proof) is unchanged; each
printer classifies its own factors (SymPy's for the concrete and index printers, the matrix
nodes for the Hadamard printer) and this module sorts them, stably.

>>> rank = {"a": "activation", "1-a": "fprime", "a-y": "loss"}
>>> textbook_order(["1-a", "a-y", "a"], rank.get, lambda f: set(f.replace("-", "")))
['a-y', 'a', '1-a']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

import sympy

from symbp.derive import matrix as mx

RANKS = (
    "number",
    "iverson",
    "loss",
    "weight",
    "activation",
    "delta",
    "sum",
    "derivative",
    "fprime",
)
"""The printed order of a product's factors, first to last."""

T = TypeVar("T")


def textbook_order(
    factors: Sequence[T],
    rank_of: Callable[[T], str],
    atoms_of: Callable[[T], Iterable[Hashable]],
) -> list[T]:
    """``factors`` in :data:`RANKS` order (stable); an activation whose atoms all occur in an
    activation-derivative factor moves to just before it (``a (1 - a)`` stays together)."""
    ranks = [rank_of(f) for f in factors]
    derivative_atoms: set[Hashable] = set()
    for f, r in zip(factors, ranks, strict=True):
        if r == "fprime":
            derivative_atoms |= set(atoms_of(f))

    def key(item: tuple[int, T]) -> tuple[int, int, int]:
        position, f = item
        rank = ranks[position]
        if rank == "activation" and derivative_atoms and set(atoms_of(f)) <= derivative_atoms:
            return (RANKS.index("fprime"), 0, position)
        return (RANKS.index(rank), 1 if rank == "fprime" else 0, position)

    return [f for _, f in sorted(enumerate(factors), key=key)]


def sympy_rank(factor: sympy.Expr, atom_kind: Callable[[sympy.Basic], str | None]) -> str:
    """The rank of one SymPy factor; ``atom_kind`` names a quantity (``"weight"``,
    ``"activation"``, ``"pre"``, ``"delta"``, ``"target"``, ``"cost"``) or returns None for a
    constant. An index form's ``fprime(l, z)`` and ReLU's ``Heaviside(z)`` are derivatives of
    the activation; a Kronecker delta is the Iverson bracket ``[i = j]``.

    >>> a, y = sympy.symbols("a y")
    >>> kinds = {a: "activation", y: "target"}.get
    >>> [sympy_rank(f, kinds) for f in (a, 1 - a, a - y, sympy.Integer(2))]
    ['activation', 'fprime', 'loss', 'number']
    """
    base = factor.base if isinstance(factor, sympy.Pow) and factor.exp.is_Number else factor
    if isinstance(base, sympy.KroneckerDelta):
        return "iverson"
    if isinstance(base, sympy.Heaviside) or type(base).__name__ == "fprime":
        return "fprime"
    if isinstance(base, sympy.Sum):
        return "sum"
    if isinstance(base, sympy.Derivative):
        top = atom_kind(base.expr)
        bottom = atom_kind(base.variables[0])
        if top == "cost":
            return "delta"
        return "fprime" if (top, bottom) == ("activation", "pre") else "derivative"
    kinds = {atom_kind(a) for a in quantities(base)} - {None}
    if not kinds:
        return "number"
    if "target" in kinds:
        return "loss"
    if kinds == {"pre"}:
        return "fprime"  # e^{-z}: the activation's derivative before it is simplified
    if kinds == {"activation"}:
        return "fprime" if isinstance(base, sympy.Add) else "activation"
    if len(kinds) == 1:
        (kind,) = kinds
        return {"weight": "weight", "delta": "delta", "cost": "delta", "fprime": "fprime"}.get(
            kind, "derivative"
        )
    return "derivative"


def quantities(expr: sympy.Basic) -> set[sympy.Basic]:
    """The symbols and indexed entries of an expression (an entry's indices are not its own)."""
    found = set(expr.atoms(sympy.Indexed))
    inside = {s for e in found for s in e.free_symbols}
    found |= {s for s in expr.atoms(sympy.Symbol) if s not in inside}
    return found


def sympy_factors(
    factors: Sequence[sympy.Expr], atom_kind: Callable[[sympy.Basic], str | None]
) -> list[sympy.Expr]:
    """The factors of one SymPy product in :data:`RANKS` order."""
    return textbook_order(factors, lambda f: sympy_rank(f, atom_kind), quantities)


class TextbookMulMixin:
    """For a SymPy LaTeX printer: print every product's factors in :data:`RANKS` order.

    The printer names its quantities with ``atom_kind``; SymPy's own ``_print_Mul`` does the
    rest (signs, fractions, brackets) on an unevaluated product in that order.
    """

    _saved_order: object = None
    _ordering = False

    def atom_kind(self, atom: sympy.Basic) -> str | None:
        raise NotImplementedError

    def _print(self, expr: sympy.Basic, **kwargs: object) -> str:
        if not self._ordering:
            return super()._print(expr, **kwargs)  # type: ignore[misc]
        # a factor of the ordered product: printed with the printer's own order again
        self._settings["order"], self._ordering = self._saved_order, False  # type: ignore
        try:
            return super()._print(expr, **kwargs)  # type: ignore[misc]
        finally:
            self._settings["order"], self._ordering = "none", True  # type: ignore

    def _print_Mul(self, expr: sympy.Expr) -> str:
        if not isinstance(expr, sympy.Mul):
            return super()._print_Mul(expr)  # type: ignore[misc]
        if expr.could_extract_minus_sign():
            positive = -expr
            if isinstance(positive, sympy.Mul):
                return "- " + self._print_Mul(positive)
            return super()._print_Mul(expr)  # type: ignore[misc]
        coefficient, rest = expr.as_coeff_Mul()
        factors = sympy_factors(sympy.Mul.make_args(rest), self.atom_kind)
        if coefficient != 1:
            factors.insert(0, coefficient)
        ordered = sympy.Mul(*factors, evaluate=False)
        settings = self._settings  # type: ignore[attr-defined]
        self._saved_order, self._ordering = settings["order"], True
        settings["order"] = "none"
        try:
            return super()._print_Mul(ordered)  # type: ignore[misc]
        finally:
            settings["order"], self._ordering = self._saved_order, False


def node_factors(factors: Sequence[mx.Node], derivative_first: bool = False) -> list[mx.Node]:
    """The operands of one elementwise product of :mod:`symbp.derive.matrix` nodes in
    :data:`RANKS` order; ``derivative_first`` puts the activation's derivative (with the
    activation it is written with) first instead, as Wikipedia's ``(f^l)' \\circ ...`` does.

    >>> a, y, one = mx.Vec("a", mx.LAYER), mx.Vec("y"), mx.Vec("one")
    >>> order = node_factors([a, mx.Add(one, mx.Neg(a)), mx.Add(a, mx.Neg(y))])
    >>> [str(f) for f in order]
    ['a^l - y', 'a^l', '1 - a^l']
    """
    ordered = textbook_order(factors, node_rank, _node_atoms)
    if not derivative_first:
        return ordered
    last = [f for f in ordered if _in_derivative_group(f, ordered)]
    return last + [f for f in ordered if f not in last]


def _in_derivative_group(node: mx.Node, factors: Sequence[mx.Node]) -> bool:
    if node_rank(node) == "fprime":
        return True
    group = {atom for f in factors if node_rank(f) == "fprime" for atom in _node_atoms(f)}
    return node_rank(node) == "activation" and bool(group) and _node_atoms(node) <= group


def node_rank(node: mx.Node) -> str:
    """The rank of one operand of an elementwise product (see :func:`sympy_rank`)."""
    if isinstance(node, (mx.FPrime, mx.Jacobian, mx.Diag)):
        return "fprime"
    if isinstance(node, (mx.Grad, mx.Partial)):
        return "delta"
    if isinstance(node, mx.IndexSum):
        return "sum"
    kinds = {kind for kind, _ in _node_atoms(node)} - {"one"}
    if not kinds:
        return "number"
    if "y" in kinds:
        return "loss"
    if kinds <= {"a", "x"}:
        return "fprime" if isinstance(node, mx.Add) else "activation"
    if "W" in kinds or "w" in kinds:
        return "weight"
    if kinds == {"delta"}:
        return "delta"
    return "derivative"


def _node_atoms(node: mx.Node) -> set[tuple[str, object]]:
    """(kind, layer) of every vector, matrix and entry in a node."""
    if isinstance(node, (mx.Vec, mx.Mat, mx.Elem)):
        return {(node.kind, node.layer)}
    if isinstance(node, mx.FPrime):
        return {("fprime", node.layer)}
    found: set[tuple[str, object]] = set()
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, mx.Node):
                found |= _node_atoms(item)
    return found
