"""The generic derivation through one hidden layer: weight, bias and input gradients and the
delta recursion, each from the index-form forward equation of layer l.

>>> from symbp.derive.generic import derive_generic
>>> [s.rule.value for s in derive_generic().steps_for("grad_b")][:2]
['chain rule', 'differentiate the forward equation']
"""

from __future__ import annotations

import sympy

from symbp.activations import Elementwise
from symbp.derive import indexform as ix
from symbp.derive import matrix as mx
from symbp.derive.generic_data import Assumption, C, GenericDerivation, GenericStep, partial
from symbp.derive.indexform import P, Q, a, b, contract, delta, fprime, n, recognise, w, z
from symbp.derive.matrix import COL, LAYER, ROW, SUM
from symbp.derive.steps import Rule
from symbp.errors import SpecError

_BIAS_UNIT = mx.Equation(mx.Elem("a", LAYER - 1, (sympy.Integer(0),)), mx.Scalar("1"))
"""Ng's bias unit of layer l-1: a constant 1, column 0 of W^l."""


def _z_def(layer: sympy.Expr, j: sympy.Expr, unit: bool) -> sympy.Expr:
    k = COL
    if unit:
        # a^{l-1}_0 = 1 is Ng's bias unit: the k = 0 term is the bias column of Theta
        return sympy.Sum(w[layer, j, k] * a[layer - 1, k], (k, 0, n[layer - 1]))
    return sympy.Sum(w[layer, j, k] * a[layer - 1, k], (k, 1, n[layer - 1])) + b[layer, j]


def _z_source(unit: bool) -> str:
    if unit:
        return "z^l_j = sum_{k=0}^{n_{l-1}} w^l_{jk} a^{l-1}_k, a^{l-1}_0 = 1"
    return "z^l_j = sum_k w^l_{jk} a^{l-1}_k + b^l_j"


def _through_z(der: GenericDerivation, name: str, var: sympy.Expr, free: tuple) -> sympy.Expr:
    """dC/dvar = sum_j delta^l_j dz^l_j/dvar, contracted; records the steps."""
    unit = der.bias == "unit"
    zdef = _z_def(LAYER, ROW, unit)
    chain = sympy.Sum(partial(C, z[LAYER, ROW]) * partial(z[LAYER, ROW], var), (ROW, 1, n[LAYER]))
    src = _z_source(unit)
    der.steps.append(GenericStep(name, partial(C, var), chain, Rule.CHAIN_RULE, src))
    local = contract(sympy.diff(zdef, var), {Q: 0} if unit else {})
    der.steps.append(
        GenericStep(name, partial(z[LAYER, ROW], var), local, Rule.LOCAL_DERIVATIVE, src)
    )
    summed = sympy.Sum(delta[LAYER, ROW] * local, (ROW, 1, n[LAYER]))
    der.steps.append(
        GenericStep(name, partial(C, var), summed, Rule.SUBSTITUTE, "delta^l_j := dC/dz^l_j")
    )
    return contract(summed)


def weights_step(der: GenericDerivation) -> None:
    value = _through_z(der, "grad_W", w[LAYER, P, Q], (P, Q))
    matrix = mx.Equation(mx.Grad(mx.Mat("W", LAYER)), recognise(value, (P, Q)))
    assumption = (Assumption((_BIAS_UNIT, " (the bias unit)")),) if der.bias == "unit" else ()
    der.steps.append(
        GenericStep(
            "grad_W", partial(C, w[LAYER, P, Q]), value, Rule.SIMPLIFY, "", assumption, matrix
        )
    )
    der.equations["grad_W"] = matrix
    j, k = ROW, COL
    der.entries["grad_W"] = mx.Equation(
        mx.Partial(mx.Cost(), mx.Elem("W", LAYER, (j, k))), ix.entry(value.subs({P: j, Q: k}))
    )
    if der.bias == "explicit":
        value = _through_z(der, "grad_b", b[LAYER, P], (P,))
        matrix = mx.Equation(mx.Grad(mx.Vec("b", LAYER)), recognise(value, (P,)))
        der.steps.append(
            GenericStep("grad_b", partial(C, b[LAYER, P]), value, Rule.SIMPLIFY, "", (), matrix)
        )
        der.equations["grad_b"] = matrix
        der.entries["grad_b"] = mx.Equation(
            mx.Partial(mx.Cost(), mx.Elem("b", LAYER, (j,))), ix.entry(value.subs(P, j))
        )


def recursion_step(der: GenericDerivation) -> None:
    """delta^{l-1}_Q = sum_i dC/da^{l-1}_i da^{l-1}_i/dz^{l-1}_Q, with dC/da through z^l."""
    name = "delta_recursion"
    hidden = der.spec[0]
    if not hidden.elementwise:
        raise SpecError(f"hidden activation {der.hidden!r} must be elementwise (softmax is not)")
    lhs = partial(C, z[LAYER - 1, Q])
    chain = sympy.Sum(
        partial(C, a[LAYER - 1, SUM]) * partial(a[LAYER - 1, SUM], z[LAYER - 1, Q]),
        (SUM, 1, n[LAYER - 1]),
    )
    der.steps.append(
        GenericStep(name, lhs, chain, Rule.CHAIN_RULE, "a^{l-1}_i = f^{l-1}(z^{l-1}_i)")
    )
    act_local = contract(sympy.diff(ix.f(LAYER - 1, z[LAYER - 1, SUM]), z[LAYER - 1, Q]))
    der.steps.append(
        GenericStep(
            name, partial(a[LAYER - 1, SUM], z[LAYER - 1, Q]), act_local, Rule.ACTIVATION_DERIVATIVE
        )
    )
    dc_da = _through_z(der, name, a[LAYER - 1, Q], (Q,))
    value = contract(dc_da * fprime(LAYER - 1, z[LAYER - 1, Q]))
    matrix = mx.Equation(mx.Vec("delta", LAYER - 1), recognise(value, (Q,)))
    dropped = mx.MatMul(mx.T(mx.Mat("W", LAYER)), mx.Vec("delta", LAYER))
    assumption = (Assumption((_BIAS_UNIT, " is constant: row 0 of ", dropped, " is dropped")),)
    der.steps.append(
        GenericStep(
            name,
            lhs,
            value,
            Rule.SUBSTITUTE,
            "",
            assumption if der.bias == "unit" else (),
            matrix,
        )
    )
    der.equations[name] = matrix
    der.entries[name] = mx.Equation(
        mx.Elem("delta", LAYER - 1, (ROW,)), ix.entry(value.xreplace({ROW: COL, Q: ROW}))
    )
    _output_form(der, hidden, dc_da)
    der.entries["delta_def"] = mx.Equation(
        mx.Elem("delta", LAYER, (ROW,)), mx.Partial(mx.Cost(), mx.Elem("z", LAYER, (ROW,))), "def"
    )
    der.equations["delta_def"] = mx.Equation(
        mx.Vec("delta", LAYER), mx.Partial(mx.Cost(), mx.Vec("z", LAYER)), "def"
    )


def _output_form(der: GenericDerivation, hidden, dc_da: sympy.Expr) -> None:
    """Where f'(z) has a form in a = f(z) (sigmoid: a(1 - a)), the recursion written with it."""
    form = hidden.fprime_in_output(a[LAYER - 1, Q]) if isinstance(hidden, Elementwise) else None
    if form is None or hidden.name == "identity":
        return
    try:
        fprime_eq = mx.Equation(mx.FPrime(LAYER - 1), recognise(form, (Q,)))
    except ix.NotRecognised:
        return
    der.steps.append(
        GenericStep(
            "fprime_output_form",
            fprime(LAYER - 1, z[LAYER - 1, Q]),
            form,
            Rule.OUTPUT_FORM,
            f"a = {hidden.name}(z)",
            (),
            fprime_eq,
        )
    )
    der.equations["fprime_output_form"] = fprime_eq
    value = dc_da * form
    matrix = mx.Equation(mx.Vec("delta", LAYER - 1), recognise(value, (Q,)))
    der.steps.append(
        GenericStep(
            "delta_recursion_output_form",
            partial(C, z[LAYER - 1, Q]),
            value,
            Rule.OUTPUT_FORM,
            "",
            (),
            matrix,
        )
    )
    der.equations["delta_recursion_output_form"] = matrix


def input_gradient_step(der: GenericDerivation) -> None:
    """dC/dx_Q through z^1 (a^0 = x)."""
    zdef = _z_def(1, ROW, der.bias == "unit")
    local = contract(sympy.diff(zdef, a[0, Q]))
    value = contract(sympy.Sum(delta[1, ROW] * local, (ROW, 1, n[1])))
    matrix = mx.Equation(mx.Grad(mx.Vec("x")), recognise(value, (Q,)))
    der.steps.append(
        GenericStep("grad_x", partial(C, a[0, Q]), value, Rule.CHAIN_RULE, "a^0 = x", (), matrix)
    )
    der.equations["grad_x"] = matrix
