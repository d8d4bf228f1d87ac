"""Prove the index-form steps of :mod:`symbp.derive.layer_index_multi` on a concrete instance.

The instance is the layer's own concrete equations (``LayerKind.equations``) on a small input:
for every value of a step's free indices, both sides are mapped to it (sizes and indices put
in, every ``Sum`` unrolled, every array entry replaced by the instance's symbol, 0 outside its
range), a gradient entry dC/dR by its own symbol ``dR...``, and every ``Derivative`` taken by
``sympy.diff`` of the instance's forward equations: dC/dtheta as the chain rule over every
entry whose equation reads theta, sum_u dC/du du/dtheta. The weights of a softmax are then
written out as their definitions (exp(s) over the row's sum), and the difference must
expand, or cancel, to exactly 0 (sqrt(d_k) is SymPy's exact root); otherwise
:class:`symbp.derive.layer_index_proof.StepNotProved`.

>>> from symbp.layers.reshape import Last
>>> inst = Instance(Last(), (3, 2))  # last's output, defined as the last step's entries
>>> [(a, inst.defs[a]) for a in inst.arrays["a"]]
[(a1[0], x[2,0]), (a1[1], x[2,1])]
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy

from symbp.derive.layer_index import C, IndexStep
from symbp.derive.layer_index_multi import MultiForm, Stated, registry_slopes
from symbp.derive.layer_index_proof import StepNotProved, _unroll
from symbp.layers.base import Equations, LayerData

_D = sympy.Function("D")


class Instance:
    """One small concrete layer: its arrays by role, its definitions and who reads what."""

    def __init__(self, layer, shape: tuple[int, ...]) -> None:
        eq = Equations()
        x = eq.inputs("x", shape)
        data = LayerData(1, layer, shape)
        layer.equations(eq, data, x)
        if any(s not in eq.defined_by for s in np.ravel(data.arrays["a"])):
            # a layer whose output is (a view of) its input's entries, as ``last``: the
            # instance defines a as those entries, the equation the index form states
            data.arrays["a"] = eq.define(1, "a", data.arrays["a"])
        self.layer, self.shape, self.act = layer, shape, layer.activation()
        self.defs = dict(eq.definitions)
        self.arrays = {"x": x, **data.arrays}
        for key, array in data.parameters.items():
            self.arrays[key.rstrip("0123456789")] = array
        self.readers: dict[sympy.Symbol, list[sympy.Symbol]] = {}
        for u, value in self.defs.items():
            for s in value.free_symbols:
                self.readers.setdefault(s, []).append(u)
        self.softmax = {}
        for weights, _ in layer.softmax_rows(data):
            self.softmax.update({w: self.defs[w] for w in weights})

    def text(self) -> str:
        return "x".join(map(str, self.shape))


class _Mapping:
    """The sides of a step on one instance (sizes and free index values put in)."""

    def __init__(self, stated: Stated, inst: Instance) -> None:
        self.stated, self.inst = stated, inst
        self.roles = dict(stated.roles)
        self.grads = {g: stated.roles[p] for p, g in stated.gradients.items()}
        self.sizes = {
            size: inst.arrays[role].shape[axis] for size, (role, axis) in stated.sizes.items()
        }

    def entry(self, e: sympy.Indexed) -> sympy.Expr:
        base = e.base
        role = self.grads.get(base, self.roles.get(base))
        array = self.inst.arrays[role]
        idx = tuple(int(i) for i in e.indices)
        if len(idx) != array.ndim or not all(
            0 <= i < n for i, n in zip(idx, array.shape, strict=True)
        ):
            return sympy.Integer(0)
        s = array[idx]
        return sympy.Symbol(f"d{s.name}", real=True) if base in self.grads else s

    def local(self, u: sympy.Symbol, theta: sympy.Symbol) -> sympy.Expr:
        """du/dtheta by sympy.diff of u's equation (an activation's slope the registry's)."""
        return registry_slopes(sympy.diff(self.inst.defs[u], theta), self.inst.act, [theta])

    def derivative(self, num: sympy.Expr, den: sympy.Expr) -> sympy.Expr:
        theta = self.concrete(den)
        if theta == 0:
            return sympy.Integer(0)
        if num == C:
            return sympy.Add(*[
                sympy.Symbol(f"d{u.name}", real=True) * self.local(u, theta)
                for u in self.inst.readers.get(theta, [])
            ])  # fmt: skip
        u = self.concrete(num)
        return self.local(u, theta) if u in self.inst.defs else sympy.Integer(0)

    def concrete(self, expr: sympy.Expr) -> sympy.Expr:
        expr = expr.xreplace({d: self.derivative(*d.args) for d in expr.atoms(_D)})
        return expr.xreplace({e: self.entry(e) for e in expr.atoms(sympy.Indexed)})

    def side(self, expr: sympy.Expr, values: dict) -> sympy.Expr:
        expr = expr.replace(
            lambda e: isinstance(e, sympy.Derivative), lambda e: _D(e.expr, e.variables[0])
        )
        return self.concrete(_unroll(expr.xreplace(self.sizes).xreplace(values)))

    def closes(self, gap: sympy.Expr) -> bool:
        """The gap is 0 with the softmax weights written as their definitions."""
        gap = sympy.expand(gap.xreplace(self.inst.softmax))
        return gap == 0 or sympy.cancel(sympy.together(gap)) == 0


def _values(stated: Stated, mapping: _Mapping, free, expr) -> list[dict]:
    ranges = stated.ranges_of(expr)
    spans = [range(int(lo), int(sympy.sympify(hi).xreplace(mapping.sizes)) + 1)
             for lo, hi in (ranges[s] for s in free)]  # fmt: skip
    return [
        dict(zip(free, map(sympy.Integer, vals), strict=True)) for vals in itertools.product(*spans)
    ]


def proved_on(inst: Instance) -> str:
    return f"every entry of an instance ({inst.layer.spec()} on input {inst.text()}), exactly"


def prove_step(stated: Stated, step: IndexStep, inst: Instance, first: sympy.Expr) -> str:
    """How ``step`` was proved on ``inst``, or StepNotProved with the first failure; ``first``
    is the left side of its block's first step (where its free indices' ranges are read)."""
    mapping = _Mapping(stated, inst)
    for values in _values(stated, mapping, step.free, first):
        gap = mapping.side(step.lhs, values) - mapping.side(step.rhs, values)
        if not mapping.closes(gap):
            raise StepNotProved(
                f"{inst.layer.spec()}: step '{step.rule}' for {step.quantity} fails at "
                f"{values} on input {inst.text()}: gap {sympy.expand(gap)}"
            )
    return proved_on(inst)


def prove_forward(stated: Stated, inst: Instance) -> str:
    """Every index-form forward equation equals the layer's concrete equations at every entry
    of the instance (what ties the derived steps to the layer)."""
    mapping = _Mapping(stated, inst)
    for lhs, rhs in stated.equations:
        free = [s for s in lhs.indices if isinstance(s, sympy.Symbol)]
        for values in _values(stated, mapping, free, lhs):
            entry = mapping.side(lhs, values)
            gap = mapping.side(rhs, values) - inst.defs[entry]
            if not mapping.closes(gap):
                raise StepNotProved(
                    f"{inst.layer.spec()}: the index-form equation of {lhs.base} differs from "
                    f"the layer's equations at {values} on input {inst.text()}"
                )
    return proved_on(inst)


def prove_form(
    layer, stated: Stated, steps: list[IndexStep], shape, instance: type = Instance
) -> MultiForm:
    """The forward equations and every step proved on ``layer`` (a small instance of the
    kind, built by ``instance``) on input ``shape``; StepNotProved at the first that fails."""
    inst = instance(layer, shape)
    form = MultiForm(layer, stated, forward_verified_by=prove_forward(stated, inst))
    first: dict[str, sympy.Expr] = {}
    for s in steps:
        first.setdefault(s.quantity, s.lhs)
    form.steps = [
        IndexStep(s.quantity, s.lhs, s.rhs, s.rule, s.free,
                  prove_step(stated, s, inst, first[s.quantity]))
        for s in steps
    ]  # fmt: skip
    return form
