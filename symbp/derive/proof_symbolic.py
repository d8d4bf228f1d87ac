"""The composed-loss symbolic proof, and the SymPy helpers every symbolic proof shares.

:func:`prove_composed` proves dC/dp for each quantity p as ``sympy.diff`` of the fully composed
loss minus the backprop form, with every named intermediate substituted back, simplifying to 0
(the assumptions the derivation used, such as sum_j y_j = 1, substituted first). Activations
whose derivative has an output form (sigmoid' = a(1 - a), tanh' = 1 - a^2) enter the composed
loss as SymPy functions carrying that identity (:func:`opaque`), which is itself proved against
SymPy's derivative of the definition; this keeps the expressions small. Softmax enters the same
way (:func:`opaque_vector`), as functions whose partial derivatives are its Jacobian
a_i (delta_ij - a_j), proved at the layer's width. The mean over m examples and the L2 term
follow by linearity of the derivative; the L2 term's derivative is checked separately.

>>> z = sympy.Symbol("z", real=True)
>>> kink_convention(sympy.diff(sympy.Max(z, 0), z))
Heaviside(z, 0)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sympy

from symbp import limits
from symbp.activations import Activation, Elementwise
from symbp.derive.concrete import Derivation, _output_identity_holds

COMPOSED_DETAIL = "sympy.diff of the composed loss minus the backprop form simplifies to 0"
KINK_NOTE = " (SymPy's Heaviside(0) = 1/2 replaced by the stated kink convention)"
LINEARITY_NOTE = "; the mean over m examples and the L2 term follow by linearity"


@cache
def opaque(act: Elementwise) -> type[sympy.Function]:
    """f as an unevaluated SymPy function whose derivative is the activation's output identity
    (f' = a(1 - a) for sigmoid), so composed expressions stay small. Only used for activations
    whose identity is verified against SymPy's derivative of the definition."""

    def fdiff(self, argindex=1):
        return act.fprime_in_output(self)

    return type(act.name, (sympy.Function,), {"fdiff": fdiff, "is_real": True})


@cache
def vector_identity_holds(act: Activation, width: int) -> bool:
    """Is the activation's stated Jacobian da_i/dz_j (in its outputs) SymPy's, at this width?"""
    zs = sympy.symbols(f"t1:{width + 1}", real=True)
    outs = act(zs)
    pairs = [(i, j) for i in range(width) for j in range(width)]
    for i, j in pairs:
        stated = act.jacobian_in_outputs(outs, i, j)
        if stated is None or sympy.cancel(sympy.diff(outs[i], zs[j]) - stated) != 0:
            return False
    return True


@cache
def opaque_vector(act: Activation, width: int) -> list[type[sympy.Function]]:
    """a_1..a_n of a vector activation (softmax) as unevaluated SymPy functions of z_1..z_n whose
    partial derivatives are the activation's Jacobian written with its outputs."""
    family: list[type[sympy.Function]] = []

    def fdiff(self, argindex=1):
        outputs = [member(*self.args) for member in family]
        return act.jacobian_in_outputs(outputs, family.index(type(self)), argindex - 1)

    for i in range(1, width + 1):
        attributes = {"fdiff": fdiff, "is_real": True, "nargs": width}
        family.append(type(f"{act.name}_{i}", (sympy.Function,), attributes))
    return family


def activation_value(der: Derivation, layer: int, j: int, zs: list[sympy.Expr]) -> sympy.Expr:
    """a^layer_j as an expression of the layer's pre-activations ``zs``: an identity-carrying
    function where the identity is proved, else the activation's definition."""
    fwd, net = der.forward, der.network
    act, width = net.activation(layer), net.sizes[layer]
    if isinstance(act, Elementwise) and _output_identity_holds(act):
        return opaque(act)(zs[j - 1])
    if not act.elementwise and vector_identity_holds(act, width):
        return opaque_vector(act, width)[j - 1](*zs)
    own = {fwd.z[(layer, i)]: z for i, z in enumerate(zs, start=1)}
    return fwd.a_def[(layer, j)].xreplace(own)


def composed(der: Derivation) -> tuple[sympy.Expr, dict[sympy.Symbol, sympy.Expr]]:
    """The composed loss of one example, and every named intermediate as a composed expression."""
    fwd, net = der.forward, der.network
    full: dict[sympy.Symbol, sympy.Expr] = {}
    for layer in range(1, net.L + 1):
        width = net.sizes[layer]
        for j in range(1, width + 1):
            full[fwd.z[(layer, j)]] = fwd.z_def[(layer, j)].xreplace(full)
        zs = [full[fwd.z[(layer, j)]] for j in range(1, width + 1)]
        for j in range(1, width + 1):
            full[fwd.a[(layer, j)]] = activation_value(der, layer, j, zs)
    for layer in range(net.L, 0, -1):
        for j in range(1, net.sizes[layer] + 1):
            full[fwd.delta[(layer, j)]] = der.deltas[(layer, j)].xreplace(full)
    return fwd.loss.xreplace(full), full


def assumption_substitution(der: Derivation) -> dict[sympy.Symbol, sympy.Expr]:
    """Solve each used assumption sum_j y_j = total for the last target."""
    ys = der.forward.y
    out: dict[sympy.Symbol, sympy.Expr] = {}
    for assumption in der.assumptions:
        total_lhs, total_rhs = assumption.relation(ys)
        out[ys[-1]] = total_rhs - (total_lhs - ys[-1])
    return out


def kink_convention(expr: sympy.Expr) -> sympy.Expr:
    """Give SymPy's diff(Max(z, 0)) = Heaviside(z) the registry's convention Heaviside(z, 0).

    NOTE: the two differ only at z = 0, where ReLU has no derivative and a convention is chosen.
    """
    if not expr.has(sympy.Heaviside):
        return expr
    return expr.replace(
        lambda e: isinstance(e, sympy.Heaviside) and e.args[1:] in ((), (sympy.S.Half,)),
        lambda e: sympy.Heaviside(e.args[0], 0),
    )


def is_zero(gap: sympy.Expr) -> bool:
    """Cheap canonical forms first; branches of a piecewise gap are cancelled one by one."""
    if sympy.expand(gap) == 0 or sympy.cancel(gap) == 0:
        return True
    if gap.has(sympy.Piecewise):
        folded = sympy.piecewise_fold(gap)
        if isinstance(folded, sympy.Piecewise):
            return all(sympy.cancel(branch) == 0 for branch, _ in folded.args)
    return sympy.simplify(gap) == 0


def l2_holds(der: Derivation) -> Callable[[sympy.Symbol], bool]:
    """A test that the derivation's L2 gradient of a quantity is the derivative of the L2 term
    lambda/(2m) sum w^2 (0 for biases, inputs and without L2). Only the term w^2 of the
    quantity itself is differentiated: the others do not contain it."""
    fwd, net = der.forward, der.network
    coefficient = net.l2 / (2 * net.examples)

    def holds(symbol: sympy.Symbol) -> bool:
        stated = der.regularisation(symbol) if symbol in der.gradients else sympy.Integer(0)
        if not net.l2 or symbol not in der.gradients or not fwd.regularised(symbol):
            return stated == 0
        return sympy.cancel(sympy.diff(coefficient * symbol**2, symbol) - stated) == 0

    return holds


def prove_composed(der: Derivation, quantities, time_limit: float) -> dict[str, str]:
    """Names proved by the composed-loss method, each with how; per example (the m copies of a
    mean follow by linearity), then the L2 term separately."""
    loss, full = composed(der)
    fix = assumption_substitution(der)
    l2 = l2_holds(der)
    proved = {}
    for name, symbol, backprop in quantities:
        try:
            with limits.time_limit(time_limit):
                direct = sympy.diff(loss, symbol)
                at_kinks = kink_convention(direct)
                gap = (at_kinks - backprop.xreplace(full)).xreplace(fix)
                if not is_zero(gap) or not l2(symbol):
                    continue
        except limits.TimeUp:
            continue
        how = COMPOSED_DETAIL + (KINK_NOTE if at_kinks != direct else "")
        if der.network.examples > 1 or der.network.l2:
            how += LINEARITY_NOTE
        proved[name] = how
    return proved
