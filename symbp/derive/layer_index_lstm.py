"""The backward pass of ``lstm(n)`` in index form: backpropagation through time for the cell
state c and the hidden state h, derived by SymPy from the layer's own index-form forward
equations (:meth:`symbp.layers.lstm.Lstm.index_equations`) with the multi-equation engine
(:mod:`symbp.derive.layer_index_multi`), every step proved on a concrete instance of the layer
(:mod:`symbp.derive.layer_index_lstm_proof`).

Over a T x d input x, with n units (unit k, input feature e, hidden unit m; gates in PyTorch's
order i, f, g, o, gate q reading the rows q n .. q n + n - 1 of the 4n-row parameters)::

    zi_{t,k} = sum_e Wx_{k,e} x_{t,e} + sum_m Wh_{k,m} h_{t-1,m} + b_k   (zf: rows n + k, ...)
    i_{t,k} = sigmoid(zi_{t,k})   f, o alike;   g_{t,k} = tanh(zg_{t,k})
    c_{t,k} = f_{t,k} c_{t-1,k} + i_{t,k} g_{t,k}
    s_{t,k} = tanh(c_{t,k})       h_{t,k} = o_{t,k} s_{t,k}       a_{t,k} = h_{t,k}

(h_{-1} = c_{-1} = 0: entries outside the sequence; a is the output the layer above reads).
The gradients, in the order backpropagation meets them at step t (those of step t + 1 known):
h (from above, plus the four gates' pre-activations at t + 1 through Wh), s, o, c (from s, and
from c_{t+1} through the forget gate f_{t+1}: the constant error carousel), i, f, g, the
pre-activations (each gate's slope written with its output), Wx, Wh, b and the input.

>>> form = lstm_form()
>>> form.steps_for("c")[-1].rhs
(1 - s[t, j]**2)*ds[t, j] + dc[t + 1, j]*f[t + 1, j]
"""

from __future__ import annotations

from functools import cache

import sympy

from symbp.activations import get_activation
from symbp.derive.layer_index import IndexStep
from symbp.derive.layer_index_lstm_proof import prove_lstm
from symbp.derive.layer_index_multi import MultiForm, Stated, gradient_steps, stated_with
from symbp.layers import index as ix
from symbp.layers.lstm import (  # noqa: F401 (the layer's vocabulary, for the printers)
    GATE,
    GATES,
    PRE,
    ROLES,
    STATES,
    Lstm,
    c,
    e,
    k,
    m,
    s,
    tau,
)

t, j, l = sympy.symbols("t j l", integer=True)  # noqa: E741 (the entries differentiated)
T, D, N = ix.T, ix.D, ix.N  # steps, input features, units
x, a, h, Wx, Wh, b = ix.x, ix.a, ix.h, ix.Wx, ix.Wh, ix.b
_SLOPE = {name: get_activation(act) for name, act in GATES}
_TANH = get_activation("tanh")
GRADIENTS = {**{base: sympy.IndexedBase(f"d{base}") for base in STATES}, h: ix.dH, a: ix.dA}
"""The base of dC/d(entry) of each array of the layer (the printers read it back)."""


def lstm_stated() -> Stated:
    """The layer's own forward equations, per gate, with symbolic T, d and n."""
    return stated_with(Lstm(2).index_equations((3, 3)), GRADIENTS)


def _output_form(steps: list[IndexStep], quantity: str, gate: str) -> list[IndexStep]:
    """The gate's slope written with its output (the registry's from-output form, sigmoid:
    a(1 - a), tanh: 1 - a^2), as the dense layers' writeups do; proved like every step."""
    last = steps[-1]
    grad = GRADIENTS[GATE[gate]][t, j]
    slope = sympy.simplify(last.rhs / grad)
    written = grad * _SLOPE[gate].fprime_in_output(GATE[gate][t, j])
    if sympy.simplify(slope - _SLOPE[gate].fprime(PRE[gate][t, j])) != 0:
        raise ValueError(f"the slope of gate {gate} is not its activation's derivative")
    rule = f"the slope of {_SLOPE[gate].name} written with the gate's output"
    return [*steps, IndexStep(quantity, last.rhs, written, rule, last.free)]


def _cell_form(steps: list[IndexStep]) -> list[IndexStep]:
    """tanh(c_{t,j}) written as s_{t,j} (its forward equation), the factor dC/ds taken out."""
    last = steps[-1]
    ds = GRADIENTS[s][t, j]
    written = sympy.collect(last.rhs.xreplace({_TANH.f(c[t, j]): s[t, j]}), ds)
    rule = "tanh(c) written as s, the common factor out"
    return [*steps, IndexStep("c", last.rhs, written, rule, last.free)]


def lstm_steps(stated: Stated) -> list[IndexStep]:
    """The gradients in backward order (see the module's docstring)."""
    steps = gradient_steps(stated, "h", h[t, j])
    steps += gradient_steps(stated, "s", s[t, j])
    steps += gradient_steps(stated, "o", GATE["o"][t, j])
    steps += _cell_form(gradient_steps(stated, "c", c[t, j]))
    for name in ("i", "f", "g"):
        steps += gradient_steps(stated, name, GATE[name][t, j])
    for name, _ in GATES:
        quantity = f"z{name}"
        steps += _output_form(gradient_steps(stated, quantity, PRE[name][t, j]), quantity, name)
    steps += gradient_steps(stated, "Wx", Wx[j, l])
    steps += gradient_steps(stated, "Wh", Wh[j, l])
    steps += gradient_steps(stated, "b", b[j])
    return steps + gradient_steps(stated, "input", x[t, l])


def carousel_term() -> sympy.Expr:
    """dC/dc_{t+1,j} f_{t+1,j}: the term of dC/dc_{t,j} that the chain rule derived through
    c_{t+1} = f_{t+1} c_t + ..., read off the derived step (the printers name it)."""
    derived = lstm_form().steps_for("c")[-1].rhs
    term = GRADIENTS[c][t + 1, j] * GATE["f"][t + 1, j]
    if term not in sympy.Add.make_args(derived):
        raise ValueError("the derived cell gradient has no carousel term")
    return term


@cache
def _proved(shape: tuple[int, ...]) -> MultiForm:
    stated = lstm_stated()
    return prove_lstm(Lstm(2), stated, lstm_steps(stated), shape)


def lstm_form() -> MultiForm:
    """lstm(n)'s forward equations and backward steps, proved on an instance with T = 3 (a
    first, a middle and a last step), d = 3 and n = 2 (d and n differ, so a sum over the wrong
    one fails; the steps hold for every size: the sizes are symbols)."""
    return _proved((3, 3))


def has_lstm_form(layer) -> bool:
    return isinstance(layer, Lstm)
