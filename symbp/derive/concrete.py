"""Backpropagation for a network of fixed sizes, derived by the chain rule, unit by unit.

Every derivative is taken by SymPy on a *local* forward equation (one ``z^l_j`` or one ``a^l``),
never on the composed loss, so the cost grows with the number of parameters. The loss enters
only through ``dC/da^L``.

>>> from symbp.model import network
>>> der = derive(network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
>>> der.deltas[(2, 1)]
a2_1 - y1
>>> der.deltas[(1, 1)]
a1_1*delta2_1*w2_1_1*(1 - a1_1)
>>> der.gradient("w2_1_2")
a1_2*delta2_1
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

import sympy

from symbp import limits
from symbp.activations import Activation, Elementwise
from symbp.algebra import product
from symbp.derive.steps import Rule, Step, d
from symbp.losses import Assumption
from symbp.model import Forward, Key, Network, forward

C = sympy.Symbol("C")


@cache
def _output_identity_holds(activation: Activation) -> bool:
    """Is the activation's stated f'(z) = g(a) identity true? Checked once, symbolically."""
    if not isinstance(activation, Elementwise) or activation.from_output is None:
        return False
    t = sympy.Symbol("t", real=True)
    gap = activation.fprime(t) - activation.fprime_in_output(activation.f(t))
    for point in ("-2.3", "-0.7", "0.4", "1.9"):  # a value off 0 refutes it without simplify
        try:
            value = complex(gap.subs(t, sympy.Float(point, 30)).evalf(30))
        except (TypeError, ValueError):  # not a number there: leave it to simplify
            continue
        if abs(value) > 1e-12:
            return False
    return sympy.simplify(gap) == 0


@dataclass
class Derivation:
    """The derived backward pass of one example, as data.

    ``deltas[(l, j)]`` is delta^l_j written with the names of ``forward`` (delta^{l+1}, w, a,
    y and, where the activation has no output form, z); ``gradients`` maps each parameter to
    dC/dparameter written with delta and a; ``grad_x[k]`` is dC/dx_k. ``uses`` lists, for every
    input, parameter and activation symbol, the units whose pre-activation contains it and the
    local derivative there: the only data the chain rule needs.
    """

    forward: Forward
    deltas: dict[Key, sympy.Expr] = field(default_factory=dict)
    gradients: dict[sympy.Symbol, sympy.Expr] = field(default_factory=dict)
    grad_x: dict[int, sympy.Expr] = field(default_factory=dict)
    uses: dict[sympy.Symbol, list[tuple[Key, sympy.Expr]]] = field(default_factory=dict)
    output_steps: dict[Key, list[Step]] = field(default_factory=dict)
    assumptions: list[Assumption] = field(default_factory=list)
    _composed: sympy.Expr | None = field(default=None, repr=False)

    @property
    def network(self) -> Network:
        return self.forward.network

    def gradient(self, name: str | sympy.Symbol) -> sympy.Expr:
        """dC/d(parameter) of one example, by ASCII name or symbol."""
        key = name if isinstance(name, sympy.Symbol) else sympy.Symbol(name, real=True)
        return self.gradients[key]

    def direct_gradient(self, name: str | sympy.Symbol) -> sympy.Expr:
        """dC/d(parameter or input) by sympy.diff of the fully composed loss: the oracle the
        backprop form is proved against. Its size grows fast with depth and width.

        >>> from symbp.model import network
        >>> der = derive(network([1, 1], "identity", "identity", "mse"))
        >>> der.direct_gradient("w1_1_1")
        x1*(b1_1 + w1_1_1*x1 - y1)
        """
        key = name if isinstance(name, sympy.Symbol) else sympy.Symbol(name, real=True)
        if self._composed is None:
            self._composed = self.forward.composed_loss()
        return sympy.diff(self._composed, key)

    def regularisation(self, parameter: sympy.Symbol) -> sympy.Expr:
        """The L2 term's derivative lambda/m * w (0 for biases and without L2)."""
        net = self.network
        if not net.l2 or not self.forward.regularised(parameter):
            return sympy.Integer(0)
        return net.l2 / net.examples * parameter

    def definitions(self) -> list[tuple[sympy.Symbol, sympy.Expr]]:
        """z and a for layers 1..L, then delta for L..1: each uses only names defined before."""
        fwd, net = self.forward, self.network
        out = []
        for layer in range(1, net.L + 1):
            units = range(1, net.sizes[layer] + 1)
            out += [(fwd.z[(layer, j)], fwd.z_def[(layer, j)]) for j in units]
            out += [(fwd.a[(layer, j)], fwd.a_def[(layer, j)]) for j in units]
        for layer in range(net.L, 0, -1):
            units = range(1, net.sizes[layer] + 1)
            out += [(fwd.delta[(layer, j)], self.deltas[(layer, j)]) for j in units]
        return out

    def steps_for(self, quantity: str | sympy.Symbol) -> list[Step]:
        """Every step from the definition to the result for one delta, gradient or input."""
        from symbp.derive.explain import explain

        return explain(self, quantity)


def _index_uses(fwd: Forward) -> dict[sympy.Symbol, list[tuple[Key, sympy.Expr]]]:
    """For each symbol in a pre-activation: (unit, d z_unit / d symbol), by one pass over terms.

    The derivative of a sum is the sum of the derivatives of the terms that contain the
    variable, so each term is differentiated once, with respect to each symbol it contains.
    """
    uses: dict[sympy.Symbol, list[tuple[Key, sympy.Expr]]] = defaultdict(list)
    for unit, z_def in fwd.z_def.items():
        for term in sympy.Add.make_args(z_def):
            for s, local in _term_derivatives(term):
                uses[s].append((unit, local))
    return dict(uses)


def _term_derivatives(term: sympy.Expr) -> list[tuple[sympy.Symbol, sympy.Expr]]:
    """(symbol, d term / d symbol) for every symbol in one term of a pre-activation.

    Terms are ``w * a``, ``w * x`` or a lone ``b``/``w``: products of distinct symbols, whose
    derivative with respect to one factor is the product of the others (the product rule with
    constant cofactors). Anything else goes to SymPy's diff.
    """
    if isinstance(term, sympy.Symbol):
        return [(term, sympy.Integer(1))]
    factors = term.args
    if isinstance(term, sympy.Mul) and all(isinstance(f, sympy.Symbol) for f in factors):
        if len(set(factors)) == len(factors):
            return [(f, sympy.Mul(*[g for g in factors if g is not f])) for f in factors]
    ordered = sorted(term.free_symbols, key=sympy.default_sort_key)
    return [(s, term.diff(s)) for s in ordered]


def _activation_derivative(
    fwd: Forward, layer: int, i: int, j: int
) -> tuple[sympy.Expr, sympy.Expr | None]:
    """(da^l_i/dz^l_j as SymPy or the activation's kink convention gives it, its output form)."""
    act = fwd.network.activation(layer)
    z_j = fwd.z[(layer, j)]
    if isinstance(act, Elementwise):
        raw = _fprime_at(act, z_j) if i == j else sympy.Integer(0)
    else:
        raw = sympy.diff(fwd.a_def[(layer, i)], z_j)
    outputs = fwd.previous(layer)
    if isinstance(act, Elementwise) and not _output_identity_holds(act):
        return raw, None
    return raw, act.jacobian_in_outputs(outputs, i - 1, j - 1)


@cache
def _fprime_template(act: Elementwise) -> tuple[sympy.Symbol, sympy.Expr]:
    t = sympy.Symbol("t", real=True)
    return t, act.fprime(t)


def _fprime_at(act: Elementwise, z: sympy.Symbol) -> sympy.Expr:
    """f'(z) at a pre-activation symbol: SymPy differentiates once per activation, not per unit."""
    t, template = _fprime_template(act)
    return template.xreplace({t: z})


def _shortest(*candidates: sympy.Expr) -> sympy.Expr:
    return min(candidates, key=lambda e: (sympy.count_ops(e), sympy.default_sort_key(e)))


def _use_assumption(expr: sympy.Expr, assumption: Assumption, fwd: Forward) -> sympy.Expr:
    """Replace every full sum_j y_j by its value after collecting on the other symbols."""
    total_lhs, total_rhs = assumption.relation(fwd.y)
    others = sorted(expr.free_symbols - set(fwd.y), key=sympy.default_sort_key)
    collected = sympy.collect(sympy.expand(expr), others)
    return sympy.cancel(collected.xreplace({total_lhs: total_rhs}))


def _derive_output(der: Derivation) -> None:
    fwd, net = der.forward, der.network
    L, K = net.L, net.sizes[-1]
    act = net.activation(L)
    for j in range(1, K + 1):
        z_j = fwd.z[(L, j)]
        steps = [Step(fwd.delta[(L, j)], d(C, z_j), Rule.DEFINITION)]
        depends = [i for i in range(1, K + 1) if z_j in fwd.a_def[(L, i)].free_symbols]
        chain = sympy.Add(*[d(C, fwd.a[(L, i)]) * d(fwd.a[(L, i)], z_j) for i in depends])
        steps.append(Step(d(C, z_j), chain, Rule.CHAIN_RULE, "a^L = f^L(z^L)"))
        raw_terms, out_terms, identity = [], [], True
        for i in depends:
            dc_da = sympy.diff(fwd.loss, fwd.a[(L, i)])
            raw, in_outputs = _activation_derivative(fwd, L, i, j)
            raw_terms.append(dc_da * raw)
            identity = identity and in_outputs is not None
            out_terms.append(dc_da * (in_outputs if in_outputs is not None else raw))
        source = f"C = {net.loss.name}(a^L, y); a^L = {act.name}(z^L)"
        steps.append(Step(d(C, z_j), sympy.Add(*raw_terms), Rule.LOCAL_DERIVATIVE, source))
        value = sympy.Add(*out_terms)
        if identity and act.name != "identity":
            steps.append(Step(d(C, z_j), value, Rule.OUTPUT_FORM, f"a^L = {act.name}(z^L)"))
        simple = _shortest(value, sympy.cancel(value), sympy.factor(value))
        if simple != value:
            steps.append(Step(d(C, z_j), simple, Rule.SIMPLIFY))
        for assumption in net.loss.assumptions:
            used = _use_assumption(simple, assumption, fwd)
            if sympy.count_ops(used) < sympy.count_ops(simple):
                simple = used
                steps.append(Step(d(C, z_j), simple, Rule.ASSUMPTION, "", (assumption.name,)))
                if assumption not in der.assumptions:
                    der.assumptions.append(assumption)
        der.deltas[(L, j)] = simple
        der.output_steps[(L, j)] = steps


def _dc_da(der: Derivation, a_symbol: sympy.Symbol) -> sympy.Expr:
    """dC/da = sum over the next layer's units of delta * dz/da (chain rule through z)."""
    fwd = der.forward
    return sympy.Add(*[product(fwd.delta[u], local) for u, local in der.uses.get(a_symbol, [])])


def _derive_hidden(der: Derivation, layer: int) -> None:
    fwd = der.forward
    n = der.network.sizes[layer]
    dc_da = {i: _dc_da(der, fwd.a[(layer, i)]) for i in range(1, n + 1)}
    for j in range(1, n + 1):
        z_j = fwd.z[(layer, j)]
        terms = []
        for i in range(1, n + 1):
            if z_j not in fwd.a_def[(layer, i)].free_symbols:
                continue
            raw, in_outputs = _activation_derivative(fwd, layer, i, j)
            terms.append(sympy.Mul(dc_da[i], in_outputs if in_outputs is not None else raw))
        der.deltas[(layer, j)] = sympy.Add(*terms)


def _derive_gradients(der: Derivation) -> None:
    fwd = der.forward
    for p in fwd.parameters:
        der.gradients[p] = sympy.Add(*[product(fwd.delta[u], local) for u, local in der.uses[p]])
    for k, x_k in enumerate(fwd.x, start=1):
        der.grad_x[k] = _dc_da(der, x_k)


def derive(net: Network, *, force: bool = False) -> Derivation:
    """Derive every delta and every parameter's gradient of ``net`` by the chain rule
    (networks past :data:`symbp.limits.MAX_SYMBOLIC_PARAMETERS` only with ``force``)."""
    sizes = "-".join(map(str, net.sizes))
    limits.check_symbolic_parameters(sizes, net.parameter_count, force)
    fwd = forward(net)
    der = Derivation(fwd, uses=_index_uses(fwd))
    _derive_output(der)
    for layer in range(net.L - 1, 0, -1):
        _derive_hidden(der, layer)
    _derive_gradients(der)
    return der
