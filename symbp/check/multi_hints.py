"""Hints for a refuted step of a multi-equation layer (:mod:`symbp.check.multi`): symbp's own
derived result for the quantity the chain starts from, with one usual mistake applied.

The mistakes are changes of the derived truth, never typed answers: the sign flipped; one term
(one path of the chain rule) left out; the scale 1/sqrt(d_k) left out or squared, a mean's 1/T
left out; the two indices of one array swapped (a transpose); and for the
scores of attention, the softmax rows' Jacobian (derived, :mod:`symbp.derive.layer_index_attention`)
taken as diagonal, either without its off-diagonal part ``- P_{i,j} P_{i,l}`` (dS = P dP) or
as its diagonal alone (dS = P (1 - P) dP). A hint is given only when the mistaken truth equals
the step's right side at every value of its free indices, so it never names a mistake the step
does not make.

>>> from symbp.derive import layer_index_attention as la
>>> [why[:34] for why, _ in mistakes(la.attention_form(), la.S[la.m, la.l])][:3]
['sign error', 'the softmax Jacobian is not diagon', 'the softmax Jacobian is not diagon']
"""

from __future__ import annotations

import sympy

from symbp.derive import layer_index_attention as la
from symbp.derive.layer_index import C

_DIAGONAL = ("the softmax Jacobian is not diagonal: P_{i,l} depends on every score S_{i,j} of "
             "row i, so dC/dS_{i,j} = P_{i,j} (dC/dP_{i,j} - sum_l P_{i,l} dC/dP_{i,l}), not "
             "P_{i,j} dC/dP_{i,j}")  # fmt: skip
_DIAGONAL_OF = ("the softmax Jacobian is not diagonal: diag(p) - p p^T has off-diagonal entries "
                "-P_{i,j} P_{i,l}, so dC/dS_{i,j} = P_{i,j} (dC/dP_{i,j} - sum_l P_{i,l} "
                "dC/dP_{i,l}), not P_{i,j} (1 - P_{i,j}) dC/dP_{i,j}")  # fmt: skip
_UNSCALED = "the scale 1/sqrt(d_k) is missing: S = q k^T / sqrt(d_k)"
_TWICE = "the scale is 1/sqrt(d_k), not 1/d_k: S = q k^T / sqrt(d_k)"


def truth_for(form, target: sympy.Indexed) -> sympy.Expr | None:
    """symbp's derived dC/d(target), in target's index letters (its sums' letters fresh)."""
    for quantity in form.quantities():
        first = form.steps_for(quantity)[0].lhs
        if not isinstance(first, sympy.Derivative) or first.expr != C:
            continue
        if first.variables[0].base != target.base:
            continue
        theirs = first.variables[0]
        if len(theirs.indices) != len(target.indices):
            return None
        rhs = _fresh(form.steps_for(quantity)[-1].rhs)
        return rhs.xreplace(dict(zip(theirs.indices, target.indices, strict=True)))
    return None


def _fresh(expr: sympy.Expr) -> sympy.Expr:
    for total in expr.atoms(sympy.Sum):
        names = {lim[0]: sympy.Symbol(f"{lim[0]}_", integer=True) for lim in total.limits}
        expr = expr.xreplace({total: total.xreplace(names)})
    return expr


def mistakes(form, target: sympy.Indexed) -> list[tuple[str, sympy.Expr]]:
    """(hint, mistaken right side) for dC/d(target), the most specific first."""
    truth = truth_for(form, target)
    if truth is None:
        return []
    found: list[tuple[str, sympy.Expr]] = [("sign error", -truth)]
    if target.base == la.S:
        found += _diagonal(form, target)
    dk = la.DK
    if truth.has(dk):
        found += [(_UNSCALED, truth * sympy.sqrt(dk)), (_TWICE, truth / sympy.sqrt(dk))]
    for factor in sympy.Mul.make_args(truth):
        if not factor.atoms(sympy.Indexed) and factor.has(la.T) and not factor.has(dk):
            found.append((f"the factor {sympy.sstr(factor)} is missing (the mean over the "
                          "T positions)", truth / factor))  # fmt: skip
    terms = sympy.Add.make_args(truth)
    for term in terms if len(terms) > 1 else ():
        found.append((f"a path of the chain rule is left out: the term {_named(term)}",
                      truth - term))  # fmt: skip
    return found + _swapped(truth)


def _swapped(truth: sympy.Expr) -> list[tuple[str, sympy.Expr]]:
    """The truth with the two indices of one array swapped wherever it appears (a transpose:
    P_{i,t} for P_{t,i})."""
    found = []
    grads = {str(g) for g in la.GRADIENTS.values()}
    bases = sorted({e.base for e in truth.atoms(sympy.Indexed)
                    if len(e.indices) == 2 and str(e.base) not in grads}, key=str)  # fmt: skip
    for base in bases:
        swap = {e: base[e.indices[1], e.indices[0]] for e in truth.atoms(sympy.Indexed)
                if e.base == base}  # fmt: skip
        found.append((f"the indices of {base} are swapped (a transpose: {base} where its "
                      f"transpose belongs)", truth.xreplace(swap)))  # fmt: skip
    return found


def _named(term: sympy.Expr) -> str:
    """The gradients a term reads, as the paths they are (dA: from the layer above)."""
    grads = sorted({str(e.base) for e in term.atoms(sympy.Indexed) if str(e.base)[:1] == "d"})
    above = "dC/da itself (from the layer above, or a residual's identity path)"
    named = [above if g == "dA" else f"through {g[1:]}" for g in grads if g != "delta"]
    return ", ".join(named) or sympy.sstr(term)


def _diagonal(form, target: sympy.Indexed) -> list[tuple[str, sympy.Expr]]:
    """dC/dS with the softmax rows' derived Jacobian taken as diagonal, two ways."""
    jacobian = form.steps_for("jacobian")
    chain = form.steps_for("S")
    if not jacobian or not chain:
        return []
    lhs, rhs = jacobian[0].lhs, jacobian[-1].rhs
    i, j = lhs.expr.indices
    m, l = lhs.variables[0].indices  # noqa: E741
    without_off = rhs.xreplace({la.P[i, l]: 0})
    only_diagonal = rhs * sympy.KroneckerDelta(j, l)
    theirs = chain[0].lhs.variables[0]
    found = []
    for why, jac in ((_DIAGONAL, without_off), (_DIAGONAL_OF, only_diagonal)):
        first = _fresh(chain[0].rhs)
        for d in first.atoms(sympy.Derivative):
            names = dict(zip((i, j, m, l), (*d.expr.indices, *d.variables[0].indices),
                             strict=True))  # fmt: skip
            first = first.xreplace({d: jac.xreplace(names)})
        found.append((why, first.xreplace(dict(zip(theirs.indices, target.indices, strict=True)))))
    return found


__all__ = ["mistakes", "truth_for"]
