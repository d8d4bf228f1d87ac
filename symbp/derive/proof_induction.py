"""The symbolic proof that scales: the delta recursion proved by induction over the layers.

Write C_l(z^l) for the loss of one example as a function of layer l's pre-activations, every
parameter and target held fixed, and delta^l_j for the derivation's expression. The report's
``induction`` proof establishes, for the network at hand, that delta^l_j = dC_l/dz^l_j for every
unit and that every gradient equals dC/d(parameter), by these checks, each an identity that
SymPy reduces to 0 with the other symbols free:

0. *Layering* (read off the forward equations, not assumed): z^l mentions no network quantity
   but a^{l-1} (x for l = 1) and parameters, a^l only z^l, the loss only a^L and y. So
   C_l(z^l) = C_{l+1}(z^{l+1}(f^l(z^l))), and a parameter reaches C only through the units
   whose pre-activation contains it.
1. *Base*, one check per output unit: delta^L_j = sum_i dC/da^L_i da^L_i/dz^L_j (the chain rule
   through a^L; dC/da^L by sympy.diff of the loss), after the assumptions the derivation used
   (such as sum_j y_j = 1) are substituted.
2. *Step*, one check per hidden unit: delta^l_j = sum_i (sum_k delta^{l+1}_k dz^{l+1}_k/da^l_i)
   da^l_i/dz^l_j as an identity in the symbols delta^{l+1}_k, w and a^l (O(width) terms). With
   the hypothesis delta^{l+1} = dC_{l+1}/dz^{l+1}, the chain rule through a^l makes this
   delta^l_j = dC_l/dz^l_j; a unit counts as proved only when every delta^{l+1}_k it uses is.
3. *Gradients*, one check per parameter or input p: the derivation's dC/dp = sum over the units
   u containing p of delta_u * dz_u/dp (the chain rule through those units, which by 0 are the
   only way p reaches C), and every delta_u it uses is proved.

The units containing a symbol are found by this module's own scan of the forward equations, not
by the derivation's index. The local derivatives: da/dz by sympy.diff of the activation (once
per elementwise activation, at a placeholder t, then instantiated at each z_j); dz/dp and dz/da
of a term ``w * a`` or ``b`` as instances of :func:`monomial_lemma` (the derivative of a product
of distinct symbols), which sympy.diff checks once per number of factors; any other term by
sympy.diff itself. Activations with an output identity (sigmoid' = a(1 - a)) or softmax's
Jacobian a_i (delta_ij - a_j) enter through that identity, proved against SymPy's derivative
of the definition (at the layer's width for softmax); others by sympy.diff of their definition,
with the kink convention stated. Cost: one small identity per unit and per
parameter, instead of a derivative of the composed loss per parameter.

>>> from symbp.model import network
>>> from symbp.derive.concrete import derive
>>> proved = prove_by_induction(derive(network([2, 2, 1], "sigmoid", "sigmoid", "bce")))
>>> sorted(proved.quantities)[:3]
['b1_1', 'b1_2', 'b2_1']
>>> len(proved.quantities), len(proved.deltas)
(11, 3)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import sympy

from symbp.activations import Elementwise
from symbp.algebra import product
from symbp.derive.concrete import Derivation
from symbp.derive.proof_symbolic import (
    KINK_NOTE,
    LINEARITY_NOTE,
    activation_value,
    assumption_substitution,
    is_zero,
    kink_convention,
    l2_holds,
    vector_identity_holds,
)
from symbp.model import Key

Quantity = tuple[str, sympy.Symbol, sympy.Expr]
INDUCTION_DETAIL = (
    "by induction over the layers: every delta it uses is proved equal to dC/dz (the output "
    "deltas by sympy.diff of the loss and the activation's derivative, each hidden one by one "
    "chain-rule identity given the layer above), and the gradient equals sum_u delta_u dz_u/dp "
    "over the units u containing p"
)


@dataclass
class Induction:
    """What :func:`prove_by_induction` established: the quantities and deltas proved, and
    whether SymPy's Heaviside(0) = 1/2 was replaced by a kink convention on the way."""

    quantities: set[str] = field(default_factory=set)
    deltas: set[sympy.Symbol] = field(default_factory=set)
    kink: bool = False

    def detail(self, der: Derivation) -> str:
        how = INDUCTION_DETAIL + (KINK_NOTE if self.kink else "")
        if der.network.examples > 1 or der.network.l2:
            how += LINEARITY_NOTE
        return how


def _layered(der: Derivation) -> bool:
    """Check 0: each layer's equations mention only the layer below, parameters and targets."""
    fwd, net = der.forward, der.network
    parameters = set(fwd.parameters)
    for layer in range(1, net.L + 1):
        below = set(fwd.previous(layer - 1)) | parameters
        own = {fwd.z[(layer, j)] for j in range(1, net.sizes[layer] + 1)}
        for j in range(1, net.sizes[layer] + 1):
            if not fwd.z_def[(layer, j)].free_symbols <= below:
                return False
            if not fwd.a_def[(layer, j)].free_symbols <= own:
                return False
    return fwd.loss.free_symbols <= set(fwd.previous(net.L)) | set(fwd.y)


def _term_index(der: Derivation) -> dict[sympy.Symbol, list[tuple[Key, sympy.Expr]]]:
    """For every symbol in a pre-activation: (unit, each term of that unit containing it)."""
    index: dict[sympy.Symbol, list[tuple[Key, sympy.Expr]]] = defaultdict(list)
    for unit, z_def in der.forward.z_def.items():
        for term in sympy.Add.make_args(z_def):
            for symbol in term.free_symbols:
                index[symbol].append((unit, term))
    return index


@cache
def monomial_lemma(n: int) -> bool:
    """d(s_1 ... s_n)/ds_i = the product of the other s_k, for distinct symbols, every i: the
    lemma every local derivative of a pre-activation is an instance of, checked by sympy.diff.

    >>> monomial_lemma(2)
    True
    """
    s = sympy.symbols(f"s1:{n + 1}", real=True)
    return all(sympy.diff(sympy.Mul(*s), s[i]) == sympy.Mul(*s[:i], *s[i + 1 :]) for i in range(n))


def local_derivative(term: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """d term / d symbol for one term of a pre-activation (``w * a``, ``b``): an instance of
    :func:`monomial_lemma` when the term is a product of distinct symbols, else sympy.diff.

    >>> w, a = sympy.symbols("w2_1_1 a1_1", real=True)
    >>> local_derivative(w * a, w), local_derivative(w * a, sympy.Symbol("b2_1", real=True))
    (a1_1, 0)
    """
    factors = (term,) if type(term) is sympy.Symbol else term.args
    if (
        isinstance(term, (sympy.Symbol, sympy.Mul))
        and all(type(f) is sympy.Symbol for f in factors)
        and len(set(factors)) == len(factors)
        and monomial_lemma(len(factors))
    ):
        if symbol not in factors:
            return sympy.Integer(0)
        others = [f for f in factors if f != symbol]
        if len(others) <= 1:
            return others[0] if others else sympy.Integer(1)
        return sympy.Mul._from_args(others, True)
    return sympy.diff(term, symbol)


def _same(derived: sympy.Expr, chain: sympy.Expr) -> bool:
    """The identity derived = chain: structurally equal, else the gap reduces to 0."""
    return derived == chain or is_zero(derived - chain)


def _differentiate(expr: sympy.Expr, z: sympy.Symbol, result: Induction) -> sympy.Expr:
    """sympy.diff, with the kink convention for SymPy's Heaviside(0) = 1/2 (noted in result)."""
    raw = sympy.diff(expr, z)
    at_kinks = kink_convention(raw)
    result.kink = result.kink or at_kinks != raw
    return at_kinks


def _activation_jacobian(der: Derivation, layer: int, result: Induction) -> dict:
    """(i, j) -> da^layer_i/dz^layer_j, the entries that can be nonzero (z_j appears in a_i).

    Elementwise: sympy.diff of the activation once, at a placeholder t, written with the output
    a where the output identity is proved, then instantiated at each unit. Vector-valued
    (softmax): the Jacobian written with the outputs, proved at this width against sympy.diff of
    the definition; otherwise sympy.diff of each definition."""
    fwd, net = der.forward, der.network
    act, width = net.activation(layer), net.sizes[layer]
    zs = [fwd.z[(layer, j)] for j in range(1, width + 1)]
    if isinstance(act, Elementwise):
        t, a = sympy.Symbol("t", real=True), sympy.Symbol("a", real=True)
        value = activation_value(der, layer, 1, [t] * width)
        template = _differentiate(value, t, result).xreplace({value: a})
        units = range(1, width + 1)
        return {(j, j): template.xreplace({a: fwd.a[(layer, j)], t: zs[j - 1]}) for j in units}
    outputs = fwd.previous(layer)
    proved = vector_identity_holds(act, width)
    jacobian = {}
    for i in range(1, width + 1):
        for j, z in enumerate(zs, start=1):
            if z in fwd.a_def[(layer, i)].free_symbols:
                jacobian[(i, j)] = (
                    act.jacobian_in_outputs(outputs, i - 1, j - 1)
                    if proved
                    else _differentiate(fwd.a_def[(layer, i)], z, result)
                )
    return jacobian


def _prove_output_deltas(der: Derivation, result: Induction, all_deltas: set) -> None:
    """Check 1: delta^L_j = sum_i dC/da^L_i da^L_i/dz^L_j under the assumptions used."""
    fwd, L = der.forward, der.network.L
    jacobian = _activation_jacobian(der, L, result)
    dc_da = {i: sympy.diff(fwd.loss, a_i) for i, a_i in enumerate(fwd.previous(L), start=1)}
    fix = assumption_substitution(der)
    for j in range(1, der.network.sizes[L] + 1):
        direct = sympy.Add(*[dc_da[i] * d_ij for (i, jj), d_ij in jacobian.items() if jj == j])
        derived = der.deltas[(L, j)]
        if not derived.free_symbols & all_deltas and is_zero((direct - derived).xreplace(fix)):
            result.deltas.add(fwd.delta[(L, j)])


def _prove_hidden_deltas(der: Derivation, layer: int, result: Induction, index, all_deltas):
    """Check 2: delta^l_j = sum_i (sum_k delta^{l+1}_k dz^{l+1}_k/da^l_i) da^l_i/dz^l_j, the
    chain rule through a^l, given that every delta^{l+1} it uses is proved."""
    fwd, net = der.forward, der.network
    dc_da = {}
    for i, a_i in enumerate(fwd.previous(layer), start=1):
        terms = [product(fwd.delta[u], local_derivative(t, a_i)) for u, t in index.get(a_i, [])]
        dc_da[i] = sympy.Add(*terms)
    jacobian = _activation_jacobian(der, layer, result)
    for j in range(1, net.sizes[layer] + 1):
        parts = [dc_da[i] * d_ij for (i, jj), d_ij in jacobian.items() if jj == j]
        chain = sympy.Add(*parts)
        derived = der.deltas[(layer, j)]
        used = (derived.free_symbols | chain.free_symbols) & all_deltas
        if used <= result.deltas and _same(derived, chain):
            result.deltas.add(fwd.delta[(layer, j)])


def prove_by_induction(der: Derivation, quantities: Sequence[Quantity] | None = None) -> Induction:
    """Which quantities (default: every parameter and input) checks 0-3 prove."""
    fwd = der.forward
    if quantities is None:
        quantities = [(p.name, p, der.gradients[p]) for p in fwd.parameters]
        quantities += [(x.name, x, der.grad_x[k]) for k, x in enumerate(fwd.x, start=1)]
    result = Induction()
    if not _layered(der):
        return result
    all_deltas = set(fwd.delta.values())
    index = _term_index(der)
    _prove_output_deltas(der, result, all_deltas)
    for layer in range(der.network.L - 1, 0, -1):
        _prove_hidden_deltas(der, layer, result, index, all_deltas)
    l2 = l2_holds(der)
    for name, symbol, derived in quantities:
        terms = [product(fwd.delta[u], local_derivative(t, symbol)) for u, t in index[symbol]]
        chain = terms[0] if len(terms) == 1 else sympy.Add(*terms)
        used = (derived.free_symbols | chain.free_symbols) & all_deltas
        if used <= result.deltas and _same(derived, chain) and l2(symbol):
            result.quantities.add(name)
    return result
