"""``residual(layernorm)`` in index form: a_i = x_i + y_i, y the layer norm of x, derived with
:mod:`symbp.derive.norm_steps`' machinery over the layer norm's definitions and the sum, and
every step proved as the norm layers' are (:mod:`symbp.derive.norm_proof`), on the concrete
equations of the residual layer itself (``Residual(LayerNorm()).equations``).

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

import numpy as np
import sympy

from symbp.derive import norm_proof as npf
from symbp.derive import norm_steps as ns
from symbp.derive.algebraic import DefinitionsProver
from symbp.layers.base import Equations, LayerData
from symbp.layers.norm import LayerNorm
from symbp.layers.residual import Residual

KIND = "residual(layernorm)"
A = sympy.IndexedBase("a", real=True)  # the residual's output
i, j = ns.i, ns.j
ORDER = ("y", *ns.ORDER)
"""The quantities derived: dC/dy first (the loss reaches y only through a), then the layer
norm's, each after those it reads."""


def is_residual_norm(layer) -> bool:
    return isinstance(layer, Residual) and isinstance(layer.inner, LayerNorm)


def _definitions() -> ns.NormForm:
    gamma, beta, defs = ns.definitions("layernorm")
    defs = [*defs, (A[i], ns.x[i] + ns.y[i])]
    return ns.NormForm(KIND, ns.SIZES["layernorm"], gamma, beta, defs)


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


class Instance(npf.Instance):
    """The residual layer's own equations on m features; dC/da given as symbols."""

    OUTPUT = A

    def __init__(self, m: int) -> None:  # noqa: D107 (the base class's fields, another layer)
        layer = Residual(LayerNorm())
        eq = Equations()
        x = eq.inputs("x", (m,))
        data = LayerData(position=1, layer=layer, input_shape=x.shape)
        layer.equations(eq, data, x)
        flat = {r: list(np.asarray(v).reshape(-1)) for r, v in data.arrays.items()}
        self.m, self.definitions = m, eq.definitions
        self.defined = dict(eq.definitions)
        self.gammas = list(np.asarray(data.parameters["gamma1"]).reshape(-1))
        self.betas = list(np.asarray(data.parameters["beta1"]).reshape(-1))
        self.arrays = {ns.x: flat["x"], ns.x_hat: flat["xhat"], ns.y: flat["f"], A: flat["a"]}
        self.scalars = {ns.mu: flat["mu"][0], ns.var: flat["var"][0], ns.sigma: flat["sigma"][0]}
        self.dy = [sympy.Symbol(f"da[{n}]", real=True) for n in range(m)]
        self.grads = self.chain_rule()
        self.point_cache: dict[int, dict[sympy.Symbol, sympy.Expr]] = {}
        self.prover = DefinitionsProver(self.definitions, {s for s, _ in self.definitions})


@cache
def _instances() -> tuple[Instance, ...]:
    return tuple(Instance(m) for m in npf.SIZES_PROVED)


def _fails_at(form: ns.NormForm, inst: Instance, lhs, rhs) -> int | None:
    """The first index value where ``lhs = rhs`` fails, exactly or numerically, or None."""
    for at in range(inst.m) if i in (lhs.free_symbols | rhs.free_symbols) else [0]:
        left, right = inst.concrete(lhs, form.size, at), inst.concrete(rhs, form.size, at)
        if not inst.numeric(left, right, range(npf.POINTS)) or not inst.exact(left, right):
            return at
    return None


def prove_step(form: ns.NormForm, step: ns.NormStep) -> str:
    """The step (and the identity it used) proved on n = 2, 3, 4, or ValueError where not."""
    claims = [(step.lhs, step.rhs, "step")]
    if step.uses is not None:
        claims.append((*step.uses, "identity"))
    for inst in _instances():
        for lhs, rhs, what in claims:
            at = _fails_at(form, inst, lhs, rhs)
            if at is not None:
                raise ValueError(f"{KIND}: the {what} '{step.rule}' of d/d{step.quantity} "
                                 f"fails at n = {inst.m}, i = {at}")  # fmt: skip
    sizes = ", ".join(map(str, npf.SIZES_PROVED))
    return (f"exactly modulo the layer's definitions (every i, n = {sizes}; on "
            f"{KIND}'s own equations) and at {npf.POINTS} random points of each "
            f"(to {npf.TOLERANCE:.0e})")  # fmt: skip


def prove_forward(form: ns.NormForm) -> str:
    """Each index-form definition equals the residual layer's own equation, entry by entry."""
    for inst in _instances():
        for lhs, rhs in form.definitions:
            for at in range(inst.m) if i in lhs.free_symbols else [0]:
                mine = inst.concrete(lhs, form.size, at)
                if sympy.expand(inst.concrete(rhs, form.size, at) - inst.defined[mine]) != 0:
                    raise ValueError(f"{KIND}: the index form of {lhs} is not the layer's")
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
