"""The truth for checking a hand derivation of self-attention's backward pass, derived from the
layer's own forward equations at one concrete size (T positions, d features, d_k).

:meth:`symbp.layers.attention.Attention.equations` defines Q = X Wq^T, K = X Wk^T, V = X Wv^T,
S = Q K^T / sqrt(d_k), P = softmax over the rows of S and A = P V as a graph of defined
quantities. The gradient of each one is the chain rule over the quantities that read it,
dC/du = sum_c dC/dc dc/du, with dC/dA given (symbols ``dA[t,c]``); each local derivative is
``sympy.diff`` of the reader's definition, except through the softmax, whose Jacobian is taken
in the weights, dp_il/ds_ij = p_il ([l = j] - p_ij), as the layer derivation does
(:mod:`symbp.derive.softmax_rows`, proved there against ``sympy.diff`` of the softmax).

A mistake is the same chain rule with one local rule changed (the softmax Jacobian taken as
diagonal, the scale 1/sqrt(d_k) left out, the scores' gradient transposed, a path left out):
:meth:`Graph.mistaken` gives dC/du under it, so a hint names a mistake only when the truth with
that mistake reproduces the student's step.

>>> g = Graph(2, 1, 2)
>>> g.shape["S"], g.shape["Wq"], len(g.definitions)
((2, 2), (2, 1), 24)
>>> g.grads[g.entry("V", 0, 1)]
dA[0,1]*p1[0,0] + dA[1,1]*p1[1,0]
"""

from __future__ import annotations

import cmath
import random

import numpy as np
import sympy

from symbp.check.tokens import Unreadable
from symbp.derive.algebraic import DefinitionsProver
from symbp.derive.softmax_rows import row_uses, softmax_rows_of
from symbp.layers.attention import Attention
from symbp.layers.base import Equations, LayerData
from symbp.layers.residual import Residual

ROLES = {"X": "x", "Q": "q", "K": "k", "V": "v", "S": "s", "P": "p", "A": "a"}
WEIGHTS = {"Wq": "q", "Wk": "k", "Wv": "v"}  # each weight and the projection it makes
PRECISION = 40
TOLERANCE = 1e-25
MAX_POWER = 64


def bounded_power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """base**exponent, refused (Unreadable) for an exponent past +-64: the prover expands
    powers, and no step of a derivation needs a larger one."""
    if not exponent.is_number or abs(exponent) > MAX_POWER:
        raise Unreadable(f"unreadable: a power of {exponent} (read up to +-{MAX_POWER})")
    return base**exponent


class Graph:
    """One attention layer on a T x d sequence with width d_k: its quantities, their derived
    gradients, and the exact prover modulo its definitions.

    ``residual``: the equations of ``residual(attention(d_k))`` (d_k = d) instead: A is then the
    residual's output X + P V (dC/dA given there), the attention's own output P V is F, and the
    chain rule gives dC/dX its identity path (the term X of A = X + F) besides Q, K and V."""

    def __init__(self, T: int, d: int, d_k: int, residual: bool = False) -> None:
        self.T, self.d, self.d_k, self.residual = T, d, d_k, residual
        eq = Equations()
        x = eq.inputs("x", (T, d))
        layer = Residual(Attention(d_k)) if residual else Attention(d_k)
        data = LayerData(position=1, layer=layer, input_shape=x.shape)
        layer.equations(eq, data, x)  # a SpecError where d_k != d for a residual
        roles = ROLES | ({"F": "f"} if residual else {})
        self.arrays = {name: data.arrays[role] for name, role in roles.items()}
        self.arrays |= {name: data.parameters[f"{name}1"] for name in WEIGHTS}
        self.shape = {name: array.shape for name, array in self.arrays.items()}
        self.definitions = eq.definitions
        self.dA = np.array(
            [[sympy.Symbol(f"dA[{t},{c}]", real=True) for c in range(d_k)] for t in range(T)],
            dtype=object,
        )
        self.role = {s: name for name, array in self.arrays.items() for s in array.flat}
        self.softmax = softmax_rows_of([data])
        self.readers = self._readers()
        self.grads = self._chain_rule()
        self.inputs = [*x.flat, *(s for n in WEIGHTS for s in self.arrays[n].flat), *self.dA.flat]
        self._provers: list[DefinitionsProver] = []

    def entry(self, name: str, *index: int) -> sympy.Symbol:
        return self.arrays[name][index]

    def _readers(self) -> dict[sympy.Symbol, list[tuple[sympy.Symbol, sympy.Expr]]]:
        """u -> [(c, dc/du)] for every quantity c whose definition reads u."""
        readers: dict[sympy.Symbol, list] = {}
        for c, value in self.definitions:
            if c in self.softmax:  # dp_i/ds_j in the weights: p_i ([i = j] - p_j)
                for s, jacobian in row_uses(*self.softmax[c]):
                    readers.setdefault(s, []).append((c, jacobian))
                continue
            for u in sorted(value.free_symbols, key=str):
                readers.setdefault(u, []).append((c, sympy.diff(value, u)))
        return readers

    def _chain_rule(self) -> dict[sympy.Symbol, sympy.Expr]:
        """dC/du for every quantity u, from dC/dA given, latest definition first."""
        grads = dict(zip(self.arrays["A"].flat, self.dA.flat, strict=True))
        order = [*self.arrays["X"].flat, *(s for n in WEIGHTS for s in self.arrays[n].flat)]
        for u in reversed([*order, *(c for c, _ in self.definitions)]):
            if u not in grads:
                grads[u] = sympy.Add(*[grads[c] * local for c, local in self.readers.get(u, [])])
        return grads

    def mistaken(self, u: sympy.Symbol, mistake: str, keep: tuple[str, ...] = ()) -> sympy.Expr:
        """dC/du by the chain rule with one local rule changed:

        ``diagonal``: the softmax Jacobian taken as diag(p) (dS = P o dP); ``diagonal_of``: as
        its diagonal only (dS = P o (1 - P) o dP); ``unscaled``: d s / d q without 1/sqrt(d_k);
        ``scaled_twice``: with 1/d_k; ``transposed``: the gradient of a T x T reader (S or P)
        read transposed; ``paths``: only the readers whose names are in ``keep``."""
        terms = []
        for c, local in self.readers.get(u, []):
            reader = self.role[c]
            if mistake == "paths" and reader not in keep:  # A: a residual's identity path
                continue
            grad = self.grads[c]
            if mistake in ("diagonal", "diagonal_of") and reader == "P":
                if c != self._twin(u, "P"):
                    continue
                p = c
                local = p if mistake == "diagonal" else p * (1 - p)
            elif mistake in ("unscaled", "scaled_twice") and reader == "S":
                root = sympy.sqrt(self.d_k)
                local = local * (root if mistake == "unscaled" else 1 / root)
            elif mistake == "transposed" and reader in ("S", "P"):
                grad = self.grads[self._transposed(c)]
            elif mistake == "transposed_local":
                local = local.xreplace(self._transpose_map())
            terms.append(grad * local)
        return sympy.Add(*terms)

    def _twin(self, u: sympy.Symbol, name: str) -> sympy.Symbol | None:
        """The entry of ``name`` at u's index (p_ij for s_ij)."""
        index = self._index(u)
        return self.arrays[name][index] if index is not None else None

    def _index(self, u: sympy.Symbol) -> tuple[int, ...] | None:
        where = np.argwhere(self.arrays[self.role[u]] == u)
        return tuple(int(i) for i in where[0]) if len(where) else None

    def _transposed(self, c: sympy.Symbol) -> sympy.Symbol:
        i, j = self._index(c)
        return self.arrays[self.role[c]][j, i]

    def _transpose_map(self) -> dict:
        return {
            self.arrays[n][i, j]: self.arrays[n][j, i]
            for n in ("S", "P")
            for i in range(self.T)
            for j in range(self.T)
        }

    # numbers and proofs --------------------------------------------------------------------
    def point(self, seed: int) -> dict[sympy.Symbol, sympy.Expr]:
        """Rational inputs, weights and dC/dA, and every defined quantity computed from them
        (to 40 digits): a point where the layer's equations hold."""
        rng = random.Random(seed)
        values = {s: sympy.Rational(rng.randint(-19, 19), 10) for s in self.inputs}
        for s, value in self.definitions:
            values[s] = sympy.N(value.xreplace(values), PRECISION)
        return values

    def number(self, expr: sympy.Expr, values: dict) -> complex:
        return complex(sympy.N(sympy.sympify(expr).xreplace(values), PRECISION))

    def differs(self, left: sympy.Expr, right: sympy.Expr) -> int | None:
        """The seed of a point (where the layer's equations hold) at which the sides differ."""
        for seed in range(2):
            point = self.point(seed)
            a, b = self.number(left, point), self.number(right, point)
            if not (cmath.isfinite(a) and cmath.isfinite(b)):
                raise ZeroDivisionError("a side is not finite there (a division by zero)")
            if abs(a - b) > TOLERANCE * max(1.0, abs(a)):
                return seed
        return None

    def example(self, left: sympy.Expr, right: sympy.Expr, seed: int, **where) -> dict:
        """A counterexample: both sides' values at the point of ``seed``, the first inputs,
        the size, and ``where`` (the indices, or the entry)."""
        point = self.point(seed)
        numbers = [self.number(e, point).real for e in (left, right)]
        first = [self.arrays["X"][0, 0], self.arrays["X"][0, 1], *(self.arrays[w][0, 0]
                 for w in WEIGHTS), self.dA[0, 0]]  # fmt: skip
        shown = {_named(s): str(point[s]) for s in first}
        size = f"T={self.T}, d={self.d}, d_k={self.d_k}" + (" (residual)" if self.residual else "")
        return {**where, "left": f"{numbers[0]:.6g}", "right": f"{numbers[1]:.6g}",
                "values": shown, "instance": size}  # fmt: skip

    def proved(self, left: sympy.Expr, right: sympy.Expr) -> bool:
        """left = right exactly, as polynomials in the weights P and the other quantities
        (first kept as atoms, then with Q, K, V, S and A replaced by their definitions), with
        sqrt(d_k) reduced by its square (:class:`DefinitionsProver`)."""
        if not self._provers:
            inner = {s for s, _ in self.definitions if self.role[s] != "P"}
            self._provers = [DefinitionsProver(self.definitions, set()),
                             DefinitionsProver(self.definitions, inner)]  # fmt: skip
        for prover in self._provers:
            derived = prover.expanded(np.array([sympy.sympify(right)]))
            if prover.equal(np.array([sympy.sympify(left)]), derived):
                return True
        return False


def _named(s: sympy.Symbol) -> str:
    """x1[0,1] -> X_{1,2}, Wq1[0,0] -> (W_q)_{1,1}, dA[0,0] -> dC/dA_{1,1} (counted from 1)."""
    name, index = s.name.rstrip("]").split("[")
    at = ",".join(str(int(i) + 1) for i in index.split(","))
    shown = {"x": "X", "dA": "dC/dA"}.get(name, f"(W_{name[1]})" if name[0] == "W" else name)
    return f"{shown}_{{{at}}}"


__all__ = ["Graph", "ROLES", "WEIGHTS"]
