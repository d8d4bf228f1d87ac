"""Backpropagation for a layered network (:class:`~symbp.model.LayeredNetwork`), derived by the
chain rule from the layers' forward equations, one quantity at a time.

For every defined quantity u (``z1[0,2,3]``, ``a2[1,0,0]``, ``h3[4,1]``) a symbol ``du`` stands
for dC/du. The chain rule gives every quantity s read by some definitions

    dC/ds = sum over the definitions u that read s of  dC/du * du/ds,

each local derivative du/ds taken by SymPy on u's own equation (never on the composed loss).
The sum is kept split by the layer that defined u, so that each layer's part (the delta of its
input from the delta of its output) can be recognised as one array operation
(:mod:`symbp.derive.recognise`). The last layer's dC/dz meets the loss directly and is
simplified as for dense networks (softmax with cross-entropy gives a - y).

>>> from symbp.model import layered_network
>>> der = derive_layers(layered_network("1x3", "conv1d(1,2) flatten dense(1,identity)"))
>>> der.delta(der.forward.x[0, 1])
W1[0,0,0]*dz1[0,1] + W1[0,0,1]*dz1[0,0]
>>> der.gradients["W1"][0, 0, 1]
dz1[0,0]*x[0,1] + dz1[0,1]*x[0,2]
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import sympy

from symbp.activations import Elementwise
from symbp.algebra import product
from symbp.derive.concrete import _fprime_at, _output_identity_holds, _shortest, _term_derivatives
from symbp.derive.softmax_rows import row_uses, softmax_rows_of
from symbp.layers.residual import Residual
from symbp.losses import Assumption
from symbp.model import LayeredForward, LayeredNetwork, layered_forward

LOSS = 0
"""The position that stands for the loss in ``contributions`` (layers are 1..L)."""


def grad_symbol(s: sympy.Symbol) -> sympy.Symbol:
    """The symbol ``ds`` standing for dC/ds."""
    return sympy.Symbol(f"d{s.name}", real=True)


@dataclass
class LayeredDerivation:
    """The derived backward pass of one example, as data.

    ``contributions[s][l]`` is layer l's part of dC/ds (in the ``d...`` symbols of the
    quantities layer l defines); ``gradients[key]`` is dC/d(parameter) entry by entry;
    ``network`` is the network asked for, ``forward`` the (possibly smaller) instance derived.
    ``array_form`` is filled by :func:`symbp.derive.recognise.recognise`.
    """

    network: LayeredNetwork
    forward: LayeredForward
    uses: dict[sympy.Symbol, list[tuple[sympy.Symbol, sympy.Expr]]]
    contributions: dict[sympy.Symbol, dict[int, sympy.Expr]] = field(default_factory=dict)
    gradients: dict[str, np.ndarray] = field(default_factory=dict)
    assumptions: list[Assumption] = field(default_factory=list)
    array_form: list = field(default_factory=list)

    def delta(self, s: sympy.Symbol) -> sympy.Expr:
        """dC/ds: the sum of every layer's contribution."""
        return sympy.Add(*self.contributions.get(s, {}).values())

    def part(self, position: int, array: np.ndarray) -> np.ndarray:
        """Layer ``position``'s contribution to dC/d(every entry of array), as an array."""
        out = np.empty(array.shape, dtype=object)
        for idx, s in np.ndenumerate(array):
            out[idx] = self.contributions.get(s, {}).get(position, sympy.Integer(0))
        return out

    def evaluate(self, values: dict[sympy.Symbol, float]) -> dict[str, np.ndarray]:
        """The derived gradients at numbers for x, y and every parameter (for the oracles)."""
        vals = {s: sympy.Float(v, 30) for s, v in values.items()}
        for s, value in self.forward.definitions:
            vals[s] = value.xreplace(vals)
        for s, _ in reversed(self.forward.definitions):
            vals[grad_symbol(s)] = self.delta(s).xreplace(vals)
        return {
            key: np.vectorize(lambda e: float(e.xreplace(vals)))(grads)
            for key, grads in self.gradients.items()
        }


def _local(expr: sympy.Expr, s: sympy.Symbol) -> sympy.Expr:
    return sympy.diff(expr, s)


def _index_uses(fwd: LayeredForward) -> dict[sympy.Symbol, list[tuple[sympy.Symbol, sympy.Expr]]]:
    """For each symbol read by a definition: (the defined u, du/ds), local derivatives only."""
    activation_of: dict[sympy.Symbol, tuple] = {}
    for data in fwd.layers:
        act = data.layer.activation()
        if hasattr(data.layer, "activated"):  # a layer with several activations (lstm gates)
            for act, outs, args in data.layer.activated(data):
                for a, z in zip(outs.flat, args.flat, strict=True):
                    activation_of[a] = (act, z, False)
        elif act is not None and "z" in data.arrays:
            residual = isinstance(data.layer, Residual)
            for a, z in zip(data.arrays["a"].flat, data.arrays["z"].flat, strict=True):
                activation_of[a] = (act, z, residual)
    uses: dict[sympy.Symbol, list[tuple[sympy.Symbol, sympy.Expr]]] = defaultdict(list)
    inner_softmax = softmax_rows_of(fwd.layers)
    for u, expr in fwd.definitions:
        if u in activation_of and isinstance(activation_of[u][0], Elementwise):
            act, z, residual = activation_of[u]
            slope = _fprime_at(act, z)
            if not residual and _output_identity_holds(act):
                slope = act.fprime_in_output(u)
            uses[z].append((u, slope))
            for s in sorted(expr.free_symbols - {z}, key=sympy.default_sort_key):
                uses[s].append((u, _local(expr, s)))
        elif u in activation_of:  # softmax: every a_i reads every z_j
            act, _, _ = activation_of[u]
            data = next(d for d in fwd.layers if u in set(d.arrays["a"].flat))
            rows = list(zip(_rows(data.arrays["a"]), _rows(data.arrays["z"]), strict=True))
            outputs, zs = next((a, z) for a, z in rows if u in a)  # one example's units
            i = outputs.index(u)
            for j, z in enumerate(zs):
                uses[z].append((u, act.jacobian_in_outputs(outputs, i, j)))
        elif u in inner_softmax:  # a softmax inside a layer: its Jacobian in the weights
            for s, local in row_uses(*inner_softmax[u]):
                uses[s].append((u, local))
        else:
            linear = all(
                isinstance(t, sympy.Symbol)
                or (isinstance(t, sympy.Mul) and all(isinstance(f, sympy.Symbol) for f in t.args))
                for t in sympy.Add.make_args(expr)
            )
            if linear:
                for term in sympy.Add.make_args(expr):
                    for s, local in _term_derivatives(term):
                        uses[s].append((u, local))
            else:
                for s in sorted(expr.free_symbols, key=sympy.default_sort_key):
                    uses[s].append((u, _local(expr, s)))
    return dict(uses)


def _output_delta(der: LayeredDerivation) -> None:
    """dC/dz of the last layer from the loss and its activation, simplified (a - y & co)."""
    fwd = der.forward
    last = fwd.layers[-1]
    rows = zip(_rows(last.arrays["a"]), _rows(last.arrays["z"]), _rows(fwd.y), strict=True)
    for outputs, zs, y in rows:  # one example at a time
        _example_output_delta(der, outputs, zs, y)


def _rows(array: np.ndarray) -> list[list[sympy.Symbol]]:
    """An example's units, one list per example (one list unless the arrays are batched)."""
    return [list(row) for row in array.reshape(-1, array.shape[-1])]


def _example_output_delta(der: LayeredDerivation, outputs: list, zs: list, y: list) -> None:
    fwd = der.forward
    last = fwd.layers[-1]
    act = last.layer.activation()
    for j, z in enumerate(zs):
        terms = []
        for i, a in enumerate(outputs):
            slope = act.jacobian_in_outputs(outputs, i, j)
            if slope is None:
                slope = _fprime_at(act, z) if i == j else sympy.Integer(0)
            terms.append(sympy.diff(fwd.loss, a) * slope)
        value = sympy.Add(*terms)
        simple = _shortest(value, sympy.cancel(value), sympy.factor(value))
        for assumption in fwd.network.loss.assumptions:
            total_lhs, total_rhs = assumption.relation(y)
            others = sorted(simple.free_symbols - set(y), key=sympy.default_sort_key)
            used = sympy.cancel(
                sympy.collect(sympy.expand(simple), others).xreplace({total_lhs: total_rhs})
            )
            if sympy.count_ops(used) < sympy.count_ops(simple):
                simple = used
                if assumption not in der.assumptions:
                    der.assumptions.append(assumption)
        der.contributions[z] = {last.position: simple}


def derive_layers(net: LayeredNetwork, instance: LayeredNetwork | None = None) -> LayeredDerivation:
    """Derive every dC/d(quantity) and dC/d(parameter) of ``instance`` (default: ``net``)."""
    fwd = layered_forward(instance or net)
    der = LayeredDerivation(net, fwd, _index_uses(fwd))
    defined_by = fwd.equations.defined_by
    _output_delta(der)
    last_z = set(fwd.layers[-1].arrays["z"].flat)
    readers = [s for s in der.uses if s not in last_z]
    for s in readers:
        parts: dict[int, list[sympy.Expr]] = defaultdict(list)
        for u, local in der.uses[s]:
            parts[defined_by[u]].append(product(grad_symbol(u), local))
        if parts and s not in fwd.parameters:
            der.contributions[s] = {p: sympy.Add(*terms) for p, terms in sorted(parts.items())}
    for key, array in fwd.parameters.items():
        grads = np.empty(array.shape, dtype=object)
        for idx, p in np.ndenumerate(array):
            terms = [product(grad_symbol(u), local) for u, local in der.uses.get(p, [])]
            grads[idx] = sympy.Add(*terms)
        der.gradients[key] = grads
    return der
