"""``dense(n, act)`` on a T x d sequence in index form, as ``torch.nn.Linear`` applies it: the
same weights at every position t, so the weight and bias gradients sum over t. Derived by SymPy
from the layer's own index-form equations (:meth:`symbp.layers.dense.Dense.index_equations`,
a residual's :meth:`symbp.layers.residual.Residual.index_equations`) with the multi-equation
engine (:mod:`symbp.derive.layer_index_multi`) and every step proved on a concrete instance of
the layer (:mod:`symbp.derive.layer_index_multi_proof`).

The forward equations (positions t, units o, inputs e) are

    z_{t,o} = b_o + sum_e W_{o,e} x_{t,e},    a_{t,o} = act(z_{t,o})

(a residual's: a_{t,o} = x_{t,o} + act(z_{t,o}), its units n equal to d), and the gradients
in backward order: delta = dC/dz, W, b, and the input.

>>> form = sequence_dense_form(Dense(3, get_activation("tanh")))
>>> form.steps_for("W")[-1].rhs
Sum(delta[t, j]*x[t, k], (t, 0, T - 1))
>>> form.steps_for("b")[-1].rhs
Sum(delta[t, j], (t, 0, T - 1))
"""

from __future__ import annotations

from functools import cache

import sympy

from symbp.activations import get_activation  # noqa: F401 (the doctest's)
from symbp.derive import layer_index_attention as la
from symbp.derive.layer_index import IndexStep
from symbp.derive.layer_index_multi import MultiForm, Stated, gradient_steps, stated_with
from symbp.layers import index as ix
from symbp.layers.dense import Dense
from symbp.layers.residual import Residual

N = ix.N  # the layer's units
i, j = la.i, la.j  # the entry differentiated: position i, unit j (input feature k)
k = sympy.Symbol("k", integer=True)
GRADIENTS = {ix.z: ix.delta, ix.a: ix.dA}


def has_sequence_form(layer, shape: tuple[int, ...]) -> bool:
    """dense(n, act) on a T x d sequence with an elementwise activation (not a softmax)."""
    act = getattr(layer, "act", None)
    return isinstance(layer, Dense) and len(shape) == 2 and act is not None and act.elementwise


def dense_stated(layer: Dense | Residual) -> Stated:
    """The layer's equations over a sequence (a residual's: a = x + act(z), the units d)."""
    return stated_with(layer.index_equations((3, 2)), GRADIENTS)


def dense_steps(stated: Stated) -> list[IndexStep]:
    """delta, the weights, the bias and the input, each by the chain rule (SymPy's)."""
    steps = gradient_steps(stated, "delta", ix.z[i, j])
    steps += gradient_steps(stated, "W", ix.W[j, k])
    steps += gradient_steps(stated, "b", ix.b[j])
    return steps + gradient_steps(stated, "input", ix.x[i, k])


@cache
def _proved(act, residual: bool) -> MultiForm:
    # T = 3 positions, d = 2 inputs and (not residual) n = 4 units: a sum over the wrong
    # size fails the proof
    layer = Residual(Dense(2, act)) if residual else Dense(4, act)
    stated = dense_stated(layer)
    return la.prove_form(layer, stated, dense_steps(stated), (3, 2))


def sequence_dense_form(layer: Dense) -> MultiForm:
    """The derived and proved index form of dense(n, act) on a sequence."""
    return _proved(layer.act, False)


def residual_sequence_form(layer: Residual) -> MultiForm:
    """The derived and proved index form of residual(dense(d, act)) on a T x d sequence."""
    return _proved(layer.inner.act, True)
