"""Pieces shared by the staged readers (:mod:`symbp.check.staged` for batch and layer norm,
:mod:`symbp.check.attention`), which build a step at concrete index values: a sum written out
term by term, an Iverson bracket of index values, and the local derivative of one defined
quantity by another.

>>> import sympy
>>> at = {}
>>> unrolled_sum(lambda tree: sympy.Integer(at["i"]) * tree, at, [("i", 1, 3)], 2)
12
>>> iverson_value("=", sympy.Integer(2), sympy.Integer(2)), at
(1, {})
"""

from __future__ import annotations

from collections.abc import Callable

import sympy

from symbp.check.tokens import Unreadable

_RELATIONS = {"=": sympy.Eq, "!=": sympy.Ne, "<": sympy.Lt, ">": sympy.Gt, "<=": sympy.Le,
              ">=": sympy.Ge}  # fmt: skip


def unrolled_sum(
    build: Callable, at: dict[str, int], parts: list, body, count: Callable | None = None
) -> sympy.Expr:
    """The sum over ``parts`` [(name, first, last)] of ``build(body)``, each index's value put
    in ``at`` while its terms are built (and its outer value restored after); ``count`` is told
    how many terms each level adds (a reader's bound on the sums' size)."""
    if not parts:
        return build(body)
    (name, first, last), rest = parts[0], parts[1:]
    if count is not None:
        count(last + 1 - first)
    saved, total = at.get(name), []
    try:
        for value in range(first, last + 1):
            at[name] = value
            total.append(unrolled_sum(build, at, rest, body, count))
    finally:
        if saved is None:
            at.pop(name, None)
        else:
            at[name] = saved
    return sympy.Add(*total)


def iverson_value(relation: str, left: sympy.Expr, right: sympy.Expr) -> sympy.Integer:
    """[left REL right] of two index values: 1 or 0 (Unreadable unless both are integers)."""
    if not (left.is_Integer and right.is_Integer) or relation not in _RELATIONS:
        raise Unreadable("unreadable: an Iverson bracket compares index values, as [i = j]")
    return sympy.Integer(int(bool(_RELATIONS[relation](left, right))))


def local_derivative(defined: dict, ancestors: Callable, c: sympy.Expr, u: sympy.Expr):
    """dc/du: the derivative of c's own definition (others held; 0 at an entry of an array
    it reads, x_hat_j by x_i; quantities that depend on u alone written out first, so
    dx_hat/dvar passes through sigma = sqrt(var + eps)), 1 or 0 for an input; c whose
    definition reads no entry of u's array but depends on u through others is Unreadable (0
    is not what the step means)."""
    if not isinstance(c, sympy.Symbol) or not isinstance(u, sympy.Symbol):
        raise Unreadable("unreadable: a derivative of one quantity by another is read")
    if c not in defined:
        return sympy.Integer(int(c == u))
    if _array(u) in {_array(s) for s in defined[c].free_symbols}:
        return sympy.diff(defined[c], u)  # 0 at an entry its equation does not read
    through = _through_aliases(defined, c, u)
    if through is not None:
        return sympy.diff(through, u)
    if u in ancestors(c):
        raise Unreadable(f"unreadable: d{c}/d{u}: {c} reads {u} only through other quantities "
                         "(write the chain rule through them)")  # fmt: skip
    return sympy.Integer(0)


def _through_aliases(defined: dict, c, u):
    """c's definition with every quantity that depends on u alone written out (Ioffe and
    Szegedy's dx_hat/dvar, with sigma = sqrt(var + eps) in between), if u then appears in it;
    else None."""

    def alias(s) -> bool:  # defined from u alone (through other such quantities)
        reads = defined[s].free_symbols if s in defined else set()
        return bool(reads) and all(r == u or alias(r) for r in reads)

    value, changed = defined[c], True
    while changed:
        aliases = {s: defined[s] for s in value.free_symbols if alias(s)}
        changed = bool(aliases)
        value = value.xreplace(aliases)
    return value if u in value.free_symbols else None


def _array(s: sympy.Symbol) -> str:
    """The array an entry belongs to (``xhat1[1,0]`` -> ``xhat1``; a scalar is its own)."""
    return s.name.split("[")[0]


def ancestors_of(defined: dict) -> Callable:
    """u -> every quantity u's definition reads, directly or through others."""
    memo: dict = {}

    def above(u):
        if u not in memo:
            found: set = set()
            for s in defined.get(u, sympy.Integer(0)).free_symbols:
                found |= {s} | above(s)
            memo[u] = found
        return memo[u]

    return above


__all__ = ["ancestors_of", "iverson_value", "local_derivative", "unrolled_sum"]
