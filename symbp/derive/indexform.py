"""Index notation with SymPy: forward equations of a generic layer, Kronecker-delta contraction,
and recognition of the contracted results as matrix operations.

The quantities are SymPy ``IndexedBase`` objects indexed by a layer and unit indices:
``w[l, j, k]`` is w^l_{jk}, ``a[l, k]`` is a^l_k, ``n[l]`` is the width of layer l; the hidden
activation is the SymPy function :class:`f` (``f(l, z)`` is f^l(z)) whose derivative is
:class:`fprime`, so SymPy's ``diff`` applies the chain rule and produces Kronecker deltas.
:func:`contract` removes the deltas (``sum_k delta_{kq} a_k = a_q``, assuming q lies in the
summation range, or with the range condition made explicit where it may not), and
:func:`recognise` turns ``sum_j w_{jq} delta_j`` into ``(W^T delta)_q``, ``delta_p a_q`` into
``delta a^T`` and a product with ``f'(z_q)`` into a Hadamard product.

>>> zdef = sympy.Sum(w[L1, ROW, COL] * a[L1 - 1, COL], (COL, 1, n[L1 - 1])) + b[L1, ROW]
>>> contract(sympy.diff(zdef, w[L1, P, Q]))
KroneckerDelta(P, j)*a[l - 1, Q]
>>> recognise(delta[L1, P] * a[L1 - 1, Q], (P, Q))
Outer(left=Vec(kind='delta', layer=l), right=Vec(kind='a', layer=l - 1))
"""

from __future__ import annotations

import sympy

from symbp.derive import matrix as mx
from symbp.derive.matrix import COL, LAYER, ROW, SUM

L1 = LAYER
w, b, a, z, delta, y, n = (sympy.IndexedBase(s) for s in ("w", "b", "a", "z", "delta", "y", "n"))
dC = sympy.IndexedBase("dC")
"""``dC[L, i]`` is dC/da^L_i, the loss derivative left abstract (nabla_{a^L} C)."""
J = sympy.IndexedBase("J")
"""``J[L, i, q]`` is da^L_i/dz^L_q of a vector-valued activation (softmax's Jacobian)."""
P, Q = sympy.symbols("P Q", integer=True)
"""Free indices of a derivative: dC/dw^l_{PQ}, delta^l_Q."""


class f(sympy.Function):
    """f^l(z): the activation of layer l, left abstract; ``diff`` gives :class:`fprime`."""

    nargs = 2

    def fdiff(self, argindex: int = 2) -> sympy.Expr:
        if argindex != 2:
            raise sympy.ArgumentIndexError(self, argindex)
        return fprime(*self.args)


class fprime(sympy.Function):
    """(f^l)'(z)."""

    nargs = 2


def _split(term: sympy.Expr, var: sympy.Symbol) -> tuple[sympy.Expr, sympy.Expr]:
    inside, outside = [], []
    for factor in sympy.Mul.make_args(term):
        (inside if var in factor.free_symbols else outside).append(factor)
    return sympy.Mul(*outside), sympy.Mul(*inside)


def contract(expr: sympy.Expr, lower: dict[sympy.Symbol, int] | None = None) -> sympy.Expr:
    """Eliminate Kronecker deltas against the sums over their indices; pull constants out.

    ``lower[q]`` is the first value index q can take (0 for Ng's bias column); when it is below
    the sum's lower limit, the result keeps the condition as a Piecewise.

    >>> contract(sympy.Sum(sympy.KroneckerDelta(COL, Q) * a[1, COL], (COL, 1, n[1])))
    a[1, Q]
    """
    lower = lower or {}
    if isinstance(expr, sympy.Sum):
        body = sympy.expand(contract(expr.function, lower), multinomial=False, power_exp=False)
        (var, lo, hi), *rest = expr.limits
        out = []
        for term in sympy.Add.make_args(body):
            outside, inside = _split(term, var)
            kd = next(
                (
                    fac
                    for fac in sympy.Mul.make_args(inside)
                    if isinstance(fac, sympy.KroneckerDelta) and var in fac.args
                ),
                None,
            )
            if kd is None:
                out.append(outside * sympy.Sum(inside, (var, lo, hi)))
                continue
            other = kd.args[0] if kd.args[1] == var else kd.args[1]
            value = (inside / kd).subs(var, other)
            if isinstance(other, sympy.Symbol) and lower.get(other, lo) < lo:
                value = sympy.Piecewise((value, other >= lo), (0, True))
            out.append(outside * value)
        result = sympy.Add(*out)
        return contract(sympy.Sum(result, *rest), lower) if rest else result
    if expr.args:
        return expr.func(*[contract(arg, lower) for arg in expr.args])
    return expr


class NotRecognised(ValueError):
    """An index expression that is not one of the matrix patterns symbp knows."""


_VECTOR_KIND = {a: "a", z: "z", delta: "delta", b: "b"}


def _vector(x: sympy.Indexed, free: sympy.Symbol) -> mx.Node:
    base, idx = x.base, x.indices
    if idx[-1] != free:
        raise NotRecognised(f"{x} is not indexed by {free}")
    if base == y:
        return mx.Vec("y")
    if base == dC:
        return mx.Grad(mx.Vec("a", idx[0]))
    if base in _VECTOR_KIND and len(idx) == 2:
        if base == a and idx[0] == 0:
            return mx.Vec("x")
        return mx.Vec(_VECTOR_KIND[base], idx[0])
    raise NotRecognised(f"no vector for {x}")


def _matrix_vector(total: sympy.Sum, free: sympy.Symbol) -> mx.Node:
    """``sum_i M_{i q} v_i`` -> ``M^T v``; ``sum_i M_{q i} v_i`` -> ``M v``."""
    body, (var, _lo, _hi) = total.function, total.limits[0]
    matrices = [f_ for f_ in sympy.Mul.make_args(body) if isinstance(f_, sympy.Indexed)]
    mat = next((m for m in matrices if m.base in (w, J) and var in m.indices), None)
    vecs = [m for m in matrices if m is not mat]
    if mat is None or len(vecs) != 1 or sympy.Mul(mat, vecs[0]) != body:
        raise NotRecognised(f"{total} is not a matrix-vector product")
    layer, row, col = mat.indices
    node = mx.Mat("W", layer) if mat.base == w else mx.Jacobian(layer)
    vec = _vector(vecs[0].subs(var, free), free)
    if row == var and col == free:
        return mx.MatMul(mx.T(node), vec)
    if col == var and row == free:
        return mx.MatMul(node, vec)
    raise NotRecognised(f"{total} mixes its indices")


def recognise(expr: sympy.Expr, free: tuple[sympy.Symbol, ...]) -> mx.Node:
    """The matrix expression whose entry ``free`` is the contracted index expression ``expr``.

    One free index gives a vector, two give a matrix (only the outer product ``u_p v_q``).
    """
    if len(free) == 2:
        factors = sympy.Mul.make_args(expr)
        left = [x for x in factors if free[0] in x.free_symbols]
        right = [x for x in factors if free[1] in x.free_symbols]
        if len(left) == len(right) == 1 and sympy.Mul(left[0], right[0]) == expr:
            return mx.Outer(_vector(left[0], free[0]), _vector(right[0], free[1]))
        raise NotRecognised(f"{expr} is not an outer product")
    (q,) = free
    if isinstance(expr, sympy.Add):
        terms = sorted(expr.args, key=lambda t: t.could_extract_minus_sign())
        nodes = [recognise(t, free) for t in terms]
        return mx.Add(*nodes)
    if isinstance(expr, sympy.Mul):
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient != 1:
            return _signed(coefficient, recognise(rest, free))
        return mx.Hadamard(*[recognise(x, free) for x in _ordered(rest)])
    if isinstance(expr, sympy.Sum):
        return _matrix_vector(expr, q)
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and expr.exp > 1:
        return mx.Hadamard(*[recognise(expr.base, free)] * int(expr.exp))
    if isinstance(expr, sympy.log):
        return mx.Apply(mx.Fn("log"), (recognise(expr.args[0], free),))
    if isinstance(expr, fprime):
        layer, arg = expr.args
        if arg != z[layer, q]:
            raise NotRecognised(f"{expr} is not f' at z_{q}")
        return mx.FPrime(layer)
    if isinstance(expr, sympy.Indexed):
        return _vector(expr, q)
    if expr == 1:
        return mx.Vec("one")
    raise NotRecognised(f"cannot read {expr} as a vector")


def _ordered(product: sympy.Expr) -> list[sympy.Expr]:
    """Factors in the chain rule's order: sums (matrix products) and gradients, then f'."""
    factors = list(sympy.Mul.make_args(product))
    return sorted(
        factors,
        key=lambda x: (
            isinstance(x, fprime),
            isinstance(x, sympy.Add),
            not isinstance(x, sympy.Sum),
            sympy.default_sort_key(x),
        ),
    )


_ENTRY_ORDER = (w, J, a, dC, delta)


def _entry_order(x: sympy.Expr) -> tuple[int, str]:
    """The sources' order: weight, activation, loss derivative, delta; then f'."""
    base = getattr(x, "base", None)
    rank = _ENTRY_ORDER.index(base) if base in _ENTRY_ORDER else len(_ENTRY_ORDER)
    return (rank + (10 if isinstance(x, fprime) else 0), sympy.default_sort_key(x))


def _terms(expr: sympy.Expr) -> list[sympy.Expr]:
    """Terms of a sum, simplest first (the loss's ``-y log a`` before ``-(1-y) log(1-a)``)."""
    return sorted(
        sympy.Add.make_args(expr), key=lambda t: (sympy.count_ops(t), sympy.default_sort_key(t))
    )


def _factors(term: sympy.Expr) -> list[sympy.Expr]:
    """Factors with plain entries before function values (``y log a``); squares as u u."""
    out = []
    for factor in sympy.Mul.make_args(term):
        if isinstance(factor, sympy.Pow) and factor.exp == 2:
            out += [factor.base, factor.base]
        else:
            out.append(factor)
    return sorted(out, key=lambda f: (isinstance(f, sympy.Function), sympy.default_sort_key(f)))


def _signed(coefficient: sympy.Expr, node: mx.Node) -> mx.Node:
    if coefficient == 1:
        return node
    if coefficient == -1:
        return mx.Neg(node)
    if coefficient < 0:
        return mx.Neg(mx.Scaled(-coefficient, node))
    return mx.Scaled(coefficient, node)


def recognise_total(expr: sympy.Sum) -> mx.Node:
    """A scalar ``sum_i u_i v_i`` as the inner product ``u^T v`` (the loss as vectors).

    >>> from symbp.derive.matrix import DEPTH
    >>> i = SUM
    >>> print(recognise_total(sympy.Sum(-y[i] * sympy.log(a[DEPTH, i]), (i, 1, n[DEPTH]))))
    -(y)^T log(a^L)
    """
    body, (var, _lo, _hi) = expr.function, expr.limits[0]
    nodes = []
    for term in _terms(body):
        coefficient, rest = term.as_coeff_Mul()
        factors = _factors(rest)
        if len(factors) != 2:
            raise NotRecognised(f"{term} is not a product of two entries")
        u, v = (recognise(f.xreplace({var: Q}), (Q,)) for f in factors)
        nodes.append(_signed(coefficient, mx.MatMul(mx.T(u), v)))
    return nodes[0] if len(nodes) == 1 else mx.Add(*nodes)


def entry(expr: sympy.Expr) -> mx.Node:
    """An index expression (a product of entries, possibly summed) as :class:`Elem` nodes."""
    if isinstance(expr, sympy.Add):
        return mx.Add(*[entry(t) for t in _terms(expr)])
    if expr.is_Number:
        return mx.Neg(mx.Scalar(str(-expr))) if expr < 0 else mx.Scalar(str(expr))
    if isinstance(expr, sympy.log):
        return mx.Apply(mx.Fn("log"), (entry(expr.args[0]),))
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and expr.exp > 1:
        return mx.Power(entry(expr.base), int(expr.exp))
    if isinstance(expr, sympy.Pow) and expr.exp == -1:
        return mx.Ratio(mx.Scalar("1"), entry(expr.base))
    if isinstance(expr, sympy.Indexed):
        kind = {w: "W", J: "J"}.get(expr.base) or _VECTOR_KIND.get(expr.base)
        if expr.base == y:
            return mx.Elem("y", None, expr.indices)
        if expr.base == dC:
            return mx.Partial(mx.Cost(), mx.Elem("a", expr.indices[0], expr.indices[1:]))
        if kind is None:
            raise NotRecognised(f"no entry for {expr}")
        return mx.Elem(kind, expr.indices[0], expr.indices[1:])
    if isinstance(expr, fprime):
        layer, arg = expr.args
        return mx.FPrime(layer, arg.indices[-1])
    if isinstance(expr, sympy.Sum):
        var, _lo, hi = expr.limits[0]
        width = hi.indices[0] if isinstance(hi, sympy.Indexed) else None
        return mx.IndexSum(entry(expr.function), var, width)
    if isinstance(expr, sympy.Mul):
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient != 1:
            return _signed(coefficient, entry(rest))
        if any(isinstance(f, sympy.log) for f in sympy.Mul.make_args(expr)):
            return mx.Product(*[entry(x) for x in _factors(expr)])
        return mx.Product(*[entry(x) for x in sorted(sympy.Mul.make_args(expr), key=_entry_order)])
    raise NotRecognised(f"no entry form for {expr}")


__all__ = ["COL", "ROW", "SUM", "contract", "recognise", "entry", "f", "fprime"]
