"""``attention(d_k)``: single-head self-attention over a sequence X of shape (T, d), with
parameters ``Wq{i}``, ``Wk{i}``, ``Wv{i}`` of shape (d_k, d) and no bias:

    q_{t,c} = sum_e Wq_{c,e} x_{t,e},   k_{t,c} = sum_e Wk_{c,e} x_{t,e},
    v_{t,c} = sum_e Wv_{c,e} x_{t,e},
    s_{t,u} = (1 / sqrt(d_k)) sum_c q_{t,c} k_{u,c}          (the scores, T x T)
    p_{t,u} = exp(s_{t,u}) / sum_w exp(s_{t,w})               (softmax over the keys u)
    a_{t,c} = sum_u p_{t,u} v_{u,c}                           (output, T x d_k)

Only these forward equations are stated, twice: over arrays of symbols (:meth:`Attention.equations`)
and in index form with symbolic sizes T, d and d_k (:meth:`Attention.index_equations`, the
scores written S and the weights P); q, k, v, s and p are defined intermediate quantities of
the layer, and sqrt(d_k) is SymPy's exact root. The softmax rows are declared
(:meth:`Attention.softmax_rows`) so that the chain rule takes their Jacobian in the weights
p, as it does for a softmax output layer; the backward pass is derived
(:mod:`symbp.derive.layered`), recognised and proved (:mod:`symbp.derive.arrayops_attention`).

>>> layer = Attention(4)
>>> layer.output_shape((6, 3)), layer.parameter_shapes((6, 3), 1)["Wq1"]
((6, 4), (4, 3))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from symbp.activations import get_activation
from symbp.layers import index as ix
from symbp.layers.base import Equations, LayerData, LayerKind, Shape
from symbp.layers.dense import unit_sum

ROLES = ("Wq", "Wk", "Wv")
_int = {"integer": True}
t, u, c, e, w = sympy.symbols("t u c e w", **_int)  # queries, keys, features, inputs, keys summed
DK = sympy.Symbol("d_k", integer=True, positive=True)
q, k, v, S, P = (sympy.IndexedBase(n) for n in ("q", "k", "v", "S", "P"))
Wq, Wk, Wv = (sympy.IndexedBase(n) for n in ROLES)


def _project(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """x W^T at every position (no bias)."""
    rows = [[unit_sum(list(w[c]), list(row), None) for c in range(w.shape[0])] for row in x]
    return np.array(rows, dtype=object)


@dataclass(frozen=True)
class Attention(LayerKind):
    d_k: int
    kind = "attention"
    signature = "attention(d_k) on a T x d sequence"

    def spec(self) -> str:
        return f"attention({self.d_k})"

    def output_shape(self, shape: Shape) -> Shape:
        self.need(shape, 2, "a T x d sequence")
        return (shape[0], self.d_k)

    def parameter_shapes(self, shape: Shape, position: int) -> dict[str, Shape]:
        return {f"{role}{position}": (self.d_k, shape[-1]) for role in ROLES}

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        self.output_shape(x.shape)
        p = data.position
        data.arrays["x"] = x
        for role in ROLES:
            w = eq.parameter(p, role, (self.d_k, x.shape[-1]))
            data.parameters[f"{role}{p}"] = w
            name = role[1]  # q, k, v
            data.arrays[name] = eq.define(p, name, _project(w, x))
        q, k, v = data.arrays["q"], data.arrays["k"], data.arrays["v"]
        root = sympy.sqrt(self.d_k)
        scores = [[unit_sum(list(q[t]), list(k[u]), None) / root for u in range(len(x))]
                  for t in range(len(x))]  # fmt: skip
        s = data.arrays["s"] = eq.define(p, "s", np.array(scores, dtype=object))
        softmax = get_activation("softmax")
        weights = np.array([softmax(list(row)) for row in s], dtype=object)
        w = data.arrays["p"] = eq.define(p, "p", weights)
        mixed = [[unit_sum(list(w[t]), list(v[:, c]), None) for c in range(self.d_k)]
                 for t in range(len(x))]  # fmt: skip
        data.arrays["a"] = eq.define(p, "a", np.array(mixed, dtype=object))

    def index_equations(self, shape: Shape) -> ix.IndexEquations:
        """q, k and v (t a query, c a feature of d_k, e an input of d), the scores S, the
        weights P (softmax over the keys u) and the output a, in forward order.

        >>> Attention(2).index_equations((3, 2)).equations[3]
        (S[t, u], Sum(k[u, c]*q[t, c], (c, 0, d_k - 1))/sqrt(d_k))
        """
        x, a, seq, inp, feat = ix.x, ix.a, (0, ix.T - 1), (0, ix.D - 1), (0, DK - 1)
        project = {
            base: sympy.Sum(weight[c, e] * x[t, e], (e, *inp))
            for base, weight in ((q, Wq), (k, Wk), (v, Wv))
        }
        equations = (
            *((base[t, c], rhs) for base, rhs in project.items()),
            (S[t, u], sympy.Sum(q[t, c] * k[u, c], (c, *feat)) / sympy.sqrt(DK)),
            (P[t, u], sympy.exp(S[t, u]) / sympy.Sum(sympy.exp(S[t, w]), (w, *seq))),
            (a[t, c], sympy.Sum(P[t, u] * v[u, c], (u, *seq))),
        )
        axes = {x: (seq, inp), **{W: (feat, inp) for W in (Wq, Wk, Wv)}}
        axes.update({base: (seq, feat) for base in (q, k, v, a)})
        axes.update({base: (seq, seq) for base in (S, P)})
        roles = {x: "x", q: "q", k: "k", v: "v", S: "s", P: "p", a: "a", Wq: "Wq", Wk: "Wk",
                 Wv: "Wv"}  # fmt: skip
        sizes = {ix.T: ("x", 0), ix.D: ("x", 1), DK: ("q", 1)}
        return ix.IndexEquations(equations, axes, roles, sizes)

    def softmax_rows(self, data: LayerData) -> list[tuple[list, list]]:
        """(weights, scores) of each query t: p_t = softmax(s_t) over the keys."""
        weights, scores = (data.arrays[r].reshape(-1, data.arrays[r].shape[-1]) for r in "ps")
        return [(list(w), list(s)) for w, s in zip(weights, scores, strict=True)]

    def skeleton(self) -> Attention:
        return Attention(min(self.d_k, 2))

    def small_input(self, shape: Shape) -> Shape:
        """2 positions and at most 2 features: every query, key and feature is alike."""
        return (min(shape[0], 2), min(shape[1], 2))
