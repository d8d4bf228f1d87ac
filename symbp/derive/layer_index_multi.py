"""Index-form backward passes of a layer with several forward equations (attention's q, k, v,
scores, weights and output; a mean or a last step over time), derived by SymPy and proved on
concrete instances, as :mod:`symbp.derive.layer_index` does for a layer with one equation.

A layer states its forward equations in index form, in forward order
(``LayerKind.index_equations``, read here as a :class:`Stated` with the names of their
gradients). The gradient of an entry theta is derived in three steps:

1. the chain rule over every equation that reads theta's array: dC/dtheta =
   sum_R sum_{idx} dC/dR_{idx} dR_{idx}/dtheta (dC/dR an array of its own, ``gradient``);
2. the local derivatives, by ``sympy.diff`` of the equations (Kronecker deltas appear; a
   derivative derived before, such as the softmax rows' Jacobian, is substituted instead);
3. the sums over the Kronecker deltas done by ``Sum.doit`` (range conditions that hold for
   every index in range dropped, as :func:`symbp.derive.layer_index._clean` does).

Each step is then proved on a concrete instance (:mod:`symbp.derive.layer_index_multi_proof`).

>>> i, t = sympy.symbols("i t", integer=True)
>>> x, a, dA = (sympy.IndexedBase(n) for n in ("x", "a", "dA"))
>>> n = sympy.Symbol("n", integer=True, positive=True)
>>> forward = IndexEquations(((a[t], 2 * x[t]),), {x: ((0, n - 1),), a: ((0, n - 1),)},
...                          {x: "x", a: "a"}, {n: ("x", 0)})
>>> stated = stated_with(forward, {a: dA})
>>> for step in gradient_steps(stated, "input", x[i]):
...     print(step.rhs, "|", step.rule)
Sum(Derivative(a[t], x[i])*dA[t], (t, 0, n - 1)) | chain rule
Sum(2*KroneckerDelta(i, t)*dA[t], (t, 0, n - 1)) | differentiate the forward equations
2*dA[i] | sum out the Kronecker deltas
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from symbp.derive import layer_index as li
from symbp.derive.layer_index import IndexStep
from symbp.layers.index import IndexEquations


@dataclass(frozen=True)
class Stated(IndexEquations):
    """A layer's forward equations in index form (its own :class:`IndexEquations`, from
    ``LayerKind.index_equations``) and the base of dC/d(entry) of each array the chain rule
    runs through (``gradients``; each has its array's axes)."""

    gradients: dict[sympy.IndexedBase, sympy.IndexedBase] = field(default_factory=dict)


def stated_with(forward: IndexEquations, gradients: dict) -> Stated:
    """The layer's equations with the gradient bases of its arrays (those it has)."""
    kept = {p: g for p, g in gradients.items() if p in forward.roles}
    axes = {**forward.axes, **{g: forward.axes[p] for p, g in kept.items()}}
    return Stated(forward.equations, axes, forward.roles, forward.sizes, forward.activation, kept)


@dataclass
class MultiForm:
    """A layer's forward equations and its derived backward steps, in printing order."""

    layer: object
    stated: Stated
    steps: list[IndexStep] = field(default_factory=list)
    forward_verified_by: str = ""

    def steps_for(self, quantity: str) -> list[IndexStep]:
        return [s for s in self.steps if s.quantity == quantity]

    def quantities(self) -> list[str]:
        return list(dict.fromkeys(s.quantity for s in self.steps))


def chain_rule(stated: Stated, target: sympy.Indexed) -> sympy.Expr:
    """sum over the equations R that read target's array of sum_idx dC/dR_idx dR_idx/dtarget."""
    terms = []
    for lhs, rhs in stated.equations:
        if not any(e.base == target.base for e in rhs.atoms(sympy.Indexed)):
            continue
        limits = [(s, *span) for s, span in zip(lhs.indices, stated.axes[lhs.base], strict=True)]
        grad = stated.gradients[lhs.base][lhs.indices]
        terms.append(sympy.Sum(grad * sympy.Derivative(lhs, target), *limits))
    return sympy.Add(*terms)


def local_derivative(stated: Stated, num: sympy.Indexed, den: sympy.Indexed) -> sympy.Expr:
    """d num / d den by ``sympy.diff`` of num's forward equation, its sums done and cleaned."""
    lhs, rhs = stated.equation_of(num.base)
    rhs = rhs.xreplace(dict(zip(lhs.indices, num.indices, strict=True)))
    ranges = stated.ranges_of(num, den)
    entries = rhs.atoms(sympy.Indexed)
    slope = registry_slopes(sympy.diff(rhs, den).doit(), stated.activation, entries)
    return li._clean(slope, ranges, stated.axes)


def registry_slopes(expr: sympy.Expr, act, entries) -> sympy.Expr:
    """SymPy's derivative of the activation at each of ``entries`` replaced by the registry's
    (the same but at a kink: SymPy's Heaviside(z) for relu is 1/2 at 0, the registry's 0)."""
    if act is None or not act.elementwise:
        return expr
    return expr.xreplace({sympy.diff(act.f(e), e): act.fprime(e) for e in entries})


def sum_out(stated: Stated, expr: sympy.Expr, free: sympy.Expr) -> sympy.Expr:
    """The sums over the Kronecker deltas done, range conditions that always hold dropped."""
    done = li._kronecker_first(sympy.expand(expr)).doit()
    return li._clean(done, stated.ranges_of(free, expr), stated.axes)


def _known(known: dict, d: sympy.Derivative) -> sympy.Expr | None:
    """A derivative derived before (stated for other index names), at d's indices."""
    for lhs, rhs in known.items():
        num, den = lhs.expr, lhs.variables[0]
        if (num.base, den.base) == (d.expr.base, d.variables[0].base):
            names = zip((*num.indices, *den.indices), (*d.expr.indices, *d.variables[0].indices),
                        strict=True)  # fmt: skip
            return rhs.xreplace(dict(names))
    return None


def constants_out(expr: sympy.Expr) -> sympy.Expr:
    """Every factor of a sum's term that does not depend on its summation indices taken out."""

    def out(total: sympy.Sum) -> sympy.Expr:
        names = [lim[0] for lim in total.limits]
        constant, term = total.function.as_independent(*names, as_Add=False)
        return constant * sympy.Sum(term, *total.limits)

    return expr.replace(lambda e: isinstance(e, sympy.Sum), out)


def gradient_steps(
    stated: Stated, quantity: str, target: sympy.Indexed, known: dict | None = None
) -> list[IndexStep]:
    """dC/dtarget: the chain rule, the local derivatives (by SymPy, or ``known``: derivatives
    derived before, by their Derivative), the Kronecker sums done, constants out of the sums."""
    known = known or {}
    chain = chain_rule(stated, target)
    local, substituted = chain, False
    for d in chain.atoms(sympy.Derivative):
        value = _known(known, d)
        substituted = substituted or value is not None
        if value is None:
            value = local_derivative(stated, d.expr, d.variables[0])
        local = local.xreplace({d: value})
    rule = ("substitute the softmax Jacobian derived above"
            if substituted else "differentiate the forward equations")  # fmt: skip
    rows = [(sympy.Derivative(li.C, target), chain, "chain rule"), (chain, local, rule)]
    done = sum_out(stated, local, target)
    if done != local:
        rows.append((local, done, "sum out the Kronecker deltas"))
    outside = constants_out(done)
    if outside != done:
        rows.append((done, outside, "take the constant factors out of the sums"))
    common = sympy.factor_terms(outside)
    if common != outside and isinstance(outside, sympy.Add):
        rows.append((outside, common, "take the common factor out"))
    free = tuple(s for s in target.indices if isinstance(s, sympy.Symbol))
    return [IndexStep(quantity, lhs, rhs, why, free) for lhs, rhs, why in rows]
