"""Exact proofs modulo a layer's own definitions: what proves layer norm's compact backward.

A layer such as ``layernorm`` defines intermediate quantities (mu, var, sigma, x_hat) and reads
them in later equations. The chain rule's input gradient is then written in those quantities,
and the famous compact form

    dx = (1 / (n sigma)) (n g - sum g - x_hat sum(g x_hat)),   g = gamma * dy,

equals it only *given* their definitions: it uses sum_j x_hat_j = 0 (true because mu is the
mean) and sigma^2 = var + eps. It is not an identity of free atoms, so the plain comparison of
:mod:`symbp.derive.recognise` cannot prove it. :class:`DefinitionsProver` proves it exactly:

1. Every intermediate u = expr whose definition is a Laurent polynomial in earlier atoms (mu, var,
   x_hat: sums, products, division by sigma) is *substituted*: u is replaced by its definition,
   recursively, down to the layer's input x, its parameters and the deltas.
2. Every intermediate defined as a root, u = B^(1/q) (sigma = (var + eps)^(1/2)), is kept as an
   *algebraic atom* with the relation u^q = B (B substituted as in 1). Powers B^(k/q) that the
   chain rule wrote (d sigma / d var = (1/2) (var + eps)^(-1/2)) are first rewritten as u^k.
3. Both sides, now Laurent polynomials over x, the parameters, the deltas and the algebraic
   atoms, are subtracted; the difference is multiplied by u^K (K clears every negative power of
   u) and reduced modulo u^q - B (each u^p with p >= q becomes u^(p-q) B, until every power is
   below q). The candidate is accepted only if the result is the zero polynomial.

**Why this is a proof.** Steps 1 and 2 replace quantities by what they are defined to be, so they
preserve the value wherever the forward equations hold. Multiplying by u^K changes nothing about
being zero, because u != 0 (sigma >= sqrt(eps) > 0). Reducing by u^q - B subtracts multiples of
u^q - B, which is 0 wherever u^q = B, i.e. wherever u is defined. So a zero remainder means
``candidate - derived = 0`` at every point where the layer's equations hold: the identity is
proved, exactly, with rational coefficients (no floating point). The converse may fail (a true
identity whose remainder is not visibly 0, e.g. inside an atom kept whole), so the prover can
refuse a true form, never accept a false one. Nothing here names a layer: any layer whose
intermediates are Laurent polynomials and roots is proved the same way.

>>> import sympy
>>> from symbp.derive.layered_poly import atom
>>> x, s, v = sympy.symbols("x s v", real=True)
>>> prover = DefinitionsProver([(v, x**2), (s, sympy.sqrt(v + 1))], {v, s})
>>> derived = prover.expanded(np.array([(x**2 + 1) / sympy.sqrt(v + 1)]))  # s^2 / s, written so
>>> prover.equal(np.array([atom(s)]), derived), prover.equal(np.array([atom(s) / 2]), derived)
(1, 0)
>>> r = sympy.sqrt(2)  # a numeric root: 1 / r and r / 2 are one number
>>> prover.equal(np.array([atom(x) / atom(r)]), prover.expanded(np.array([x * r / 2])))
1
"""

from __future__ import annotations

import numpy as np
import sympy

from symbp.derive.layered_poly import Poly, from_sympy


class DefinitionsProver:
    """The entry-by-entry prover of :mod:`symbp.derive.recognise`, modulo the definitions of
    the quantities in ``internal`` (``definitions`` in forward order; others are ignored)."""

    def __init__(self, definitions: list[tuple[sympy.Symbol, sympy.Expr]], internal: set) -> None:
        self.values: dict[sympy.Symbol, Poly] = {}
        self.roots: dict[sympy.Symbol, tuple[int, Poly]] = {}
        self._bases: list[tuple[sympy.Expr, sympy.Rational, sympy.Symbol]] = []
        for u, expr in definitions:
            if u not in internal:
                continue
            expr = self._rewrite(expr)
            if (
                isinstance(expr, sympy.Pow)
                and isinstance(expr.exp, sympy.Rational)
                and not isinstance(expr.exp, sympy.Integer)
                and expr.exp.p == 1
            ):
                self.roots[u] = (int(expr.exp.q), self.poly(expr.base))
                self._bases.append((expr.base, expr.exp, u))
            else:
                self.values[u] = self.poly(expr)

    def _rewrite(self, expr: sympy.Expr) -> sympy.Expr:
        """Powers B^(k e) of a root u = B^e written as u^k."""
        for base, exp, u in self._bases:

            def hit(e, base=base, exp=exp):
                return isinstance(e, sympy.Pow) and e.base == base and (e.exp / exp).is_integer

            expr = expr.replace(hit, lambda e, exp=exp, u=u: u ** (e.exp / exp))
        return expr

    def poly(self, expr: sympy.Expr) -> Poly:
        """``expr`` with every definition substituted (roots kept as atoms)."""
        return from_sympy(self._rewrite(sympy.sympify(expr))).substitute(self.values)

    def reduce(self, poly: Poly) -> Poly:
        """u^K poly reduced modulo u^q - B for every root u (see the module docstring), and
        every numeric root r = n^(1/q) (attention's sqrt(d_k)) modulo r^q - n."""
        for u, (q, base) in [*self.roots.items(), *_numeric_roots(poly)]:
            low, _ = poly.power_of(u)
            if low < 0:
                poly = poly * Poly({frozenset({(u, -low)}): 1})
            while True:
                _, high = poly.power_of(u)
                if high < q:
                    break
                poly = _lower(poly, u, q, base)
        return poly

    def expanded(self, derived: np.ndarray) -> np.ndarray:
        out = np.empty(derived.shape, dtype=object)
        for idx, t in np.ndenumerate(derived):
            out[idx] = self.poly(t)
        return out

    def equal(self, form: np.ndarray, derived: np.ndarray) -> int:
        """How many entries of ``form`` equal ``derived`` modulo the definitions (0 unless all)."""
        if not isinstance(form, np.ndarray) or form.shape != derived.shape or not form.size:
            return 0
        for f, t in zip(form.flat, derived.flat, strict=True):
            f = f.substitute(self.values) if isinstance(f, Poly) else self.poly(f)
            if self.reduce(f - t).terms:
                return 0
        return form.size


def _numeric_roots(poly: Poly) -> list[tuple[sympy.Expr, tuple[int, Poly]]]:
    """The atoms n^(1/q) of ``poly`` (n a positive integer), each with (q, n): an algebraic
    number with the relation r^q = n (r != 0)."""
    atoms = {a for mono in poly.terms for a, _ in mono}
    found = [
        a for a in atoms
        if isinstance(a, sympy.Pow) and isinstance(a.base, sympy.Integer) and a.base > 0
        and isinstance(a.exp, sympy.Rational) and a.exp.p == 1 and a.exp.q > 1
    ]  # fmt: skip
    return [
        (a, (int(a.exp.q), from_sympy(a.base))) for a in sorted(found, key=sympy.default_sort_key)
    ]


def _lower(poly: Poly, u: sympy.Symbol, q: int, base: Poly) -> Poly:
    """Every monomial u^p m with p >= q rewritten as u^(p-q) m B."""
    out = Poly({})
    for mono, c in poly.terms.items():
        p = dict(mono).get(u, 0)
        if p < q:
            out = out + Poly({mono: c})
            continue
        rest = frozenset((a, k if a != u else k - q) for a, k in mono if a != u or k != q)
        out = out + Poly({rest: c}) * base
    return out
