"""The one adapter around the LaTeX backend: read one side of a step.

symbp's own notation pre-pass (:mod:`symbp.check.grammar`) reads every side first: it owns the
indexed names, primes, transposes, partial derivatives, gradients, elementwise products and sums
that no backend reads (measured in the README). A side it cannot read and that names no network
quantity (an identity such as ``\\tanh'``-free ``1 - \\tanh^2(z)`` or ``\\cosh``) goes to
latex2sympy2_extended, always with ``lowercase_symbols=False`` (it lower-cases C and L
otherwise) and with ``\\log`` rewritten to ``\\ln`` (it reads ``\\log`` as base 10). Its answer is
a SymPy expression whose symbols are renamed to real, identifier-safe ones; no user text is
ever passed to ``eval`` or ``sympify``.

>>> read_side(r"\\frac{1}{\\cosh^2(z)} + \\binom{3}{2}")
('sympy', 3 + cosh(z)**(-2))
>>> read_side(r"a^L_j - y_j")[0]
'add'
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef

from symbp.check.grammar import QUANTITY, parse_side
from symbp.check.tokens import Unreadable, tokenize
from symbp.limits import TimeUp, time_limit

BACKEND = "latex2sympy2_extended"
BACKEND_SECONDS = 2.0
_NETWORK_WORDS = {"C", "J", "x", "y", "\\nabla", "\\partial", "\\sum", "\\sigma", "f", "g"}


def names_network_quantity(text: str) -> bool:
    """Does the text use a network quantity (an indexed w, a, z, ...) or a network operator?

    >>> names_network_quantity(r"1 - \\tanh^2(z)"), names_network_quantity(r"a^{l}_j")
    (False, True)
    """
    try:
        tokens = tokenize(text)
    except Unreadable:
        return True
    following = [t.text for t in tokens[1:]] + [""] if tokens else []
    return any(
        t.text in _NETWORK_WORDS or t.text in QUANTITY and nxt in ("^", "_")
        for t, nxt in zip(tokens, following, strict=True)
    )


def backend_parse(text: str) -> sympy.Expr:
    """Plain LaTeX arithmetic -> SymPy via latex2sympy2_extended; ``Unreadable`` on failure."""
    from latex2sympy2_extended import latex2sympy
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig

    text = re.sub(r"\\log(?![a-zA-Z])", r"\\ln", text)
    config = ConversionConfig(lowercase_symbols=False)
    try:
        with time_limit(BACKEND_SECONDS):
            expr = latex2sympy(text, normalization_config=None, conversion_config=config)
    except TimeUp:
        raise Unreadable(f"{BACKEND} took longer than {BACKEND_SECONDS:g} s") from None
    except Exception as error:  # noqa: BLE001 - the backend raises bare Exceptions
        raise Unreadable(f"{BACKEND} cannot read it: {str(error).splitlines()[0]}") from None
    if not isinstance(expr, sympy.Expr):
        raise Unreadable(f"{BACKEND} read it as {type(expr).__name__}, not an expression")
    safe = {s: sympy.Symbol(re.sub(r"\W", "_", s.name), real=True) for s in expr.free_symbols}
    return computable(expr.xreplace(safe))


class Uncomputable(Unreadable):
    """The backend read the text, but its value cannot be computed (the reason says why)."""


MAX_TERMS = 10_000  # terms of a sum or product over a plain letter, written out
MAX_FACTORIAL = 1_000
MAX_POWER = 10_000
_FUNCTIONS = (
    sympy.exp,
    sympy.log,
    sympy.Abs,
    sympy.sign,
    sympy.Max,
    sympy.Min,
    sympy.Heaviside,
    sympy.floor,
    sympy.ceiling,
    sympy.erf,
    sympy.functions.elementary.trigonometric.TrigonometricFunction,
    sympy.functions.elementary.trigonometric.InverseTrigonometricFunction,
    sympy.functions.elementary.hyperbolic.HyperbolicFunction,
)


def computable(expr: sympy.Expr) -> sympy.Expr:
    """The backend's answer with sums and products over plain letters written out (when they
    have whole-number limits and at most MAX_TERMS terms), or ``Unreadable`` naming what cannot
    be computed: an unknown function, a huge factorial, product or power, an integral, a limit.

    >>> z = sympy.Symbol("z", real=True)
    >>> n = sympy.Symbol("n", integer=True)
    >>> computable(sympy.Sum(n, (n, 1, 3))), computable(sympy.tanh(z) ** 2)
    (6, tanh(z)**2)
    >>> computable(sympy.Function("H")(z))
    Traceback (most recent call last):
    ...
    symbp.check.parse.Uncomputable: unknown function H (only the network's and the elementary ones)
    """
    if isinstance(expr, (sympy.Sum, sympy.Product)):
        kind = "sum" if isinstance(expr, sympy.Sum) else "product"
        body = computable(expr.function)
        for var, lo, hi in reversed(expr.limits):
            lo, hi = computable(lo), computable(hi)
            if not (lo.is_number and lo.is_integer and hi.is_number and hi.is_integer):
                raise Uncomputable(f"the {kind} over {var} needs whole-number limits")
            if hi - lo + 1 > MAX_TERMS:
                raise Uncomputable(f"the {kind} over {var} has more than {MAX_TERMS:,} terms")
        return computable(type(expr)(body, *expr.limits).doit())
    if isinstance(expr, (sympy.factorial, sympy.gamma)):
        arg = computable(expr.args[0])
        if arg.is_number and abs(arg) > MAX_FACTORIAL:
            raise Uncomputable(
                f"{type(expr).__name__} of a number past {MAX_FACTORIAL:,} is too large"
            )
        return type(expr)(arg)
    if isinstance(expr, sympy.Pow):
        base, exponent = (computable(a) for a in expr.args)
        if base.is_number and exponent.is_number and abs(exponent) > MAX_POWER:
            if abs(base) != 1:
                raise Uncomputable(f"a power with an exponent past {MAX_POWER:,} is too large")
        return sympy.Pow(base, exponent)
    if isinstance(expr, (sympy.Atom, sympy.Add, sympy.Mul)):
        return expr.func(*(computable(a) for a in expr.args)) if expr.args else expr
    if isinstance(expr, AppliedUndef):
        name = type(expr).__name__
        raise Uncomputable(f"unknown function {name} (only the network's and the elementary ones)")
    if isinstance(expr, _FUNCTIONS):
        return expr.func(*(computable(a) for a in expr.args))
    raise Uncomputable(f"{type(expr).__name__} cannot be checked here")


def read_side(text: str, offset: int = 0) -> object:
    """A syntax tree for one side (see the module docstring for who reads what)."""
    try:
        return parse_side(text, offset)
    except Unreadable as error:
        if names_network_quantity(text):
            raise
        try:
            return ("sympy", backend_parse(text))
        except Uncomputable:
            raise
        except Unreadable:
            raise error from None
