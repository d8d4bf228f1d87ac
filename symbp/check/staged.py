"""Check a staged derivation of batch norm's (or layer norm's) backward pass.

Students derive batch norm the way Ioffe and Szegedy's paper does: the gradient of x_hat, then of
the variance, of the mean, then of x, each a sum over the m examples::

    dC/dx_hat_i = dC/dy_i gamma
    dC/dsigma^2 = sum_i dC/dx_hat_i (x_i - mu) (-1/2) (sigma^2 + eps)^(-3/2)
    dC/dmu      = sum_i dC/dx_hat_i (-1 / sqrt(sigma^2 + eps)) + dC/dsigma^2 sum_i -2 (x_i - mu) / m
    dC/dx_i     = dC/dx_hat_i / sqrt(sigma^2 + eps) + dC/dsigma^2 2 (x_i - mu) / m + dC/dmu / m

The truth is derived here, not typed: the layer's own forward equations
(:meth:`symbp.layers.norm.BatchNorm.equations` on one feature of m examples) are a graph of
defined quantities (mu, var, sigma, x_hat, y), and the gradient of each is the chain rule over
the quantities that read it, dC/du = sum_c dC/dc * dc/du, with each local derivative taken by
SymPy. A step's two sides are built over that graph (every dC/du replaced by its derived value)
and proved equal exactly modulo the layer's definitions by :class:`DefinitionsProver` (the
compact-form prover of compile), at m = 3 and m = 4. A refuted step gets the index and values
where it fails, and a hint when it is the truth with one path of the chain rule left out (the
usual mistake: forgetting that the mean and the variance depend on x), with a sign error, or
with the exponent of (sigma^2 + eps) one off.

Names read: ``x_i``, ``\\hat{x}_i``, ``y_i``, ``\\mu`` (``\\mu_B``), ``\\sigma^2`` (``\\sigma_B^2``,
the variance), ``\\sigma`` (sqrt(var + eps)), ``\\gamma``, ``\\beta``, ``\\epsilon``
(``\\varepsilon``), ``m`` (the batch; ``n``, ``N``, ``H`` or ``d`` for layer norm's features) and
``\\frac{\\partial C}{\\partial ...}`` with C, L, J, E or ``\\ell``. Sums without limits run over
i = 1..m; a sum from 0 makes the step's indices 0-based.
"""

from __future__ import annotations

import random

import numpy as np
import sympy

from symbp.check.index_reader import arithmetic, read_index_side
from symbp.check.split import Step
from symbp.check.staged_terms import ancestors_of, iverson_value, local_derivative, unrolled_sum
from symbp.check.tokens import Unreadable
from symbp.check.verdict import Verdict
from symbp.derive.algebraic import DefinitionsProver
from symbp.layers.base import Equations, LayerData
from symbp.layers.norm import EPS

_COSTS = ("C", "L", "J", "E", "ell")
_SIZES = {"batchnorm": ("m",), "layernorm": ("m", "n", "N", "H", "d")}
_PLAIN = frozenset({"sigma"})
_SCALARS = ("mu", "sigma")


class _Graph:
    """One norm layer on ``m`` values: its defined quantities and their derived gradients."""

    def __init__(self, layer, m: int) -> None:
        self.m, eq = m, Equations()
        batch = layer.kind == "batchnorm"  # a residual(layernorm): a = x + y over features
        x = eq.inputs("x", (m, 1) if batch else (m,))
        data = LayerData(position=1, layer=layer, input_shape=x.shape)
        layer.equations(eq, data, x)
        flat = {k: np.asarray(v).reshape(-1) for k, v in data.arrays.items()}
        self.x, self.xhat, self.y = flat["x"], flat["xhat"], flat.get("f", flat["a"])
        self.a = flat["a"] if "f" in flat else None  # the residual's output, read from above
        self.mu, self.var, self.sigma = flat["mu"][0], flat["var"][0], flat["sigma"][0]
        self.gammas = np.asarray(data.parameters["gamma1"]).reshape(-1)
        self.betas = np.asarray(data.parameters["beta1"]).reshape(-1)
        self.gamma, self.beta = self.gammas[0], self.betas[0]
        self.per_feature = not batch  # layer norm: gamma_i, beta_i over the features read
        self.definitions = eq.definitions
        self.defined = dict(eq.definitions)
        self.ancestors = ancestors_of(self.defined)
        given = "da" if self.a is not None else "dy"  # the gradient given from above
        self.dy = [sympy.Symbol(f"{given}[{i}]", real=True) for i in range(m)]
        self.grads = self._chain_rule()

    def _chain_rule(self) -> dict[sympy.Symbol, sympy.Expr]:
        """dC/du for every quantity u, from dC/dy given, in reverse order of definition."""
        grads = dict(zip(self.y if self.a is None else self.a, self.dy, strict=True))
        readers: dict[sympy.Symbol, list] = {}
        for c, value in self.definitions:
            for u in value.free_symbols:
                readers.setdefault(u, []).append((c, value))
        order = [*self.x, *self.gammas, *self.betas, *(c for c, _ in self.definitions)]
        for u in reversed(order):
            if u in grads:
                continue
            grads[u] = sympy.Add(*[grads[c] * sympy.diff(v, u) for c, v in readers.get(u, [])])
        self.paths = readers
        return grads

    def written_out(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` in the layer's input, parameters and dC/dy only (every quantity replaced by
        its definition, latest first)."""
        for s, value in reversed(self.definitions):
            expr = expr.xreplace({s: value})
        return expr

    def without(self, u: sympy.Symbol, roles: tuple[str, ...]) -> sympy.Expr:
        """dC/du with the paths through the quantities of ``roles`` (their names) left out."""
        kept = [(c, v) for c, v in self.paths.get(u, []) if not str(c).startswith(roles)]
        return sympy.Add(*[self.grads[c] * sympy.diff(v, u) for c, v in kept])


class _Build:
    """A read tree -> SymPy over a graph, at the step's free index values."""

    def __init__(self, graph: _Graph, sizes: tuple[str, ...], base: int) -> None:
        self.g, self.sizes, self.base = graph, sizes, base
        self.at: dict[str, int] = {}

    def entry(self, array, tree) -> sympy.Expr:
        _, name, label, _, indices = tree
        if len(indices) != 1:
            raise Unreadable(f"unreadable: {name} takes one index (the example), as {name}_i")
        position = int(self(indices[0])) - self.base
        if not 0 <= position < len(array):
            return sympy.Integer(0)
        return array[position]

    def quantity(self, tree) -> sympy.Expr:
        """The quantity an atom names (with its power, read as a superscript)."""
        _, name, label, _, indices = tree
        g = self.g
        if name in _SCALARS and indices:  # \mu_B, \sigma_B^2: the batch's, not an index
            indices = ()
        if name in ("gamma", "beta") and g.per_feature:  # layer norm: one per feature
            if not indices:
                raise Unreadable(f"unreadable: layer norm's {name} is one per feature: \\{name}_i")
            array = g.gammas if name == "gamma" else g.betas
            return self.entry(array, tree)
        arrays = {"x": g.x, "hat_x": g.xhat, "y": g.y, **({"a": g.a} if g.a is not None else {})}
        if name in arrays:
            if name == "a" and label:  # a^{2}_c: another layer's, not the residual's a_i
                raise Unreadable(f"unreadable: a^{label} is not the norm layer's output a_i")
            value = self.entry(arrays[name], tree)
        elif name == "sigma":
            if label not in ("", "2"):
                raise Unreadable(f"unreadable: sigma^{label}: write sigma^2 for the variance")
            return g.var if label == "2" else g.sigma
        elif name in self.at or name in self.sizes:
            value = sympy.Integer(self.at[name] if name in self.at else g.m)
        else:
            scalars = {"mu": g.mu, "gamma": g.gamma, "beta": g.beta, "epsilon": EPS,
                       "varepsilon": EPS}  # fmt: skip
            if name not in scalars:
                raise Unreadable(f"unreadable: {name} is not a quantity of the norm layer "
                                 "(x_i, \\hat{x}_i, y_i, \\mu, \\sigma^2, \\gamma, \\beta, "
                                 "\\epsilon)")  # fmt: skip
            value = scalars[name]
        if label:
            if not label.isdigit():
                raise Unreadable(f"unreadable: {name}^{label}")
            value = value ** int(label)
        return value

    def __call__(self, tree) -> sympy.Expr:
        kind = tree[0]
        value = arithmetic(tree, self)
        if value is not None:
            return value
        if kind == "atom":
            return self.quantity(tree)
        if kind == "d":
            return self.derivative(tree)
        if kind == "sum":
            return self.total(tree)
        if kind == "iverson":
            return iverson_value(tree[1], self(tree[2]), self(tree[3]))
        raise Unreadable(f"unreadable: {kind} is not read in a norm layer's staged derivation")

    def derivative(self, tree) -> sympy.Expr:
        top, bottom = tree[1], tree[2]
        if bottom[0] != "atom" or top[0] != "atom":
            raise Unreadable("unreadable: a derivative of one quantity by another is read")
        if top[1] not in _COSTS or top[4]:  # dy_j/dx_hat_i: of y's own definition
            g = self.g
            return local_derivative(g.defined, g.ancestors, self.quantity(top),
                                    self.quantity(bottom))  # fmt: skip
        u = self.quantity(bottom)
        if u not in self.g.grads:
            return sympy.Integer(0)  # an entry past the batch
        return self.g.grads[u]

    def total(self, tree) -> sympy.Expr:
        parts = []
        for name, low, high in tree[1]:
            first = int(self(low)) if low is not None else self.base
            last = int(self(high)) if high is not None else self.g.m - 1 + self.base
            parts.append((name, first, last))
        return self._sum(parts, tree[2])

    def _sum(self, parts, body) -> sympy.Expr:
        return unrolled_sum(self, self.at, parts, body)


def _free(tree, bound=frozenset()) -> set[str]:
    """Index names used bare in a subscript and not bound by a sum."""
    if not isinstance(tree, tuple) or not tree:
        return set()
    if tree[0] == "atom":
        found = set()
        for index in tree[4] if tree[1] not in _SCALARS else ():
            if index[0] == "atom" and not index[4] and index[1] not in bound:
                found.add(index[1])
            found |= _free(index, bound)
        return found
    if tree[0] == "sum":
        inner = bound | {name for name, _, _ in tree[1]}
        return _free(tree[2], inner)
    found = set()
    for part in tree[1:]:
        items = part if isinstance(part, tuple) and part and isinstance(part[0], tuple) else (part,)
        for item in items:
            found |= _free(item, bound)
    return found


def _zero_based(trees) -> bool:
    def lows(t):
        if not isinstance(t, tuple) or not t:
            return []
        found = [low for _, low, _ in t[1] if low is not None] if t[0] == "sum" else []
        for part in t[1:]:
            found += lows(part) if isinstance(part, tuple) else []
        return found

    return any(low == ("num", "0") for tree in trees for low in lows(tree))


def _shown(s: sympy.Symbol) -> str:
    """x[2,0] -> x_3, dy[2] -> dC/dy_3 (examples counted from 1, as the sums are)."""
    name, index = s.name.rstrip("]").split("[")
    number = int(index.split(",")[0]) + 1
    return f"x_{number}" if name == "x" else f"dC/d{name[1:]}_{number}"


def _point(symbols, seed: int) -> dict:
    rng = random.Random(seed)
    return {s: sympy.Rational(rng.randint(-19, 19), 10) for s in sorted(symbols, key=str)}


class StagedChecker:
    """The staged checker of the first batch norm or layer norm of a layered network."""

    def __init__(self, layer) -> None:
        self.layer, self.graphs = layer, [_Graph(layer, m) for m in (3, 4)]
        self.sizes = _SIZES[_kind(layer)]

    def check(self, step: Step) -> Verdict:
        try:
            trees = [read_index_side(step.left.text, _PLAIN),
                     read_index_side(step.right.text, _PLAIN)]  # fmt: skip
            if step.relation.strip() != "=":
                return Verdict(step.source, step.line, "unreadable", "only '=' steps are checked")
            return self._judge(step, trees)
        except Unreadable as why:
            return Verdict(
                step.source, step.line, "unreadable", str(why).removeprefix("unreadable: ")
            )
        except (ZeroDivisionError, ValueError, TypeError) as why:
            return Verdict(step.source, step.line, "unreadable", f"cannot evaluate: {why}")

    def _judge(self, step: Step, trees) -> Verdict:
        free = sorted((_free(trees[0]) | _free(trees[1])) - set(self.sizes))
        if len(free) > 1:
            raise Unreadable(
                f"unreadable: free indices {', '.join(free)}; one (the example) is read"
            )
        base = 0 if _zero_based(trees) else 1
        proved = True
        for graph in self.graphs:
            build = _Build(graph, self.sizes, base)
            values = range(base, graph.m + base) if free else [None]
            for value in values:
                if free:
                    build.at = {free[0]: value}
                left, right = build(trees[0]), build(trees[1])
                equal = self._equal(graph, left, right)
                if equal is False:
                    return self._refuted(step, graph, build, trees, left, right, free, value)
                proved = proved and equal is True
        how = ("proved exactly modulo the layer's definitions of mu, var, sigma and x_hat"
               if proved else "agreed to 20 digits at 2 points (not a proof)")  # fmt: skip
        return Verdict(step.source, step.line, "valid",
                       f"{how}, for every example of batches of m = 3 and m = 4")  # fmt: skip

    def _equal(self, graph: _Graph, left, right) -> bool | str:
        """False when a point refutes the step; True when the prover proves it modulo the
        definitions; "agreed" when the points agree and the prover does not go through (a
        refutation needs a counterexample, never only a failed proof)."""
        gap = graph.written_out(left - right)
        for seed in range(2):  # a value off 0 refutes the step without the prover
            point = _point(gap.free_symbols, seed)
            if abs(complex(sympy.N(gap.xreplace(point), 30))) > 1e-20:
                return False
        internal = {s for s, _ in graph.definitions}
        prover = DefinitionsProver(graph.definitions, internal)
        if prover.equal(np.array([left]), prover.expanded(np.array([right]))):
            return True
        return "agreed"

    def _refuted(self, step, graph, build, trees, left, right, free, value) -> Verdict:
        left, right = graph.written_out(left), graph.written_out(right)
        point = _point(left.free_symbols | right.free_symbols | set(graph.x), 0)
        numbers = [complex(sympy.N(e.xreplace(point), 12)).real for e in (left, right)]
        given = ("x", "dy", "da")  # the input and the gradient from above
        shown = {str(s): str(point[s]) for s in sorted(point, key=str) if s.name.startswith(given)}
        example = {"indices": {free[0]: value} if free else {}, "left": f"{numbers[0]:.6g}",
                   "right": f"{numbers[1]:.6g}", "values": dict(list(shown.items())[:6]),
                   "instance": f"m={graph.m}"}  # fmt: skip
        return Verdict(
            step.source,
            step.line,
            "invalid",
            "",
            example,
            self._hint(graph, build, trees, right, point),
        )

    def _hint(self, graph, build, trees, right, point) -> str | None:
        try:
            of_cost = trees[0][0] == "d" and trees[0][1][:2] in (("atom", c) for c in _COSTS)
            target = trees[0] if of_cost else None  # dC/du, not a local derivative
            u = build.quantity(target[2]) if target is not None else None
        except Unreadable:
            u = None
        if u is None or u not in graph.grads:
            return None
        truth = graph.grads[u]
        named = {"xhat": "x_hat", "var": "the variance", "mu": "the mean", "sigma": "sigma"}
        wrong = []
        for role, what in named.items():
            if any(str(c).startswith(role) for c, _ in graph.paths.get(u, [])):
                wrong.append((f"the path through {what} is missing: {what} depends on this "
                              f"quantity too, so its gradient adds a term (the mean and the "
                              f"variance depend on x)", graph.without(u, (role,))))  # fmt: skip
        if u in set(graph.x):  # through x_hat only: the mean and the variance held fixed
            alone = graph.without(u, ("var", "mu"))
            wrong.append(("the mean and the variance depend on x: dC/dx_i is not "
                          "dC/dx_hat_i / sigma alone", alone))  # fmt: skip
        wrong.append(("sign error", -truth))
        shifted = truth.replace(
            lambda e: isinstance(e, sympy.Pow) and e.exp.is_Rational and e.exp.q == 2,
            lambda e: e.base ** (e.exp + 1),
        )
        wrong.append(("the exponent of (sigma^2 + eps) is off by one: d/dvar (var + eps)^(-1/2) "
                      "= -(1/2) (var + eps)^(-3/2)", shifted))  # fmt: skip
        if graph.gamma not in right.free_symbols and graph.gamma in truth.free_symbols:
            wrong.append(("gamma is missing: dC/dx_hat = dC/dy gamma", truth.subs(graph.gamma, 1)))
        r = complex(sympy.N(right.xreplace(point), 30))
        for why, candidate in wrong:
            try:
                c = complex(sympy.N(graph.written_out(candidate).xreplace(point), 30))
            except TypeError:  # a candidate not a number here: it names nothing
                continue
            if abs(c - r) < 1e-12 * max(1.0, abs(r)):
                return why
        return None


def norm_layer(net):
    """The first batch norm or layer norm of a layered network, or None."""
    return next((layer for layer in net.layers if _kind(layer) in _SIZES), None)


def _kind(layer) -> str:
    """batchnorm, layernorm (a residual(layernorm) too: its norm is a layer norm), or other."""
    inner = getattr(layer, "inner", None)
    return inner.kind if layer.kind == "residual" and inner is not None else layer.kind


__all__ = ["StagedChecker", "norm_layer"]
