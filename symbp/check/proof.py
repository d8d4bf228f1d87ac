"""Are two values equal? Numerically at given points, and symbolically where SymPy can show it.

Values are compared at 30 significant digits with a relative tolerance of 1e-20, so a gap that
a double-precision tolerance would hide (``1 = 1.000000001``) is seen; a value that is not finite
or too large to compare (``e^{800}``) makes the step unreadable with that reason, never valid.

>>> import sympy
>>> agree([sympy.Float(1), sympy.Float(2)], [sympy.Float(1), sympy.Float(2)])
>>> agree([sympy.Float(1)], [sympy.Float("1.000000001", 30)])
0
>>> constant_gap(sympy.Symbol("x") + sympy.Rational(1, 10**9), sympy.Symbol("x"))
0
"""

from __future__ import annotations

import mpmath
import sympy

from symbp.check.products import Matrix
from symbp.check.tokens import Unreadable
from symbp.check.truth import DIGITS, Truth
from symbp.limits import TimeUp, time_limit

PROOF_SECONDS = 0.5
TOLERANCE = mpmath.mpf("1e-20")
LARGEST = mpmath.mpf("1e300")  # past double range: no point of a network gives such a value


def _number(expr: sympy.Expr, point: dict) -> mpmath.mpc:
    value = expr.xreplace(point)
    if value.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise Unreadable("a value is not finite at a test point (division by zero or overflow)")
    value = value.evalf(DIGITS)
    real, imag = value.as_real_imag()
    if not (real.is_Number and imag.is_Number):
        missing = sorted(str(s) for s in value.free_symbols)
        if missing:
            raise Unreadable(f"no value for {', '.join(missing)}")
        raise Unreadable("a value cannot be computed at a test point")
    with mpmath.workdps(DIGITS + 10):
        number = mpmath.mpc(_mpf(real), _mpf(imag))
        if not mpmath.isfinite(number) or abs(number) > LARGEST:
            raise Unreadable(
                "a value overflows at a test point (larger than 1e300 or not finite): "
                "it cannot be compared"
            )
    return number


def _mpf(x: sympy.Number) -> mpmath.mpf:
    return mpmath.mpf(sympy.Float(x, DIGITS)._mpf_)


def numbers(value, point: dict) -> list[mpmath.mpc]:
    entries = list(value) if isinstance(value, Matrix) else [value]
    return [_number(e, point) for e in entries]


def agree(left: list, right: list) -> int | None:
    """Index of the first entry where the two differ (None if all agree)."""
    with mpmath.workdps(DIGITS + 10):
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            a, b = mpmath.mpmathify(a), mpmath.mpmathify(b)
            if abs(a - b) > TOLERANCE * max(1, abs(a), abs(b)):
                return i
    return None


def constant_gap(left, right) -> int | None:
    """Index of the first entry whose difference is a nonzero constant (``\\delta + 10^{-25}``:
    no tolerance may hide it), else None."""
    pairs = zip(left, right, strict=True) if isinstance(left, Matrix) else [(left, right)]
    for i, (a, b) in enumerate(pairs):
        gap = sympy.expand(sympy.sympify(a - b))
        if gap.is_number and gap.is_zero is False:
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
