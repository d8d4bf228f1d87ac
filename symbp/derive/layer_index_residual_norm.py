"""``residual(layernorm)`` in index form: a_i = x_i + y_i, y the layer norm of x, derived with
:mod:`symbp.derive.norm_steps`' machinery over the layer's own staged definitions (the layer
norm's and the sum: :meth:`symbp.layers.residual.Residual.index_stages`), and every step
proved as the norm layers' are (:mod:`symbp.derive.norm_proof`), on the concrete equations of
the residual layer itself (``Residual(LayerNorm()).equations``).

The loss reaches the layer norm's output y only through a, so dC/dy_i = dC/da_i (the chain
rule over a = x + y, by ``sympy.diff``); the layer norm's steps then run as its own writeup's,
with dC/dy; and x has four paths: the identity (the term x of a = x + y), x_hat, mu and var.
The last step collects the three paths through the layer norm over one denominator and leaves
the identity path beside them.

>>> form = residual_norm_form()
>>> form.steps_for("y")[-1].rhs
Grad(a[i])
>>> ns.Grad(A[i]) in form.steps_for("x")[-1].rhs.args  # the identity path, beside the rest
True
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import sympy

from symbp.derive import norm_proof as npf
from symbp.derive import norm_steps as ns
from symbp.layers.norm import LayerNorm
from symbp.layers.residual import NORM_SUM, Residual

LAYER = Residual(LayerNorm())
KIND = LAYER.spec()  # "residual(layernorm)"
A = NORM_SUM  # the residual's output
i, j = ns.i, ns.j
ORDER = ("y", *ns.ORDER)
"""The quantities derived: dC/dy first (the loss reaches y only through a), then the layer
norm's, each after those it reads."""


def is_residual_norm(layer) -> bool:
    return isinstance(layer, Residual) and isinstance(layer.inner, LayerNorm)


def _definitions() -> ns.NormForm:
    return ns.form_of(KIND, LAYER.index_stages())


def _y_steps(form: ns.NormForm) -> list[ns.NormStep]:
    """dC/dy_i by the chain rule over a = x + y, differentiated, the Kronecker sum done."""
    rows = [ns.chain_rule(form, ns.y[i])]
    rows.append(ns.differentiate(form, rows[-1]))
    rows.append(ns.sum_out(form, rows[-1]))
    rules = ("chain rule", "differentiate the definitions", "sum out the Kronecker deltas")
    return [ns.NormStep("y", ns.Grad(ns.y[i]), r, why) for r, why in zip(rows, rules, strict=True)]


def _identity_apart(steps: list[ns.NormStep]) -> list[ns.NormStep]:
    """The last step of dC/dx: the layer norm's three paths over one denominator, the
    identity path dC/da_i beside them (SymPy's ``together`` and ``factor_terms`` of the rest)."""
    identity = ns.Grad(A[i])
    before = steps[-2].rhs if steps[-1].rule == "collect over one denominator" else steps[-1].rhs
    kept = steps[:-1] if steps[-1].rule == "collect over one denominator" else steps
    rest = sympy.expand(before - identity, deep=False)
    apart = identity + ns.collect(rest)
    rule = "collect the paths through the layer norm over one denominator"
    return [*kept, ns.NormStep("x", steps[0].lhs, apart, rule)]


def derive_residual_norm() -> ns.NormForm:
    """The derived (unproved) steps, in :data:`ORDER`."""
    form = _definitions()
    form.steps = _y_steps(form)
    known: dict[str, sympy.Expr] = {}
    for quantity in ns.ORDER:
        steps = ns.derive_one(form, quantity, known)
        form.steps += _identity_apart(steps) if quantity == "x" else steps
        known[quantity] = form.steps[-1].rhs
    return form


@cache
def _instances() -> tuple[npf.Instance, ...]:
    """The residual layer's own equations on n = 2, 3, 4 features; dC/da given as symbols."""
    return tuple(npf.Instance(LAYER, m) for m in npf.SIZES_PROVED)


def prove_step(form: ns.NormForm, step: ns.NormStep) -> str:
    """The step (and the identity it used) proved on n = 2, 3, 4, or ValueError where not."""
    npf.check_step(form, step, _instances())
    sizes = ", ".join(map(str, npf.SIZES_PROVED))
    return (f"exactly modulo the layer's definitions (every i, n = {sizes}; on "
            f"{KIND}'s own equations) and at {npf.POINTS} random points of each "
            f"(to {npf.TOLERANCE:.0e})")  # fmt: skip


def prove_forward(form: ns.NormForm) -> str:
    """Each index-form definition equals the residual layer's own equation, entry by entry."""
    npf.check_forward(form, _instances())
    sizes = ", ".join(map(str, npf.SIZES_PROVED))
    return f"every entry at n = {sizes} of {KIND}'s own equations, exactly"


@cache
def _proved() -> ns.NormForm:
    form = derive_residual_norm()
    form.forward_verified_by = prove_forward(form)
    form.steps = [replace(s, verified_by=prove_step(form, s)) for s in form.steps]
    return form


def residual_norm_form() -> ns.NormForm:
    """The derived steps of ``residual(layernorm)``, every one proved (cached)."""
    return replace(_proved())
