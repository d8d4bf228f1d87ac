"""Exact polynomials over SymPy atoms: the arithmetic the recogniser proves array forms in.

A :class:`Poly` is a finite sum of rational coefficients times monomials, a monomial being a
multiset of *atoms* (SymPy symbols, and applied functions such as max-pooling's ``FirstMax``,
each kept whole) with integer powers: a negative power (``sigma**-1``, what a division by a
layer's standard deviation makes) is a Laurent monomial, so these are Laurent polynomials, and
dividing by a monomial is exact. Sums and products are expanded as they are made, so two
polynomials are equal exactly when their dictionaries are: comparing them is a proof of the
identity ``form - derived = 0`` as ``sympy.expand`` would give it, without SymPy's
per-operation cost.
An atom is never looked inside, so a difference hidden in one (a ``FirstMax`` over other inputs)
is a difference; the comparison can refuse a true identity of such atoms, never accept a false
one.

The array operations of :mod:`symbp.derive.arrayops` run on object arrays of these exactly as
on floats (``+``, ``*``, ``/`` by numbers, zeros as the integer 0).

>>> import sympy
>>> u, v = sympy.symbols("u v", real=True)
>>> (atom(u) + atom(v)) * (atom(u) - atom(v)) == from_sympy(u**2 - v**2)
True
>>> from_sympy(sympy.Rational(1, 2) * (u + v)) == (atom(u) + atom(v)) / 2
True
>>> (atom(u) * atom(v) + atom(u)) / (2 * atom(u)) == from_sympy((v + 1) / 2)
True
>>> (atom(u) / atom(v)).substitute({v: atom(u)}) == 1
True
>>> (atom(u) * 0 + 8).sqrt() / 8 == from_sympy(1 / sympy.sqrt(8))
True
"""

from __future__ import annotations

from fractions import Fraction

import sympy

Monomial = frozenset  # of (atom, power) pairs


class Poly:
    """sum of coefficient * monomial; ``terms`` maps a monomial to its nonzero Fraction."""

    __slots__ = ("terms",)

    def __init__(self, terms: dict[Monomial, Fraction]) -> None:
        self.terms = terms

    def __add__(self, other: object) -> Poly:
        other = _lift(other)
        if other is NotImplemented:
            return NotImplemented
        out = dict(self.terms)
        for mono, c in other.terms.items():
            total = out.get(mono, 0) + c
            if total:
                out[mono] = total
            else:
                out.pop(mono, None)
        return Poly(out)

    __radd__ = __add__

    def __neg__(self) -> Poly:
        return Poly({m: -c for m, c in self.terms.items()})

    def __sub__(self, other: object) -> Poly:
        other = _lift(other)
        return NotImplemented if other is NotImplemented else self + (-other)

    def __rsub__(self, other: object) -> Poly:
        return -self + other

    def __mul__(self, other: object) -> Poly:
        other = _lift(other)
        if other is NotImplemented:
            return NotImplemented
        out: dict[Monomial, Fraction] = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in other.terms.items():
                mono = _times(m1, m2)
                total = out.get(mono, 0) + c1 * c2
                if total:
                    out[mono] = total
                else:
                    out.pop(mono, None)
        return Poly(out)

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Poly:
        if isinstance(other, int | Fraction) and other:
            return Poly({m: c / other for m, c in self.terms.items()})
        if isinstance(other, Poly) and len(other.terms) == 1:  # a monomial: exact
            ((mono, c),) = other.terms.items()
            inverse = Poly({frozenset((a, -p) for a, p in mono): 1 / c})
            return self * inverse
        return NotImplemented

    def substitute(self, values: dict) -> Poly:
        """Every atom in ``values`` replaced by its polynomial (a negative power only of a
        monomial value; other atoms kept), expanded."""
        out = Poly({})
        for mono, c in self.terms.items():
            term = Poly({ONE: c})
            kept = []
            for a, p in mono:
                value = values.get(a)
                if value is None or (p < 0 and len(value.terms) != 1):
                    kept.append((a, p))
                elif p < 0:
                    term = term / _power(value, -p)
                else:
                    term = term * _power(value, p)
            out = out + term * Poly({frozenset(kept): Fraction(1)})
        return out

    def sqrt(self) -> Poly:
        """The exact square root of a constant (what ``np.sqrt`` calls on an object array):
        SymPy's, a rational or an algebraic atom such as sqrt(2) (sqrt(8) is 2 sqrt(2))."""
        if any(self.terms.keys() - {ONE}):
            raise TypeError("only the square root of a constant polynomial is exact")
        c = self.terms.get(ONE, Fraction(0))
        return from_sympy(sympy.sqrt(sympy.Rational(c.numerator, c.denominator)))

    def power_of(self, a: sympy.Basic) -> tuple[int, int]:
        """The least and greatest power of atom ``a`` over the monomials (0 where absent)."""
        powers = [dict(mono).get(a, 0) for mono in self.terms] or [0]
        return min(powers), max(powers)

    def __eq__(self, other: object) -> bool:
        other = _lift(other)
        return other is not NotImplemented and self.terms == other.terms

    def __hash__(self) -> int:
        return hash(frozenset(self.terms.items()))

    def to_sympy(self) -> sympy.Expr:
        """Back to a SymPy expression (for an atom: the atom itself)."""
        terms = []
        for mono, c in self.terms.items():
            factors = [sympy.Rational(c.numerator, c.denominator)]
            factors += [a**p for a, p in mono]
            terms.append(sympy.Mul(*factors))
        return sympy.Add(*terms)

    def __repr__(self) -> str:
        return f"Poly({self.to_sympy()})"


def _times(m1: Monomial, m2: Monomial) -> Monomial:
    if not m1:
        return m2
    if not m2:
        return m1
    powers = dict(m1)
    for a, p in m2:
        powers[a] = powers.get(a, 0) + p
    return frozenset((a, p) for a, p in powers.items() if p)


def _power(value: Poly, p: int) -> Poly:
    out = Poly({ONE: Fraction(1)})
    for _ in range(p):
        out = out * value
    return out


ONE = frozenset()


def _lift(value: object) -> Poly:
    if isinstance(value, Poly):
        return value
    if isinstance(value, bool):
        return NotImplemented
    if isinstance(value, int | Fraction):
        return Poly({ONE: Fraction(value)} if value else {})
    if isinstance(value, sympy.Basic):
        return from_sympy(value)
    return NotImplemented


def atom(a: sympy.Basic) -> Poly:
    """The polynomial that is the atom ``a`` (a symbol, or a function kept whole)."""
    return Poly({frozenset({(a, 1)}): Fraction(1)})


def from_sympy(expr: sympy.Basic) -> Poly:
    """``expr`` expanded into a polynomial over its atoms (powers with integer exponents >= 0,
    an atom's negative integer powers, rational numbers; anything else, such as an applied
    function or a root, is an atom)."""
    expr = sympy.sympify(expr)
    if isinstance(expr, sympy.Add):
        out = Poly({})
        for term in expr.args:
            out = out + from_sympy(term)
        return out
    if isinstance(expr, sympy.Mul):
        out = Poly({ONE: Fraction(1)})
        for factor in expr.args:
            out = out * from_sympy(factor)
        return out
    if isinstance(expr, sympy.Rational):
        return _lift(Fraction(int(expr.p), int(expr.q)))
    if isinstance(expr, sympy.Pow) and isinstance(expr.exp, sympy.Integer) and expr.exp >= 0:
        out = Poly({ONE: Fraction(1)})
        base = from_sympy(expr.base)
        for _ in range(int(expr.exp)):
            out = out * base
        return out
    if isinstance(expr, sympy.Pow) and isinstance(expr.exp, sympy.Integer):
        base = from_sympy(expr.base)
        if len(base.terms) == 1:  # a monomial's negative power: a Laurent monomial
            return Poly({ONE: Fraction(1)}) / _power(base, -int(expr.exp))
    return atom(expr)
