"""What the network says is true: symbols, vectors and matrices by layer, the cost, partial
derivatives of any expression, and random points at which both sides of a step are evaluated.

Layers here are symbp's (input = 0); :mod:`symbp.check.evaluate` converts the notation's labels.
The cost ``C``/``J`` is the per-example loss plus ``lambda/(2m) sum w^2``; a sum over m examples
is read as m copies of the one example symbp derives (so ``1/m sum_t`` of a per-example gradient
is that gradient, and a missing 1/m is off by the factor m).

>>> from symbp.model import network
>>> truth = Truth.of(network([2, 3, 2], "sigmoid", "sigmoid", "mse"))
>>> truth.element("weight", 2, (1, 3))
w2_1_3
>>> truth.partial(truth.cost(), truth.element("bias", 2, (1,)))
delta2_1
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache

import sympy

from symbp.activations import Activation, Elementwise
from symbp.derive.concrete import Derivation, derive
from symbp.model import Network

DIGITS = 30  # significant digits of every value at a test point
PLAIN_RANGES = ((0.1, 0.9), (-0.9, -0.1), (1.1, 2.5))


def _decimal(x: float) -> sympy.Float:
    return sympy.Float(f"{x:.3f}", DIGITS)


class Missing(Exception):
    """The statement names a unit or layer this network does not have (for these index values)."""


@dataclass
class Truth:
    network: Network
    derivation: Derivation
    _delta_full: dict[sympy.Symbol, sympy.Expr] = field(default_factory=dict)
    _points: list[dict[sympy.Symbol, sympy.Expr]] = field(default_factory=list)

    @staticmethod
    def of(net: Network) -> Truth:
        return _truth(net)

    @property
    def forward(self):
        return self.derivation.forward

    def size(self, layer: int) -> int:
        if not 0 <= layer <= self.network.L:
            raise Missing(f"layer {layer}")
        return self.network.sizes[layer]

    def element(self, kind: str, layer: int | None, units: tuple[int, ...]) -> sympy.Expr:
        """One scalar quantity; ``Missing`` if the network has no such unit."""
        fwd, L = self.forward, self.network.L
        if kind in ("input", "target"):
            vec = fwd.x if kind == "input" else fwd.y
            if len(units) != 1 or not 1 <= units[0] <= len(vec):
                raise Missing(kind)
            return vec[units[0] - 1]
        if layer is None or not 0 <= layer <= L:
            raise Missing(f"layer {layer}")
        if kind == "weight":
            if len(units) != 2 or layer == 0:
                raise Missing("weight")
            j, k = units
            if k == 0 and (layer, j) in fwd.biases:
                return fwd.biases[(layer, j)]
            if (layer, j, k) not in fwd.weights:
                raise Missing("weight")
            return fwd.weights[(layer, j, k)]
        if len(units) != 1:
            raise Missing(kind)
        (j,) = units
        if kind == "bias":
            if (layer, j) in fwd.biases:
                return fwd.biases[(layer, j)]
            if (layer, j, 0) in fwd.weights:
                return fwd.weights[(layer, j, 0)]
            raise Missing("bias")
        if kind == "act" and layer == 0:
            return self.element("input", None, (j,))
        table = {"act": fwd.a, "pre": fwd.z, "delta": fwd.delta}[kind]
        if (layer, j) not in table:
            raise Missing(kind)
        return table[(layer, j)]

    def vector(self, kind: str, layer: int | None) -> sympy.ImmutableMatrix:
        if kind in ("input", "target"):
            n = len(self.forward.x if kind == "input" else self.forward.y)
        else:
            n = self.size(layer if layer is not None else -1)
        return sympy.ImmutableMatrix([self.element(kind, layer, (j,)) for j in range(1, n + 1)])

    def matrix(self, layer: int, bias_column: bool = False) -> sympy.ImmutableMatrix:
        """W^l without Ng's bias column (as the CSDN derivation drops it before the delta step),
        or with it as column 0 (``\\Theta^{(l)} (1; a^{(l)})``)."""
        if layer < 1:
            raise Missing("weight layer")
        rows, cols, first = self.size(layer), self.size(layer - 1), 0 if bias_column else 1
        return sympy.ImmutableMatrix(
            rows, cols + 1 - first, lambda j, k: self.element("weight", layer, (j + 1, k + first))
        )

    def cost(self, per_example: bool = False) -> sympy.Expr:
        net, fwd = self.network, self.forward
        if per_example or not net.l2:
            return fwd.loss
        squares = [w**2 for w in fwd.parameters if fwd.regularised(w)]
        return fwd.loss + net.l2 / (2 * net.examples) * sympy.Add(*squares)

    def activation(self, layer: int) -> Activation:
        if not 1 <= layer <= self.network.L:
            raise Missing(f"activation of layer {layer}")
        return self.network.activation(layer)

    # derivatives ------------------------------------------------------------------------------
    def expand_deltas(self, expr: sympy.Expr) -> sympy.Expr:
        """Replace every delta symbol by what the derivation says it is (recursively)."""
        if not self._delta_full:
            der = self.derivation
            for layer in range(self.network.L, 0, -1):
                for j in range(1, self.network.sizes[layer] + 1):
                    value = der.deltas[(layer, j)].xreplace(self._delta_full)
                    self._delta_full[self.forward.delta[(layer, j)]] = value
        return expr.xreplace(self._delta_full)

    def compose_down_to(self, expr: sympy.Expr, layer: int, through_a: bool) -> sympy.Expr:
        """Write ``expr`` with layer-``layer`` quantities: substitute z and a of higher layers
        by their forward equations (and a^layer too when ``through_a``)."""
        fwd, L = self.forward, self.network.L
        expr = self.expand_deltas(expr)
        for m in range(L, layer - 1, -1):
            units = range(1, self.network.sizes[m] + 1)
            if m > layer or through_a:
                expr = expr.xreplace({fwd.a[(m, j)]: fwd.a_def[(m, j)] for j in units})
            if m > layer:
                expr = expr.xreplace({fwd.z[(m, j)]: fwd.z_def[(m, j)] for j in units})
        return expr

    def partial(self, expr: sympy.Expr, wrt: sympy.Expr) -> sympy.Expr:
        """d expr / d wrt, holding the other quantities of wrt's layer fixed."""
        if not isinstance(wrt, sympy.Symbol):
            raise Missing("a derivative with respect to a constant")
        fwd, der = self.forward, self.derivation
        from symbp.notation import parse_name

        try:
            kind, idx = parse_name(wrt.name)
        except Exception:
            return sympy.diff(expr, wrt)
        cost = self.cost()
        if expr in (cost, fwd.loss):
            if kind == "pre":
                return fwd.delta[idx]
            if kind == "act" and idx[0] < self.network.L:
                return sympy.Add(*[fwd.delta[u] * local for u, local in der.uses.get(wrt, [])])
            if kind in ("weight", "bias"):
                reg = der.regularisation(wrt) if expr == cost else 0
                return der.gradients[wrt] + reg
            if kind == "input":
                return der.grad_x[idx[0]]
        if kind in ("weight", "bias", "input"):
            lowest = 1 if kind == "input" else idx[0]
            composed = self.compose_down_to(expr, lowest, True)
            units = range(1, self.network.sizes[lowest] + 1)
            composed = composed.xreplace(
                {fwd.z[(lowest, j)]: fwd.z_def[(lowest, j)] for j in units}
            )
            return sympy.diff(composed, wrt)
        if kind in ("pre", "act"):
            return sympy.diff(self.compose_down_to(expr, idx[0], kind == "pre"), wrt)
        return sympy.diff(self.expand_deltas(expr), wrt)

    # points -------------------------------------------------------------------------------------
    def point(
        self, rng: random.Random, extra: list[sympy.Symbol]
    ) -> dict[sympy.Symbol, sympy.Expr]:
        """Random inputs, targets and parameters (3 decimals), then z, a and delta computed from
        them; ``extra`` plain symbols get values in (0.1, 0.9)."""
        fwd, net = self.forward, self.network
        pick = lambda lo, hi: _decimal(rng.uniform(lo, hi))  # noqa: E731
        values: dict[sympy.Symbol, sympy.Expr] = {s: pick(-1, 1) for s in fwd.x}
        values |= {p: pick(-1, 1) for p in fwd.parameters}
        ys = [pick(0.05, 0.95) for _ in fwd.y]
        if net.loss.assumptions:
            total = sum(ys)
            ys = [(y / total).evalf(DIGITS) for y in ys]
        values |= dict(zip(fwd.y, ys, strict=True))
        values |= {s: pick(0.1, 0.9) for s in extra}
        for layer in range(1, net.L + 1):
            for j in range(1, net.sizes[layer] + 1):
                values[fwd.z[(layer, j)]] = fwd.z_def[(layer, j)].xreplace(values).evalf(DIGITS)
            for j in range(1, net.sizes[layer] + 1):
                values[fwd.a[(layer, j)]] = fwd.a_def[(layer, j)].xreplace(values).evalf(DIGITS)
        for s in self._ordered_deltas():
            values[s] = self.derivation.deltas[_key(s)].xreplace(values).evalf(DIGITS)
        return values

    def points(self, count: int, extra: list[sympy.Symbol]) -> list[dict[sympy.Symbol, sympy.Expr]]:
        """``count`` fixed random points (seeded, the same for every step) plus values for the
        step's own plain symbols: each symbol takes values from PLAIN_RANGES in turn, so an
        identity in a plain letter is tried on both sides of 0 (every kink) and past 1."""
        while len(self._points) < count:
            self._points.append(self.point(random.Random(len(self._points)), []))
        rng = random.Random(" ".join(s.name for s in extra))
        out = []
        for i, p in enumerate(self._points[:count]):
            values = {}
            for k, s in enumerate(extra):
                lo, hi = PLAIN_RANGES[(i + k) % len(PLAIN_RANGES)]
                values[s] = _decimal(rng.uniform(lo, hi))
            out.append(p | values)
        return out

    @lru_cache(maxsize=1)  # noqa: B019 - one Truth per network, cached below
    def _ordered_deltas(self) -> list[sympy.Symbol]:
        net, fwd = self.network, self.forward
        out = []
        for layer in range(net.L, 0, -1):
            out += [fwd.delta[(layer, j)] for j in range(1, net.sizes[layer] + 1)]
        return out

    def __hash__(self) -> int:
        return id(self)


def _key(delta_symbol: sympy.Symbol) -> tuple[int, int]:
    from symbp.notation import parse_name

    return parse_name(delta_symbol.name)[1]


@lru_cache(maxsize=16)
def _truth(net: Network) -> Truth:
    return Truth(net, derive(net))


def is_elementwise(act: Activation) -> bool:
    return isinstance(act, Elementwise)
