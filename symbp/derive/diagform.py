"""delta^L derived with diagonal matrices, as the CSDN post copied into the source note does.

In denominator layout the chain rule reads delta^L = (da^L/dz^L) . (dJ/da^L); for an
elementwise activation da^L/dz^L is the diagonal matrix of f'(z^L_j), and the loss, a sum of
one term per unit, has a gradient that is a sum of diagonal matrices times target vectors
(binary cross-entropy: -diag(1/a_j) y + diag(1/(1 - a_j)) (1 - y)). Multiplying out, each
diagonal entry is cancelled by SymPy, and the sum collapses to the simplified delta^L of the
generic derivation. Every entry below is computed here from the activation and loss registries.

>>> from symbp.derive.generic import derive_generic
>>> steps = output_delta_steps(derive_generic(output="sigmoid", loss="bce"))
>>> [str(s) for s in steps[-2:]]
['diag(a^L_j - 1) y + diag(a^L_j) (1 - y)', 'a^L - y']
"""

from __future__ import annotations

import sympy

from symbp.activations import Elementwise, get_activation
from symbp.derive import indexform as ix
from symbp.derive import matrix as mx
from symbp.derive.chains import diagonal_form
from symbp.derive.matrix import COL, DEPTH, LAYER, ROW
from symbp.losses import Loss, get_loss

_A, _Y = sympy.Symbol("a"), sympy.Symbol("y")


def _positive_target(factor: sympy.Expr) -> sympy.Expr:
    """The target factor written with a positive sign: y, 1 - y."""
    return factor if factor.subs(_Y, 0) + factor.subs(_Y, 1) > 0 else -factor


def _loss_gradient_terms(loss_name: str | Loss) -> list[tuple[sympy.Expr, sympy.Expr]]:
    """(coefficient in a, target factor) for each term of dC/da, term by term of the loss."""
    out = []
    loss = get_loss(loss_name) if isinstance(loss_name, str) else loss_name
    for term in sympy.Add.make_args(loss.term(_A, _Y)):
        target, rest = term.as_independent(_A)
        factor = _positive_target(target)
        coefficient = sympy.cancel(target / factor) * sympy.diff(rest, _A)
        if coefficient.has(_Y) or not factor.has(_Y):
            return []  # not (function of a) x (target factor): squared error, say
        out.append((coefficient, factor))
    return out


def _entry(expr: sympy.Expr) -> mx.Node:
    """A scalar expression of a = a^L_j as an entry node."""
    return ix.entry(expr.xreplace({_A: ix.a[DEPTH, ROW]}))


def _vector(expr: sympy.Expr) -> mx.Node:
    """A target factor (y, 1 - y) as a vector node."""
    return ix.recognise(expr.xreplace({_Y: ix.y[ix.Q]}), (ix.Q,))


def _signed(coefficient: sympy.Expr, target: sympy.Expr) -> tuple[bool, mx.Node]:
    negative = coefficient.could_extract_minus_sign()
    entry = _entry(-coefficient if negative else coefficient)
    return negative, mx.MatMul(mx.Diag(entry), _vector(target))


def _sum(terms: list[tuple[bool, mx.Node]]) -> mx.Node:
    nodes = [mx.Neg(node) if negative else node for negative, node in terms]
    return nodes[0] if len(nodes) == 1 else mx.Add(*nodes)


def output_delta_steps(der) -> list[mx.Node]:
    """The right sides of delta^L = dJ/dz^L = ... = (simplified delta^L), in order; empty when
    the output activation is not elementwise or has no output form f'(z) = g(a), or when the
    loss's terms are not (a function of a) times (a target factor), as cross-entropy's are.

    >>> from symbp.derive.generic import derive_generic
    >>> output_delta_steps(derive_generic(output="sigmoid", loss="mse"))
    []
    """
    act = der.spec[1] if der.spec else get_activation(der.output)
    if not isinstance(act, Elementwise) or "delta_L_simplified" not in der.equations:
        return []
    form = act.fprime_in_output(_A)
    loss = der.equations.get("loss")
    if form is None or loss is None:
        return []
    a_L, z_L = mx.Vec("a", DEPTH), mx.Vec("z", DEPTH)
    terms = _loss_gradient_terms(der.spec[2] if der.spec else der.loss)
    if not terms:
        return []
    gradient = _sum([_signed(c, t) for c, t in terms])
    multiplied = _sum([_signed(form * c, t) for c, t in terms])
    return [
        mx.Partial(mx.Cost(), z_L),
        mx.MatMul(mx.Partial(a_L, z_L), mx.Partial(mx.Cost(), a_L)),
        mx.MatMul(mx.Diag(mx.FPrime(DEPTH, ROW)), mx.Partial(loss.rhs, a_L)),
        mx.MatMul(mx.Diag(_entry(form)), gradient),
        multiplied,
        der.equations["delta_L_simplified"].rhs,
    ]


def _with_entries(node: mx.Node) -> mx.Node:
    """diag((f^l)') written with its entries f'(z^l_j)."""
    if isinstance(node, mx.Diag) and isinstance(node.of, mx.FPrime):
        return mx.Diag(mx.FPrime(node.of.layer, ROW))
    if isinstance(node, mx.MatMul):
        return mx.MatMul(*[_with_entries(a) for a in node.args])
    return node


def hidden_delta_steps(der) -> list[mx.Node]:
    """The right sides of delta^{l-1} = dJ/dz^{l-1} = ... = diag(f'(z^{l-1}_j)) (W^l)^T delta^l
    with Ng's bias unit, in denominator layout: the chain rule through z^l = W^l (1; f(z^{l-1})),
    the Jacobian entry by entry (row j: unit j of layer l-1; column k: row k of W^l), the bias
    unit dropped (it is constant), and the chain rule through f. Empty for explicit biases."""
    if der.bias != "unit":
        return []
    below, here = LAYER - 1, LAYER
    z_below, z_here = mx.Vec("z", below), mx.Vec("z", here)
    values = mx.Apply(mx.Fn("f", below), (z_below,))
    stacked = mx.Stacked((mx.Scalar("1"), values))
    delta = mx.Vec("delta", here)
    row_k = mx.MatMul(mx.Elem("W", here, (COL,)), stacked)
    entries = mx.Entries(mx.Partial(row_k, mx.Elem("z", below, (ROW,))), ROW, below, COL, here)
    without_bias = mx.MatMul(mx.Mat("W", here), values)
    final = _with_entries(diagonal_form(der.equations["delta_recursion"]).rhs)
    return [
        mx.Partial(mx.Cost(), z_below),
        mx.MatMul(mx.Partial(z_here, z_below), mx.Partial(mx.Cost(), z_here)),
        mx.MatMul(mx.Partial(mx.MatMul(mx.Mat("W", here), stacked), z_below), delta),
        mx.MatMul(entries, delta),
        mx.MatMul(mx.Partial(without_bias, z_below), delta),
        mx.MatMul(mx.Partial(values, z_below), mx.Partial(without_bias, values), delta),
        final,
    ]
