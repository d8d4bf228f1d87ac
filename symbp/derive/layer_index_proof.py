"""Prove an index-form step of :mod:`symbp.derive.layer_index` on concrete instances.

For every value of the step's free indices, on every instance (the layer kind with the same k,
stride and padding on small inputs), both sides are mapped to the instance: sizes and indices
substituted, every ``Sum`` unrolled, every array entry replaced by the instance's symbol (0
outside its range: zero padding), ``delta`` and ``dA`` by the symbols of dC/dz and dC/da,
``M`` (max-pooling's first-maximum indicator) by the instance's own indicator, and every
``Derivative`` taken by ``sympy.diff`` of the instance's forward equations: dC/dtheta as the
chain rule over the entries of the layer's output, sum_u dC/du du/dtheta. The step holds when
the difference expands to 0 everywhere; otherwise :class:`StepNotProved`.
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy

from symbp.derive import layer_index as li
from symbp.errors import SymbpError
from symbp.layers.base import Equations, LayerData

_Dq = sympy.Function("Dq")


class StepNotProved(SymbpError):
    """An index-form step that is false on an instance (a bug in the derivation: never printed)."""


class _Instance:
    def __init__(self, form: li.LayerForm, layer, shape: tuple[int, ...]) -> None:
        eq = Equations()
        self.x = eq.inputs("x", shape)
        data = LayerData(form.position, layer, shape)
        layer.equations(eq, data, self.x)
        self.defs = dict(eq.definitions)
        self.arrays = {"x": self.x, "a": data.arrays["a"]}
        if "z" in data.arrays:
            self.arrays["z"] = data.arrays["z"]
        for key, array in data.parameters.items():
            self.arrays[key.rstrip("0123456789")] = array
        self.out = self.arrays["z" if "z" in self.arrays else "a"]
        self.act = layer.activation()
        self._readers: dict | None = None
        self.a_of = {}
        if "z" in self.arrays:
            self.a_of = dict(zip(self.arrays["a"].flat, self.arrays["z"].flat, strict=True))
        dims = len(shape) - 1
        k, stride, padding = li._geometry(layer)
        self.sizes = {li.K: k, li.STRIDE: stride, li.PAD: padding}
        for size, (role, axis) in form.stated.sizes.items():
            self.sizes[size] = (self.x if role == "x" else self.out).shape[axis]
        self.k, self.dims = k, dims
        # a layer that reads its own output (a recurrent state): dC/dh is the gradient through
        # the layers above (the symbols e...) plus the one through the layer's next step
        outputs = set(self.arrays["a"].flat)
        self.recurrent = any(value.free_symbols & outputs for value in self.defs.values())
        self.arrays["h"] = self.arrays["a"]

    def outputs_defined(self, gap: sympy.Expr) -> sympy.Expr:
        """The gap with every activation a = f(z) of the layer written out (an identity such
        as f'(z) = a (1 - a) holds only so), expanded, and simplified if expanding is not enough."""
        if "z" in self.arrays:
            gap = gap.xreplace({s: self.defs[s] for s in self.arrays["a"].flat})
        gap = sympy.expand(gap)
        return gap if gap == 0 else sympy.simplify(gap)

    def entry(self, name: str, idx: tuple[int, ...]) -> sympy.Expr:
        grad = {"delta": "z", "dA": "a", "dH": "a"}
        array = self.arrays[grad.get(name, name)]
        if len(idx) != array.ndim or any(
            not 0 <= i < n for i, n in zip(idx, array.shape, strict=True)
        ):
            return sympy.Integer(0)
        s = array[idx]
        if name == "dA" and self.recurrent:
            return sympy.Symbol(f"e{s.name}", real=True)  # through the layers above only
        return sympy.Symbol(f"d{s.name}", real=True) if name in grad else s

    def first_max(self, idx: tuple[int, ...]) -> sympy.Expr:
        """M[o, i.., p..]: the instance's indicator that this entry is its window's first max."""
        channel, pos, off = idx[0], idx[1 : 1 + self.dims], idx[1 + self.dims :]
        shape = self.arrays["a"].shape
        inside = 0 <= channel < shape[0] and all(
            0 <= i < n for i, n in zip(pos, shape[1:], strict=True)
        )
        if not inside or not all(0 <= q < self.k for q in off):
            return sympy.Integer(0)  # outside the array: 0, as for every array
        window = [
            self.x[(channel, *(i * self.k + q for i, q in zip(pos, o, strict=True)))]
            for o in itertools.product(range(self.k), repeat=self.dims)
        ]
        flat = int(np.ravel_multi_index(off, (self.k,) * self.dims)) if off else 0
        return _first_max(flat, window)

    def derivative(self, num: sympy.Expr, den: sympy.Expr) -> sympy.Expr:
        theta = self.concrete(den)
        if theta == 0:
            return sympy.Integer(0)
        readers = self.readers(theta)
        if num == li.C:  # the chain rule over every entry of the layer that reads theta
            terms = [sympy.Symbol(f"d{u.name}", real=True) * d for u, d in readers.items()]
            if self.recurrent and theta in self.a_of:  # and the layers above, for an output
                terms.append(sympy.Symbol(f"e{theta.name}", real=True))
            return sympy.Add(*terms)
        u = self.concrete(num)
        return readers.get(u, sympy.Integer(0))

    def readers(self, theta: sympy.Symbol) -> dict[sympy.Symbol, sympy.Expr]:
        """du/dtheta for every entry u of the layer whose forward equation reads theta (each
        derivative taken once per instance)."""
        if self._readers is None:
            self._readers = {}
            for u, value in self.defs.items():
                for s in value.free_symbols:
                    self._readers.setdefault(s, {})[u] = self.local(u, s)
        return self._readers.get(theta, {})

    def local(self, u: sympy.Symbol, theta: sympy.Symbol) -> sympy.Expr:
        """du/dtheta: sympy.diff of u's forward equation, except that an activation's
        derivative is the registry's (with its kink convention, relu'(0) = 0)."""
        act = self.act
        if act is not None and act.elementwise and u in self.a_of:
            return act.fprime(theta) if self.a_of[u] == theta else sympy.Integer(0)
        return sympy.diff(self.defs[u], theta)

    def concrete(self, expr: sympy.Expr) -> sympy.Expr:
        def entry(e: sympy.Indexed) -> sympy.Expr:
            idx = tuple(int(i) for i in e.indices)
            if e.base == li.M:
                return self.first_max(idx)
            return self.entry(str(e.base), idx)

        expr = expr.xreplace({d: self.derivative(*d.args) for d in expr.atoms(_Dq)})
        return expr.xreplace({e: entry(e) for e in expr.atoms(sympy.Indexed)})


def _first_max(i: int, window: list[sympy.Expr]) -> sympy.Expr:
    from symbp.layers.pool import FirstMax

    return FirstMax(i, *window)


def _unroll(expr: sympy.Expr) -> sympy.Expr:
    """Every Sum with integer limits written out as an Add (inner sums first)."""
    if isinstance(expr, sympy.Sum):
        body = _unroll(expr.function)
        names = [lim[0] for lim in expr.limits]
        spans = [range(int(lo), int(hi) + 1) for _, lo, hi in expr.limits]
        return sympy.Add(*[
            body.xreplace(dict(zip(names, map(sympy.Integer, vals), strict=True)))
            for vals in itertools.product(*spans)
        ])  # fmt: skip
    if expr.args and not isinstance(expr, (sympy.Indexed, sympy.Symbol)):
        return expr.func(*[_unroll(arg) for arg in expr.args])
    return expr


def side(expr: sympy.Expr, inst: _Instance, values: dict) -> sympy.Expr:
    expr = expr.replace(
        lambda e: isinstance(e, sympy.Derivative),
        lambda e: _Dq(e.expr, e.variables[0]),
    )
    expr = _unroll(expr.xreplace(inst.sizes).xreplace(values))
    return inst.concrete(expr)


_INSTANCES: dict[tuple, _Instance] = {}


def instance_of(form: li.LayerForm, shape: tuple[int, ...]) -> _Instance:
    layer = form.layer.skeleton()
    key = (li._signature(layer), shape)
    if key not in _INSTANCES:
        _INSTANCES[key] = _Instance(form, layer, shape)
    return _INSTANCES[key]


def proved_on(form: li.LayerForm, shapes: list[tuple[int, ...]]) -> str:
    k, stride, padding = li._geometry(form.layer)
    what = " and ".join("x".join(map(str, s)) for s in shapes)
    window = f"k={k}, stride {stride}, padding {padding}; " if hasattr(form.layer, "k") else ""
    plural = "s" * (len(shapes) > 1)
    return f"every entry of {len(shapes)} instance{plural} ({window}input {what}), exactly"


def prove_forward(form: li.LayerForm, shapes: list[tuple[int, ...]]) -> str:
    """The layer's index-form forward equation equals its concrete equations (what the layer
    defines over arrays of symbols) at every entry of the instances; otherwise StepNotProved.
    Every backward step is derived from the index form, so this is what ties it to the layer."""
    lhs, rhs = form.forward
    for shape in shapes:
        inst = instance_of(form, shape)
        for idx in np.ndindex(inst.out.shape):
            values = dict(zip(lhs.indices, map(sympy.Integer, idx), strict=True))
            gap = sympy.expand(side(rhs, inst, values) - inst.defs[inst.out[idx]])
            if gap != 0:
                raise StepNotProved(
                    f"layer {form.position} ({form.layer.spec()}): the index-form forward "
                    f"equation differs from the layer's equations at {idx} on input {shape}: "
                    f"gap {gap}"
                )
    return proved_on(form, shapes)


def prove_step(form: li.LayerForm, step: li.IndexStep, shapes: list[tuple[int, ...]]) -> str:
    """How ``step`` was proved on the instances, or StepNotProved with the first failure."""
    for shape in shapes:
        inst = instance_of(form, shape)
        ranges = form.ranges
        spans = [range(int(ranges[s][0]), int(sympy.sympify(ranges[s][1]).xreplace(inst.sizes)) + 1)
                 for s in step.free]  # fmt: skip
        for vals in itertools.product(*spans):
            values = dict(zip(step.free, map(sympy.Integer, vals), strict=True))
            gap = inst.outputs_defined(side(step.lhs, inst, values) - side(step.rhs, inst, values))
            if gap != 0:
                raise StepNotProved(
                    f"layer {form.position} ({form.layer.spec()}): step '{step.rule}' for "
                    f"{step.quantity} fails at {values} on input {shape}: gap {gap}"
                )
    return proved_on(form, shapes)
