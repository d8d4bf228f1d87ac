"""Small SymPy constructors for the hot loops of large networks.

``Mul(w, a)`` spends ~100 us canonicalising two symbols; a network of 200,000 weights builds
several such products per weight. :func:`product` builds the identical object (same args, same
hash, ``==``) directly when both factors are plain symbols; the tests compare it with ``Mul``.

>>> import sympy
>>> w, a = sympy.symbols("w2_1_3 a1_3", real=True)
>>> product(w, a) == sympy.Mul(w, a)
True
"""

from __future__ import annotations

import sympy

_ONE = sympy.Integer(1)


def product(x: sympy.Expr, y: sympy.Expr) -> sympy.Expr:
    """``x * y`` in SymPy's canonical form; fast when both are distinct commutative symbols."""
    if x is _ONE:
        return y
    if y is _ONE:
        return x
    if (
        type(x) is sympy.Symbol
        and type(y) is sympy.Symbol
        and x != y
        and x.is_commutative
        and y.is_commutative
    ):
        ordered = (x, y) if sympy.Basic.compare(x, y) < 0 else (y, x)
        return sympy.Mul._from_args(ordered, True)
    return sympy.Mul(x, y)
