"""Index-form backward passes of a layer with several forward equations (attention's q, k, v,
scores, weights and output; a mean or a last step over time), derived by SymPy and proved on
concrete instances, as :mod:`symbp.derive.layer_index` does for a layer with one equation.

A layer states its forward equations in index form, in forward order (:class:`Stated`). The
gradient of an entry theta is derived in three steps:

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
>>> stated = Stated(((a[t], 2 * x[t]),), {x: ((0, n - 1),), a: ((0, n - 1),)},
...                 {x: "x", a: "a"}, {a: dA}, {n: ("x", 0)})
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

Range = tuple[sympy.Expr, sympy.Expr]


@dataclass(frozen=True)
class Stated:
    """A layer's forward equations in index form, in forward order, and what the proof needs.

    ``axes``: each array's index ranges (an entry outside is 0); ``roles``: each array's role
    in the layer's concrete equations (``"q"``, or a parameter's role ``"Wq"``); ``gradients``:
    the base of dC/d(entry) of each array the chain rule runs through; ``sizes``: each size
    symbol as (role, axis) of the instance's arrays."""

    equations: tuple[tuple[sympy.Indexed, sympy.Expr], ...]
    axes: dict[sympy.IndexedBase, tuple[Range, ...]]
    roles: dict[sympy.IndexedBase, str]
    gradients: dict[sympy.IndexedBase, sympy.IndexedBase]
    sizes: dict[sympy.Symbol, tuple[str, int]]
    activation: object = None
    """An elementwise activation in the equations: its derivative is the registry's (with
    its kink convention, relu'(0) = 0) wherever SymPy's appears."""

    def ranges_of(self, *exprs: sympy.Expr) -> dict[sympy.Symbol, Range]:
        """The range of every bare index symbol of an array entry in ``exprs`` and in the
        forward equations (an index has the range of the axis it indexes)."""
        found: dict[sympy.Symbol, Range] = {}
        every = [*exprs, *(e for pair in self.equations for e in pair)]
        for expr in every:
            for entry in sympy.sympify(expr).atoms(sympy.Indexed):
                for index, span in zip(entry.indices, self.axes.get(entry.base, ()), strict=False):
                    if isinstance(index, sympy.Symbol):
                        found.setdefault(index, span)
        return found

    def equation_of(self, base: sympy.IndexedBase) -> tuple[sympy.Indexed, sympy.Expr]:
        return next(pair for pair in self.equations if pair[0].base == base)


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
