"""Are two values equal? Numerically at given points, and symbolically where SymPy can show it.

>>> import sympy
>>> a, z = sympy.symbols("a z")
>>> agree([1.0, 2.0], [1.0, 2.0 + 1e-12]), agree([1.0], [1.5])
(None, 0)
"""

from __future__ import annotations

import sympy

from symbp.check.products import Matrix
from symbp.check.tokens import Unreadable
from symbp.check.truth import Truth
from symbp.limits import TimeUp, time_limit

PROOF_SECONDS = 0.5
TOLERANCE = 1e-8


def _number(expr: sympy.Expr, point: dict) -> complex:
    value = expr.xreplace(point).evalf(15)
    try:
        return complex(value)
    except TypeError:
        missing = sorted(str(s) for s in value.free_symbols)
        raise Unreadable(f"no value for {', '.join(missing)}") from None


def numbers(value, point: dict) -> list[complex]:
    entries = list(value) if isinstance(value, Matrix) else [value]
    return [_number(e, point) for e in entries]


def agree(left: list[complex], right: list[complex]) -> int | None:
    """Index of the first entry where the two differ (None if all agree)."""
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        if abs(a - b) > TOLERANCE * max(1.0, abs(a), abs(b)) or a != a or b != b:
            return i
    return None


def prove(left, right, truth: Truth) -> bool:
    """Is left - right identically zero, treating the symbols that remain as free?

    >>> from symbp.model import network
    >>> truth = Truth.of(network([2, 1], "sigmoid", "sigmoid", "mse"))
    >>> a, z = sympy.Symbol("a1_1", real=True), sympy.Symbol("z1_1", real=True)
    >>> prove(a * (1 - a), sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2, truth)
    True

    Deltas are replaced by what the derivation says one layer at a time (a delta symbol left in
    place is just a free symbol, so a proof with it is still a proof); at each depth the gap is
    expanded, then, with activations written as functions of the pre-activations, cancelled.
    """
    pairs = zip(left, right, strict=True) if isinstance(left, Matrix) else [(left, right)]
    gaps = [sympy.sympify(a - b) for a, b in pairs]
    try:
        with time_limit(PROOF_SECONDS):
            return all(_zero(gap, truth) for gap in gaps)
    except TimeUp:
        return False


def _zero(gap: sympy.Expr, truth: Truth) -> bool:
    fwd, der = truth.forward, truth.derivation
    z_def = {fwd.z[key]: value for key, value in fwd.z_def.items()}
    for _ in range(truth.network.L + 1):
        if sympy.expand(gap) == 0 or sympy.expand(gap.xreplace(z_def)) == 0:
            return True
        # NOTE: activations become functions of the pre-activations only for the units whose
        # z appears in the gap, and cancel treats exp(-z) as one generator: together they settle
        # the sigmoid and tanh identities at a fraction of simplify's cost.
        zs = gap.free_symbols & set(fwd.z.values())
        in_z = {fwd.a[k]: v for k, v in fwd.a_def.items() if fwd.z[k] in zs}
        if in_z and sympy.cancel(sympy.expand(gap.xreplace(in_z))) == 0:
            return True
        deltas = [k for k, s in fwd.delta.items() if s in gap.free_symbols]
        if not deltas:
            break
        lowest = min(k[0] for k in deltas)
        gap = gap.xreplace({fwd.delta[k]: der.deltas[k] for k in deltas if k[0] == lowest})
    in_z = {fwd.a[key]: value for key, value in fwd.a_def.items()}
    return sympy.simplify(gap.xreplace(in_z)) == 0
