"""The backward pass of ``attention(d_k)``, ``meanpool`` and ``last`` in index form, derived by
SymPy from each layer's forward equations (``index_equations`` of
:class:`symbp.layers.attention.Attention`, ``MeanPool`` and ``Last``) with the multi-equation
engine (:mod:`symbp.derive.layer_index_multi`), every step proved on a concrete instance of
the layer (:mod:`symbp.derive.layer_index_multi_proof`).

Attention states, over a T x d input x (queries t, keys u, features c of d_k, inputs e):

    q_{t,c} = sum_e Wq_{c,e} x_{t,e}   (k and v alike, with Wk and Wv)
    S_{t,u} = (1/sqrt(d_k)) sum_c q_{t,c} k_{u,c}
    P_{t,u} = exp(S_{t,u}) / sum_w exp(S_{t,w})
    a_{t,c} = sum_u P_{t,u} v_{u,c}

and the gradients in backward order: v, P, the softmax rows' Jacobian dP_{i,j}/dS_{m,l}
(by ``sympy.diff`` and written with the weights, as the softmax output layer's), S, q, k, the
three weights, and the input (three paths: through q, k and v).

>>> form = attention_form()
>>> form.steps_for("jacobian")[-1].rhs
(KroneckerDelta(j, l) - P[i, l])*KroneckerDelta(i, m)*P[i, j]
>>> form.steps_for("q")[-1].rhs
Sum(dS[i, u]*k[u, j], (u, 0, T - 1))/sqrt(d_k)
"""

from __future__ import annotations

from functools import cache

import sympy

from symbp.derive.layer_index import IndexStep
from symbp.derive.layer_index_multi import (
    MultiForm,
    Stated,
    gradient_steps,
    local_derivative,
    stated_with,
)
from symbp.derive.layer_index_multi_proof import prove_form
from symbp.layers import index as ix
from symbp.layers.attention import (  # noqa: F401 (the layer's vocabulary, for the printers)
    DK,
    Attention,
    P,
    S,
    Wk,
    Wq,
    Wv,
    c,
    e,
    k,
    q,
    t,
    u,
    v,
    w,
)
from symbp.layers.pool import MeanPool
from symbp.layers.reshape import Last
from symbp.layers.residual import F

i, j, l, m, n = sympy.symbols("i j l m n", integer=True)  # noqa: E741 (the entries differentiated)
T, D = ix.T, ix.D
x, a, dA = ix.x, ix.a, ix.dA
dq, dk, dv, dS, dP, dF = (sympy.IndexedBase(n) for n in ("dq", "dk", "dv", "dS", "dP", "df"))
GRADIENTS = {a: dA, q: dq, k: dk, v: dv, S: dS, P: dP, F: dF, ix.z: ix.delta}
"""The base of dC/d(entry) of each array of the layer (the printers read it back)."""
SUPPORTED = (Attention, MeanPool, Last)


def has_multi_form(layer) -> bool:
    """Whether this module derives the layer's index-form writeup."""
    return isinstance(layer, SUPPORTED)


def stated_of(layer, shape: tuple[int, ...]) -> Stated:
    """The layer's own index-form equations (``index_equations``) with their gradients."""
    return stated_with(layer.index_equations(shape), GRADIENTS)


def _jacobian(stated: Stated) -> list[IndexStep]:
    """dP_{i,j}/dS_{m,l} by sympy.diff of the softmax, then written with the weights
    (exp(S_{i,j}) = P_{i,j} sum_w exp(S_{i,w})), as the softmax output layer's Jacobian."""
    lhs = sympy.Derivative(P[i, j], S[m, l])
    raw = local_derivative(stated, P[i, j], S[m, l])
    total = sympy.Sum(sympy.exp(S[i, w]), (w, 0, T - 1))
    outputs = {sympy.exp(S[i, j]): P[i, j] * total, sympy.exp(S[i, l]): P[i, l] * total}
    weights = sympy.factor(sympy.expand(raw.xreplace(outputs)))
    rows = [(lhs, raw, "differentiate the forward equation"),
            (raw, weights, "derivative written with the softmax's output")]  # fmt: skip
    return [IndexStep("jacobian", left, right, why, (i, j, m, l)) for left, right, why in rows]


def attention_steps(stated: Stated) -> list[IndexStep]:
    """The gradients in backward order (for a residual attention, dC/df first)."""
    residual = any(lhs.base == F for lhs, _ in stated.equations)
    steps = gradient_steps(stated, "f", F[i, j]) if residual else []
    steps += gradient_steps(stated, "v", v[i, j])
    steps += gradient_steps(stated, "P", P[i, j])
    jacobian = _jacobian(stated)
    steps += jacobian
    steps += gradient_steps(stated, "S", S[m, l], {jacobian[0].lhs: jacobian[-1].rhs})
    steps += gradient_steps(stated, "q", q[i, j])
    steps += gradient_steps(stated, "k", k[i, j])
    for name, weight in (("Wq", Wq), ("Wk", Wk), ("Wv", Wv)):
        steps += gradient_steps(stated, name, weight[j, n])
    return steps + gradient_steps(stated, "input", x[i, n])


@cache
def _proved(kind: str, shape: tuple[int, ...]) -> MultiForm:
    if kind == "attention":
        stated = stated_of(Attention(2), shape)
        return prove_form(Attention(2), stated, attention_steps(stated), shape)
    layer = MeanPool() if kind == "meanpool" else Last()
    stated = stated_of(layer, shape)
    return prove_form(layer, stated, gradient_steps(stated, "input", x[i, n]), shape)


def attention_form() -> MultiForm:
    """attention(d_k)'s forward equations and backward steps, proved on an instance with 3
    positions, 3 input features and d_k = 2 (d and d_k differ, so a sum over the wrong one
    fails; the steps hold for every size: the sizes are symbols)."""
    return _proved("attention", (3, 3))


def sequence_form(layer) -> MultiForm:
    """meanpool's or last's forward equation and input gradient, proved on a 3 x 2 input."""
    return _proved(layer.kind, (3, 2))


def multi_form(layer) -> MultiForm:
    """The derived and proved index form of an attention, meanpool or last layer."""
    return attention_form() if isinstance(layer, Attention) else sequence_form(layer)
