"""Backpropagation through time unrolled: the Jacobian of one step and the product of Jacobians
that carries a late step's gradient back to an early state (why gradients vanish or explode).

From the recurrent layer's own index-form forward (:meth:`symbp.layers.recurrent.Rnn.index_forward`)
SymPy derives the Jacobian of one step, J_t = dh_t/dh_{t-1}: the chain rule through
z_t (h_{t,j} depends on h_{t-1} only through z_{t,j}, the activation being elementwise), then
``sympy.diff`` of the forward equation, then f' written with the output. The recursion the
writeup derived before, dC/dh_t = dC/da_t + W_h^T delta_{t+1} with delta_{t+1} = dC/dh_{t+1}
f'(z_{t+1}), is J_{t+1}^T dC/dh_{t+1}, and unrolled it reads

    dC/dh_t = sum_{tau = t}^{T-1} J_{t+1}^T J_{t+2}^T ... J_tau^T dC/da_tau

(the empty product, tau = t, is the identity). Both are proved on a 3-step instance of the
layer: each Jacobian entry against ``sympy.diff`` of h_t written out as a function of h_{t-1},
and the unrolled sum, for every t, against ``sympy.diff`` of sum_tau dC/da_tau . h_tau with
every later state written out as a function of h_t (its derived Jacobians multiplied out).

>>> from symbp.layers.spec import parse_net
>>> from symbp.derive.layer_index import layer_form
>>> steps, proved = bptt(layer_form(parse_net("rnn(2,tanh)")[0], (4, 2), 1))
>>> steps[-1].rhs
(1 - h[t, o]**2)*Wh[o, g']
>>> proved
'every entry of 1 instance (input 3x2), exactly'
"""

from __future__ import annotations

import numpy as np
import sympy

from symbp.derive import layer_index as li
from symbp.derive.layer_index_proof import StepNotProved, instance_of, proved_on, side
from symbp.layers import index as ix

J = sympy.IndexedBase("J")
"""J[t, j, k] = dh_{t,j}/dh_{t-1,k}: the Jacobian of one recurrent step."""


_DONE: dict[tuple, tuple[list[li.IndexStep], str]] = {}


def bptt(form: li.LayerForm) -> tuple[list[li.IndexStep], str]:
    """The derived Jacobian steps, each proved, and how the unrolled sum was proved; derived
    once per layer kind and activation (the steps hold for every size, as ``layer_form``'s)."""
    key = li._signature(form.layer)
    if key not in _DONE:
        _DONE[key] = _derive(form)
    steps, proved = _DONE[key]
    return list(steps), proved


def _derive(form: li.LayerForm) -> tuple[list[li.IndexStep], str]:
    t, o, g2 = ix.TIME, ix.o, ix.g2
    lhs, rhs = form.forward
    target = ix.h[t - 1, g2]
    entry = sympy.Derivative(ix.h[t, o], target)
    through_z = sympy.Derivative(ix.h[t, o], lhs) * sympy.Derivative(lhs, target)
    act = form.layer.activation()
    local = act.fprime(lhs) * li._clean(
        sympy.diff(rhs, target).doit(), form.ranges, form.stated.axes
    )
    steps = [
        (J[t, o, g2], entry, "the Jacobian of one step"),
        (entry, through_z, "chain rule (the state reads the previous one only through its own z)"),
        (through_z, local, "differentiate the activation and the forward equation"),
    ]
    if act.from_output is not None:
        written = local.xreplace({act.fprime(lhs): act.from_output(ix.h[t, o])})
        if written != local:
            steps.append((local, written, "activation derivative written with the output"))
    shapes = [(3, 2)]
    out = [li.IndexStep("jacobian", a, b, rule, (t, o, g2)) for a, b, rule in steps]
    proved = [_prove_jacobian_step(form, s, shapes) for s in out]
    out = [
        li.IndexStep(s.quantity, s.lhs, s.rhs, s.rule, s.free, p)
        for s, p in zip(out, proved, strict=True)
    ]
    return out, _prove_unrolled(form, out[-1].rhs, shapes)


def _composed(inst, first: int) -> dict[sympy.Symbol, sympy.Expr]:
    """Every z_s and h_s with s >= first written out as a function of h_{first-1} (and x, the
    parameters), through the instance's own forward equations."""
    z, h = inst.arrays["z"], inst.arrays["a"]
    sub: dict[sympy.Symbol, sympy.Expr] = {}
    for s in range(first, z.shape[0]):
        for j in range(z.shape[1]):
            sub[z[s, j]] = inst.defs[z[s, j]].xreplace(sub)
        for j in range(z.shape[1]):
            sub[h[s, j]] = inst.defs[h[s, j]].xreplace({z[s, j]: sub[z[s, j]]})
    return sub


def _prove_jacobian_step(form: li.LayerForm, step: li.IndexStep, shapes) -> str:
    t, o, g2 = step.free
    for shape in shapes:
        inst = instance_of(form, shape)
        h = inst.arrays["a"]
        steps, units = h.shape
        for s in range(1, steps):
            sub = _composed(inst, s)
            for j in range(units):
                for k in range(units):
                    values = {t: sympy.Integer(s), o: sympy.Integer(j), g2: sympy.Integer(k)}
                    sides = [_jacobian_side(e, inst, values, sub, h[s, j], h[s - 1, k])
                             for e in (step.lhs, step.rhs)]  # fmt: skip
                    if sympy.expand(sides[0] - sides[1]) != 0:
                        raise StepNotProved(
                            f"rnn Jacobian step '{step.rule}' fails at t={s}, j={j}, k={k}"
                        )
    return proved_on(form, shapes)


def _jacobian_side(expr, inst, values, sub, out, previous) -> sympy.Expr:
    """One side at one entry: J and the total dh_{t,j}/dh_{t-1,k} by sympy.diff of h_{t,j}
    written out as a function of h_{t-1}; the other derivatives as the instance's own."""
    total = sympy.diff(sub[out], previous)
    expr = expr.xreplace(values)
    expr = expr.replace(lambda e: isinstance(e, sympy.Indexed) and e.base == J, lambda e: total)
    expr = expr.replace(
        lambda e: (
            isinstance(e, sympy.Derivative) and e.expr.base == ix.h and e.variables[0].base == ix.h
        ),
        lambda e: total,
    )
    return side(expr, inst, {}).xreplace(sub)


def _prove_unrolled(form: li.LayerForm, jacobian: sympy.Expr, shapes) -> str:
    """dC/dh_t = sum_{tau >= t} J_{t+1}^T ... J_tau^T e_tau (e: the gradient from above), at
    every t and unit of the instance."""
    for shape in shapes:
        inst = instance_of(form, shape)
        h = inst.arrays["a"]
        steps, units = h.shape
        above = np.vectorize(lambda s: sympy.Symbol(f"e{s.name}", real=True), otypes=[object])(h)
        for start in range(steps):
            sub = _composed(inst, start + 1)
            cost = sum(
                above[tau, j] * h[tau, j].xreplace(sub)
                for tau in range(start, steps)
                for j in range(units)
            )
            total = 0
            for tau in range(start, steps):
                vector = np.array(above[tau], dtype=object)
                for s in range(tau, start, -1):  # J_s^T v, from the latest step back
                    vector = _jacobian_at(inst, jacobian, s, sub).T.dot(vector)
                total = total + vector
            for k in range(units):
                gap = sympy.expand(sympy.diff(cost, h[start, k]) - total[k])
                if gap != 0:
                    raise StepNotProved(f"rnn unrolled gradient fails at t={start}, unit {k}")
    return proved_on(form, shapes)


def _jacobian_at(inst, jacobian: sympy.Expr, s: int, sub: dict) -> np.ndarray:
    """The derived J_s on the instance, every entry written out as a function of the state the
    unrolling starts from."""
    t, o, g2 = ix.TIME, ix.o, ix.g2
    units = inst.arrays["a"].shape[1]
    out = np.empty((units, units), dtype=object)
    for j in range(units):
        for k in range(units):
            out[j, k] = inst.concrete(jacobian.xreplace({t: s, o: j, g2: k})).xreplace(sub)
    return out
