"""The generic derivation at the output layer: delta^L with the loss left abstract, then with
the loss and the activation's output form put in and simplified (using the loss's assumptions,
such as sum_j y_j = 1 for softmax with cross-entropy).

>>> from symbp.derive.generic import derive_generic
>>> print(derive_generic(output="sigmoid", loss="bce").equations["delta_L_simplified"])
delta^L = a^L - y
"""

from __future__ import annotations

import sympy

from symbp.activations import Elementwise
from symbp.derive import indexform as ix
from symbp.derive import matrix as mx
from symbp.derive.generic_data import C, GenericDerivation, GenericStep, partial
from symbp.derive.indexform import Q, a, contract, dC, fprime, n, recognise, y, z
from symbp.derive.matrix import COL, DEPTH, ROW, SUM
from symbp.derive.steps import Rule

L = DEPTH


def _plain(expr: sympy.Expr) -> tuple[sympy.Expr, dict[sympy.Symbol, sympy.Expr]]:
    """Sums and indexed entries -> plain symbols, so that simplify works on them (and back).

    NOTE: a sum goes whole; replacing the entries inside it would free its summation index,
    and simplify would then sum a_i^2 over i as n copies of one number (a false step the
    step proofs caught for softmax with the squared error).
    """
    sums = sorted(expr.atoms(sympy.Sum), key=sympy.default_sort_key)
    plain = {x: sympy.Symbol(f"t{i}", real=True) for i, x in enumerate(sums)}
    flat = expr.xreplace(plain)
    indexed = sorted(flat.atoms(sympy.Indexed), key=sympy.default_sort_key)
    plain.update({x: sympy.Symbol(f"s{i}", real=True) for i, x in enumerate(indexed)})
    return expr.xreplace(plain), {v: k for k, v in plain.items()}


def _shortest(expr: sympy.Expr) -> sympy.Expr:
    flat, back = _plain(expr)
    candidates = [flat, sympy.cancel(flat), sympy.factor(flat), sympy.simplify(flat)]
    best = min(candidates, key=lambda e: (sympy.count_ops(e), sympy.default_sort_key(e)))
    return best.xreplace(back)


def output_step(der: GenericDerivation) -> None:
    """delta^L_Q = sum_i dC/da^L_i da^L_i/dz^L_Q, first with the loss left abstract."""
    name = "delta_L"
    act = der.spec[1]
    lhs = partial(C, z[L, Q])
    chain = sympy.Sum(partial(C, a[L, SUM]) * partial(a[L, SUM], z[L, Q]), (SUM, 1, n[L]))
    der.steps.append(GenericStep(name, lhs, chain, Rule.CHAIN_RULE, "a^L = f^L(z^L)"))
    if act.elementwise:
        local = contract(sympy.diff(ix.f(L, z[L, SUM]), z[L, Q]))
        source = "a^L_i = f^L(z^L_i)"
    else:
        total = sympy.Sum(sympy.exp(z[L, COL]), (COL, 1, n[L]))
        raw = contract(sympy.diff(sympy.exp(z[L, SUM]) / total, z[L, Q]))
        source = "a^L_i = e^{z^L_i} / sum_k e^{z^L_k}"
        der.steps.append(
            GenericStep(name, partial(a[L, SUM], z[L, Q]), raw, Rule.ACTIVATION_DERIVATIVE, source)
        )
        # e^{z_i} = a_i sum_k e^{z_k}: the derivative written with the outputs
        outputs = {sympy.exp(z[L, SUM]): a[L, SUM] * total, sympy.exp(z[L, Q]): a[L, Q] * total}
        in_outputs = sympy.factor(sympy.expand(raw.xreplace(outputs)))
        der.steps.append(
            GenericStep(name, partial(a[L, SUM], z[L, Q]), in_outputs, Rule.OUTPUT_FORM, source)
        )
        local = ix.J[L, SUM, Q]
    if act.elementwise:
        der.steps.append(
            GenericStep(
                name, partial(a[L, SUM], z[L, Q]), local, Rule.ACTIVATION_DERIVATIVE, source
            )
        )
    value = contract(sympy.Sum(dC[L, SUM] * local, (SUM, 1, n[L])))
    matrix = mx.Equation(mx.Vec("delta", L), recognise(value, (Q,)))
    der.steps.append(GenericStep(name, lhs, value, Rule.SUBSTITUTE, "", (), matrix))
    der.equations[name] = matrix
    der.entries[name] = mx.Equation(mx.Elem("delta", L, (ROW,)), ix.entry(value.subs(Q, ROW)))
    _output_with_loss(der, act)


def _output_with_loss(der: GenericDerivation, act) -> None:
    """The same with the loss (and the activation's output form) put in, then simplified."""
    name = "delta_L_loss"
    loss = der.spec[2]
    stated = sympy.Sum(loss.term(a[L, SUM], y[SUM]), (SUM, 1, n[L]))
    try:
        der.entries["loss"] = mx.Equation(mx.Cost(), ix.entry(stated))
        der.equations["loss"] = mx.Equation(mx.Cost(), ix.recognise_total(stated))
    except ix.NotRecognised:
        pass  # a custom loss may have no entry or vector form; its derivative still follows
    cost = sympy.Sum(loss.term(a[L, COL], y[COL]), (COL, 1, n[L]))
    grad = contract(sympy.diff(cost, a[L, SUM]))
    der.steps.append(
        GenericStep(name, dC[L, SUM], grad, Rule.LOSS_DERIVATIVE, f"C = {loss.name}(a^L, y)")
    )
    if act.elementwise:
        with_loss = grad.subs(SUM, Q) * fprime(L, z[L, Q])
        der.steps.append(GenericStep(name, partial(C, z[L, Q]), with_loss, Rule.SUBSTITUTE))
        try:
            der.equations[name] = mx.Equation(mx.Vec("delta", L), recognise(with_loss, (Q,)))
            der.entries[name] = mx.Equation(
                mx.Elem("delta", L, (ROW,)), ix.entry(with_loss.xreplace({Q: ROW}))
            )
        except ix.NotRecognised:
            pass
        form = act.fprime_in_output(a[L, Q]) if isinstance(act, Elementwise) else None
        if form is None:
            form = fprime(L, z[L, Q])
        raw = grad.subs(SUM, Q) * form
        rule = Rule.OUTPUT_FORM
    else:
        jac = a[L, SUM] * (sympy.KroneckerDelta(SUM, Q) - a[L, Q])
        raw = contract(sympy.Sum(sympy.expand(grad * jac), (SUM, 1, n[L])))
        rule = Rule.SUBSTITUTE  # the loss's derivative and the Jacobian a_i ([i = q] - a_q)
    der.steps.append(GenericStep(name, partial(C, z[L, Q]), raw, rule))
    value = _shortest(raw)
    if value != raw:
        der.steps.append(GenericStep(name, partial(C, z[L, Q]), value, Rule.SIMPLIFY))
    for assumption in loss.assumptions:
        total = sympy.Sum(y[SUM], (SUM, 1, n[L]))
        used = _shortest(sympy.expand(value).xreplace({total: assumption.total}))
        if sympy.count_ops(used) < sympy.count_ops(value):
            value = used
            der.assumptions.append(assumption.name)
            der.steps.append(
                GenericStep(
                    name, partial(C, z[L, Q]), value, Rule.ASSUMPTION, "", (assumption.name,)
                )
            )
    der.output_simplified = value
    try:
        matrix = mx.Equation(mx.Vec("delta", L), recognise(value, (Q,)))
    except ix.NotRecognised:
        return
    der.equations["delta_L_simplified"] = matrix
    der.steps[-1] = GenericStep(**{**der.steps[-1].__dict__, "matrix": matrix})
