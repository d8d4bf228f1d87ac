"""``residual(f)`` in index form: a = x + f, with f the inner layer's output, derived by SymPy
and proved on a concrete residual instance, as :mod:`symbp.derive.layer_index_attention` does
for attention. The input gradient has two paths, derived together by the chain rule over every
equation that reads x: the identity path dC/da (from the term x of a = x + f) and the path
through the inner layer.

The equations are the layer's own (:meth:`symbp.layers.residual.Residual.index_equations`): for
``residual(dense(n, act))`` on a vector z_o = b_o + sum_e W_{o,e} x_e and a_o = x_o + act(z_o)
(as the layer writes them); for ``residual(attention(d))`` attention's, its output written f,
and a_{t,c} = x_{t,c} + f_{t,c}; ``residual(dense(d, act))`` on a T x d sequence is
:mod:`symbp.derive.layer_index_dense`'s.

>>> from symbp.layers.spec import parse_net
>>> form = residual_form(parse_net("residual(dense(3,tanh))")[0])
>>> form.steps_for("input")[-1].rhs
dA[k] + Sum(W[o, k]*delta[o], (o, 0, d - 1))
"""

from __future__ import annotations

from functools import cache

import sympy

from symbp.derive import layer_index_attention as la
from symbp.derive import layer_index_dense as ld
from symbp.derive.layer_index_multi import MultiForm, gradient_steps, stated_with
from symbp.layers import index as ix
from symbp.layers.attention import Attention
from symbp.layers.dense import Dense
from symbp.layers.residual import Residual

j, k = sympy.symbols("j k", integer=True)  # the entries differentiated (the dense writeups')


def has_residual_form(layer, shape: tuple[int, ...]) -> bool:
    """residual(attention(d)), or residual(dense(n, act)) on a vector or a T x d sequence."""
    if not isinstance(layer, Residual):
        return False
    inner = layer.inner
    return isinstance(inner, Attention) or (isinstance(inner, Dense) and len(shape) in (1, 2))


@cache
def _dense_form(act) -> MultiForm:
    layer = Residual(Dense(3, act))
    stated = stated_with(layer.index_equations((3,)), ld.GRADIENTS)
    steps = gradient_steps(stated, "delta", ix.z[j])
    steps += gradient_steps(stated, "W", ix.W[j, k])
    steps += gradient_steps(stated, "b", ix.b[j])
    steps += gradient_steps(stated, "input", ix.x[k])
    return la.prove_form(layer, stated, steps, (3,))


@cache
def _attention_form() -> MultiForm:
    layer = Residual(Attention(2))
    stated = la.stated_of(layer, (3, 2))
    return la.prove_form(layer, stated, la.attention_steps(stated), (3, 2))


def residual_form(layer: Residual, shape: tuple[int, ...] = ()) -> MultiForm:
    """The derived and proved index form of a residual layer (see :func:`has_residual_form`);
    ``shape``: its input's (a residual dense on a T x d sequence sums its weights over t)."""
    if isinstance(layer.inner, Attention):
        return _attention_form()
    if len(shape) == 2:
        return ld.residual_sequence_form(layer)
    return _dense_form(layer.inner.act)
