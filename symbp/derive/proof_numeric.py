"""The proof report's numeric method, and its 60-digit evaluation.

:func:`agree_numerically`: at several random points, in 60-digit arithmetic, the backprop form
is compared with a central difference of the composed objective (step 1e-25, truncation error
~1e-50). This is evidence, not a proof, and the report says so.

:class:`Composed` evaluates the composed loss from the forward equations only (never a
derivative), unit by unit, so that moving one parameter recomputes just its unit and the layers
after it. :class:`Backprop` evaluates the backprop form (deltas, then the chosen gradients) at
the same point. Sums of products of symbols, the shape of every pre-activation and most
gradients, are evaluated as dot products; anything else through ``lambdify(..., "mpmath")``.

>>> import sympy
>>> a, b = sympy.symbols("a b")
>>> with mpmath.workdps(30):
...     print(Evaluator(2 * a * b - a)({a: mpmath.mpf(3), b: mpmath.mpf(5)}))
27.0
"""

from __future__ import annotations

import random

import mpmath
import sympy

from symbp.activations import Elementwise
from symbp.derive.concrete import Derivation


def _monomials(expr: sympy.Expr) -> list[tuple[sympy.Rational, tuple]] | None:
    """(coefficient, symbols) for each term when ``expr`` is a sum of products of symbols."""
    terms = []
    for term in sympy.Add.make_args(expr):
        coefficient, rest = term.as_coeff_Mul()
        factors = sympy.Mul.make_args(rest)
        if not coefficient.is_Rational or not all(isinstance(f, sympy.Symbol) for f in factors):
            return None
        terms.append((coefficient, factors))
    return terms


class Evaluator:
    """A SymPy expression as a function of ``env`` (symbol -> mpf). A sum of products is split
    into its products of two symbols (``w * a``: one ``mpmath.fdot``), its lone symbols and the
    rest, each summed exactly as mpmath sums at the working precision."""

    def __init__(self, expr: sympy.Expr) -> None:
        terms = _monomials(expr)
        self.fn = None
        if terms is None:
            self.args = sorted(expr.free_symbols, key=lambda s: s.name)
            self.fn = sympy.lambdify(self.args, expr, "mpmath")
            return
        self.pairs = [f for c, f in terms if c == 1 and len(f) == 2]
        self.singles = [f[0] for c, f in terms if c == 1 and len(f) == 1]
        self.others = [
            (mpmath.mpf(c.p) / c.q, f) for c, f in terms if c != 1 or len(f) not in (1, 2)
        ]

    def __call__(self, env: dict) -> mpmath.mpf:
        if self.fn is not None:
            return self.fn(*[env[a] for a in self.args])
        total = mpmath.fdot((env[u], env[v]) for u, v in self.pairs)
        if self.singles:
            total += mpmath.fsum(env[s] for s in self.singles)
        if self.others:
            total += mpmath.fsum(c * mpmath.fprod([env[s] for s in f]) for c, f in self.others)
        return total


class Composed:
    """The composed loss C(x, y, parameters), from the forward equations alone."""

    def __init__(self, der: Derivation) -> None:
        fwd, net = der.forward, der.network
        self.fwd, self.net = fwd, net
        self.units: dict[int, list] = {layer: [] for layer in range(1, net.L + 1)}
        self.containing: dict[sympy.Symbol, list] = {}
        for (layer, j), z_def in fwd.z_def.items():
            entry = (j, fwd.z[(layer, j)], Evaluator(z_def))
            self.units[layer].append(entry)
            for symbol in z_def.free_symbols:
                self.containing.setdefault(symbol, []).append((layer, entry))
        self.activations = {}
        for layer in range(1, net.L + 1):
            act = net.activation(layer)
            if isinstance(act, Elementwise):
                t = sympy.Symbol("t", real=True)
                self.activations[layer] = sympy.lambdify(t, act.f(t), "mpmath")
            else:
                zs = [fwd.z[(layer, j)] for j in range(1, net.sizes[layer] + 1)]
                values = [fwd.a_def[(layer, j)] for j in range(1, net.sizes[layer] + 1)]
                self.activations[layer] = sympy.lambdify(zs, values, "mpmath", cse=True)
        self.loss_args = [*fwd.previous(net.L), *fwd.y]
        self.loss_fn = sympy.lambdify(self.loss_args, fwd.loss, "mpmath")

    def _activate(self, env: dict, layer: int, units: list) -> None:
        fwd, fn = self.fwd, self.activations[layer]
        if isinstance(self.net.activation(layer), Elementwise):
            for j, z, _ in units:
                env[fwd.a[(layer, j)]] = fn(env[z])
            return
        width = self.net.sizes[layer]
        values = fn(*[env[fwd.z[(layer, j)]] for j in range(1, width + 1)])
        for j, value in enumerate(values, start=1):
            env[fwd.a[(layer, j)]] = value

    def loss(self, env: dict, moved: sympy.Symbol | None = None) -> mpmath.mpf:
        """C at ``env`` (filled in place); with ``moved``, ``env`` already holds every value
        upstream of the units containing ``moved``, which alone are recomputed in their layer."""
        start, only = 1, None
        if moved is not None and moved in self.containing:
            start = min(layer for layer, _ in self.containing[moved])
            only = [entry for layer, entry in self.containing[moved] if layer == start]
        for layer in range(start, self.net.L + 1):
            units = only if layer == start and only else self.units[layer]
            for _, z, evaluate in units:
                env[z] = evaluate(env)
            self._activate(env, layer, units)
        return self.loss_fn(*[env[s] for s in self.loss_args])


class Backprop:
    """The deltas (in the derivation's order) and the chosen gradients at a point."""

    def __init__(self, der: Derivation, outputs: list[sympy.Expr]) -> None:
        fwd = der.forward
        self.deltas = [
            (s, Evaluator(v)) for s, v in der.definitions() if s in set(fwd.delta.values())
        ]
        self.outputs = [Evaluator(o) for o in outputs]

    def __call__(self, env: dict) -> list[mpmath.mpf]:
        """Values of the outputs; ``env`` holds the forward pass (from :class:`Composed`)."""
        values = dict(env)
        for symbol, evaluate in self.deltas:
            values[symbol] = evaluate(values)
        return [evaluate(values) for evaluate in self.outputs]


DIGITS = 60
STEP = mpmath.mpf("1e-25")
TOLERANCE = mpmath.mpf("1e-30")


def _random_targets(der: Derivation, rng: random.Random) -> list[mpmath.mpf]:
    ys = [mpmath.mpf(rng.uniform(0.05, 1.0)) for _ in der.forward.y]
    if der.assumptions:
        total = sum(ys)
        ys = [y / total for y in ys]
    elif der.network.loss.needs_range is None:
        ys = [2 * y - 1 for y in ys]
    return ys


def agree_numerically(der: Derivation, quantities, points: int, seed: int) -> dict[str, tuple]:
    """name -> (agreed within 1e-30 at every point, the worst relative gap) for each
    (name, symbol, backprop form) in ``quantities``."""
    fwd, net = der.forward, der.network
    m = net.examples
    backprop = Backprop(der, [q[2] for q in quantities])
    composed = Composed(der)
    params = list(fwd.parameters)
    worst = {q[0]: mpmath.mpf(0) for q in quantities}
    ok = {q[0]: True for q in quantities}
    rng = random.Random(seed)
    with mpmath.workdps(DIGITS):
        for _ in range(points):
            theta = {p: mpmath.mpf(rng.uniform(-1, 1)) for p in params}
            bases = []
            for _t in range(m):
                env = dict(theta)
                env.update({x: mpmath.mpf(rng.uniform(-1, 1)) for x in fwd.x})
                env.update(zip(fwd.y, _random_targets(der, rng), strict=True))
                composed.loss(env)
                bases.append(env)
            forms = [backprop(env) for env in bases]

            def shifted(symbol, step, bases=bases, theta=theta):
                """The objective J with ``symbol`` moved by ``step`` (in every example)."""
                total = mpmath.mpf(0)
                for base in bases:
                    env = dict(base)
                    env[symbol] = base[symbol] + step
                    total += composed.loss(env, moved=symbol)
                reg = 0
                if symbol in theta and fwd.regularised(symbol):
                    reg = net.l2 / (2 * m) * ((theta[symbol] + step) ** 2 - theta[symbol] ** 2)
                return total / m + reg

            for i, (name, symbol, _) in enumerate(quantities):
                form = sum(f[i] for f in forms) / m
                if symbol in theta and fwd.regularised(symbol):
                    form += net.l2 / m * theta[symbol]
                # an input moves in every example at once: the sum over t of dJ/dx_k^(t)
                direct = (shifted(symbol, STEP) - shifted(symbol, -STEP)) / (2 * STEP)
                error = abs(direct - form) / max(abs(direct), abs(form), mpmath.mpf(1))
                worst[name] = max(worst[name], error)
                ok[name] = ok[name] and error < TOLERANCE
    return {name: (ok[name], worst[name]) for name in worst}
