"""The one adapter around the LaTeX backend: read one side of a step.

symbp's own notation pre-pass (:mod:`symbp.check.grammar`) reads every side first: it owns the
indexed names, primes, transposes, partial derivatives, gradients, elementwise products and sums
that no backend reads (measured in the README). A side it cannot read and that names no network
quantity (an identity such as ``\\tanh'``-free ``1 - \\tanh^2(z)`` or ``\\cosh``) goes to
latex2sympy2_extended, always with ``lowercase_symbols=False`` (it lower-cases C and L
otherwise) and with ``\\log`` rewritten to ``\\ln`` (it reads ``\\log`` as base 10). Its answer is
a SymPy expression whose symbols are renamed to real, identifier-safe ones; no user text is
ever passed to ``eval`` or ``sympify``.

>>> read_side(r"\\frac{1}{\\cosh^2(z)}")
('sympy', cosh(z)**(-2))
>>> read_side(r"a^L_j - y_j")[0]
'add'
"""

from __future__ import annotations

import re

import sympy

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
    return expr.xreplace(safe)


def read_side(text: str, offset: int = 0) -> object:
    """A syntax tree for one side (see the module docstring for who reads what)."""
    try:
        return parse_side(text, offset)
    except Unreadable as error:
        if names_network_quantity(text):
            raise
        try:
            return ("sympy", backend_parse(text))
        except Unreadable:
            raise error from None
