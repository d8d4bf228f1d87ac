"""Judge a multi-equation layer's step on its proof instance: numeric points where the layer's
equations hold first (a counterexample refutes the step), then an exact proof.

At a point every input and parameter of the instance gets a random value, every defined entry
its forward equation's value, the layer's output a random gradient dC/da, and every other
entry's gradient dC/du = sum over the entries w that read u of dC/dw dw/du (so the gradients are
those of one cost, C = the output's entries times their gradients). A step holds exactly when
its gap, with independent gradient symbols, cancels (:meth:`_Mapping.closes`), or cancels once
every defined entry is written as its forward equation.

>>> from symbp.derive.layer_index_attention import sequence_form
>>> from symbp.derive.layer_index_multi_proof import Instance
>>> from symbp.layers.pool import MeanPool
>>> form = sequence_form(MeanPool())
>>> probe = Probe(Instance(MeanPool(), (3, 2)), form.stated)
>>> step = form.steps[-1]
>>> i, n = step.free
>>> probe.judge(step.lhs, step.rhs, {i: (0, 2), n: (0, 1)}).proved
True
>>> probe.judge(step.lhs, 2 * step.rhs, {i: (0, 2), n: (0, 1)}).counterexample["indices"]
{'i': 0, 'n': 0}
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import sympy

from symbp.check.tokens import Unreadable
from symbp.derive.layer_index import C
from symbp.derive.layer_index_multi_proof import _Mapping

_TOLERANCE = 1e-9


@dataclass
class Outcome:
    """A step's result on the instance: proved exactly, refuted (a counterexample), or agreed
    at ``points`` points only."""

    proved: bool
    counterexample: dict | None
    points: int


class _Checked(_Mapping):
    """The proof's mapping, refusing du/dtheta where u's forward equation does not read theta's
    array but u depends on theta through other arrays (the derivative of u's own equation is 0
    there, which is not what such a step means)."""

    def __init__(self, stated, inst) -> None:
        super().__init__(stated, inst)
        self.sizes = {size: sympy.Integer(n) for size, n in self.sizes.items()}  # T alone too
        self._above: dict[sympy.Symbol, set] = {}

    def reads(self, num: sympy.Expr, den: sympy.Expr) -> bool:
        """Whether num's forward equation reads den's array (then du/dtheta is the derivative
        of that equation: 0 at an entry it does not read, as at another time step)."""
        if not (isinstance(num, sympy.Indexed) and isinstance(den, sympy.Indexed)):
            return False
        pairs = [rhs for lhs, rhs in self.stated.equations if lhs.base == num.base]
        return any(e.base == den.base for rhs in pairs for e in rhs.atoms(sympy.Indexed))

    def ancestors(self, u: sympy.Symbol) -> set:
        if u not in self._above:
            found: set = set()
            for s in self.inst.defs.get(u, sympy.Integer(0)).free_symbols:
                found |= {s} | self.ancestors(s)
            self._above[u] = found
        return self._above[u]

    def derivative(self, num: sympy.Expr, den: sympy.Expr) -> sympy.Expr:
        if num != C and not self.reads(num, den):
            u, theta = self.concrete(num), self.concrete(den)
            if theta != 0 and theta in self.ancestors(u):
                raise Unreadable(f"unreadable: d{u}/d{theta}: {u}'s forward equation reads "
                                 f"{theta} only through other entries (write the chain rule "
                                 "through them)")  # fmt: skip
        return super().derivative(num, den)


def _grad(u: sympy.Symbol) -> sympy.Symbol:
    return sympy.Symbol(f"d{u.name}", real=True)


class Probe:
    """Points where the instance's equations hold, and the step judged at them."""

    def __init__(self, inst, stated, seeds: tuple[int, ...] = (1, 2)) -> None:
        self.inst, self.mapping = inst, _Checked(stated, inst)
        self.points = [self._point(random.Random(seed)) for seed in seeds]

    def _point(self, rng: random.Random) -> dict:
        defs = self.inst.defs
        given = sorted({s for v in defs.values() for s in v.free_symbols} - set(defs), key=str)
        values = {s: sympy.Float(rng.uniform(-1, 1), 30) for s in given}
        for u, value in defs.items():  # forward order
            values[u] = sympy.sympify(value).xreplace(values).evalf(30)
        grads: dict = {}
        for u in [*reversed(list(defs)), *reversed(given)]:
            readers = self.inst.readers.get(u, [])
            if not readers:
                grads[_grad(u)] = sympy.Float(rng.uniform(-1, 1), 30)
                continue
            total = sum(grads[_grad(w)] * self.mapping.local(w, u) for w in readers)
            grads[_grad(u)] = sympy.sympify(total).xreplace(values).evalf(30)
        return {**values, **grads}

    def judge(self, left, right, spans: dict, limit: int = 200) -> Outcome:
        """Every value of the free indices (``spans``: symbol -> (low, high), sizes allowed),
        at most ``limit`` of them."""
        gaps = []
        for at in self.assignments(spans, limit):
            sl, sr = self.mapping.side(left, at), self.mapping.side(right, at)
            for point in self.points:
                lv, rv = _number(sl, point), _number(sr, point)
                if abs(lv - rv) > _TOLERANCE * (1 + abs(lv) + abs(rv)):
                    return Outcome(False, self._example(at, lv, rv, point), len(self.points))
            gaps.append(sl - sr)
        proved = all(self._closes(gap) for gap in gaps)
        return Outcome(proved, None, len(self.points))

    def assignments(self, spans: dict, limit: int = 200) -> list[dict]:
        """Every value of the free indices (``spans``: symbol -> (low, high), sizes allowed)."""
        sizes = self.mapping.sizes
        free = list(spans)
        ranges = [range(int(sympy.sympify(lo).xreplace(sizes)),
                        int(sympy.sympify(hi).xreplace(sizes)) + 1)
                  for lo, hi in (spans[s] for s in free)]  # fmt: skip
        found = []
        for n, vals in enumerate(itertools.product(*ranges)):
            if n >= limit:
                raise Unreadable(f"unreadable: more than {limit} index values to check")
            found.append(dict(zip(free, map(sympy.Integer, vals), strict=True)))
        return found

    def same(self, right: sympy.Expr, other: sympy.Expr, spans: dict) -> bool:
        """Whether two right sides agree at every value of the free indices (at one point)."""
        point = self.points[0]
        for at in self.assignments(spans):
            a = _number(self.mapping.side(right, at), point)
            b = _number(self.mapping.side(other, at), point)
            if abs(a - b) > _TOLERANCE * (1 + abs(a) + abs(b)):
                return False
        return True

    def _closes(self, gap: sympy.Expr) -> bool:
        if self.mapping.closes(gap):
            return True
        defs = self.inst.defs
        for _ in range(len(defs) + 1):  # every defined entry written out, to a fixed point
            if not gap.free_symbols & defs.keys():
                break
            gap = gap.xreplace(defs)
        return self.mapping.closes(gap)

    def _example(self, at: dict, left: complex, right: complex, point: dict) -> dict:
        shown = [s for s in point if not s.name.startswith("d")][:6]
        return {
            "indices": {str(k): int(v) for k, v in at.items()},
            "left": f"{left.real:.6g}",
            "right": f"{right.real:.6g}",
            "values": {str(s): f"{float(point[s]):.3g}" for s in shown},
            "instance": self.inst.text(),
        }


def _number(expr: sympy.Expr, point: dict) -> complex:
    value = sympy.sympify(expr).xreplace(point).evalf(30)
    try:
        return complex(value)
    except TypeError:
        raise Unreadable(f"unreadable: a side is not a number on the instance ({value})") from None


__all__ = ["Outcome", "Probe"]
