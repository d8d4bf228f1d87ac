"""Every printed step proved as it is made: left side minus right side is 0 in a concrete network.

A step's sides are read by what they mean, never by how they look. Each ``d(X, V)`` is
evaluated: X is written as a function of V's layer (the forward equations above V put in; the
parameters of the layers above stay symbols), SymPy differentiates it by V, and the result is
composed down to x, y and the parameters. A ``delta`` symbol means dC/dz. So a chain-rule step
``dC/dw = sum_j dC/dz_j dz_j/dw`` is checked against SymPy's own derivative of the composed
loss, not against itself.

Activations enter as SymPy functions that carry their derivative (sigmoid' = a(1 - a) where that
identity holds, else the stated f'(z) with its kink convention; softmax's Jacobian
a_i ([i = j] - a_j) at the layer's width, checked against SymPy's derivative first). The gap is
0 by ``expand`` or ``cancel``, or by ``simplify`` once the definitions are put back in;
otherwise the step is false and :class:`StepNotVerified` is raised.

>>> from symbp.model import network
>>> from symbp.derive.concrete import derive
>>> from symbp.derive.steps import Rule, Step, d
>>> der = derive(network([1, 1], "sigmoid", "sigmoid", "mse"))
>>> z, a, w = sympy.symbols("z1_1 a1_1 w1_1_1", real=True)
>>> C = sympy.Symbol("C")
>>> Verifier(der.forward).method(d(C, w), d(C, z) * d(z, w))
'expand'
>>> Verifier(der.forward).method(d(C, w), d(C, a) * a)
Traceback (most recent call last):
...
symbp.derive.verify.StepNotVerified: dC/dw1_1_1 = a1_1*dC/da1_1 is false: ...
"""

from __future__ import annotations

import random
from functools import cache

import sympy

from symbp.activations import Activation, Elementwise
from symbp.derive.concrete import _output_identity_holds
from symbp.derive.proof_symbolic import opaque_vector, vector_identity_holds
from symbp.errors import SymbpError
from symbp.model import Forward

C = sympy.Symbol("C")
D = sympy.Function("D")
"""``D(X, V)``: an unevaluated dX/dV that survives substitution (SymPy's Derivative of a
symbol by another would evaluate to 0 when rebuilt)."""


class StepNotVerified(SymbpError):
    """A derivation step whose two sides are not equal: a bug in symbp, never printed."""


def as_d(expr: sympy.Expr) -> sympy.Expr:
    """Every unevaluated Derivative in ``expr`` as ``D(X, V)``."""
    if isinstance(expr, sympy.Derivative):
        (variable, count), *rest = expr.variable_count
        if rest or count != 1:
            raise StepNotVerified(f"cannot read the derivative {expr}")
        return D(as_d(expr.expr), variable)
    if not expr.args:
        return expr
    return expr.func(*[as_d(arg) for arg in expr.args])


@cache
def _opaque(act: Elementwise) -> type[sympy.Function]:
    """f as a function whose derivative is its output form (proved) or its stated f'(z)."""
    output_form = _output_identity_holds(act)

    def fdiff(self, argindex=1):
        return act.fprime_in_output(self) if output_form else act.fprime(self.args[0])

    return type(f"opaque_{act.name}", (sympy.Function,), {"fdiff": fdiff, "is_real": True})


def _opaque_vector(act: Activation, width: int) -> list[type[sympy.Function]]:
    """a_1..a_n of softmax as functions of z_1..z_n whose partials are its stated Jacobian,
    after that Jacobian is checked against SymPy's derivative of the definition (the proof
    report's own identity-carrying functions)."""
    if not vector_identity_holds(act, width):
        raise StepNotVerified(f"the stated Jacobian of {act.name} is not its derivative")
    return opaque_vector(act, width)


class Verifier:
    """Evaluates the two sides of steps about one concrete network (see the module doc)."""

    def __init__(
        self,
        fwd: Forward,
        fixes: dict[str, dict] | None = None,
        extra: dict[sympy.Symbol, sympy.Expr] | None = None,
    ) -> None:
        self.fwd, net = fwd, fwd.network
        self.fixes = fixes or {}
        self.extra = extra or {}
        """Other named functions of the parameters (the L2 term R), by their definitions."""
        self.level: dict[sympy.Symbol, int] = {x: 0 for x in fwd.x}
        self.defs: list[dict[sympy.Symbol, sympy.Expr]] = [{}]
        self.unfold: dict[sympy.Function, sympy.Expr] = {}
        self.output_form: dict[sympy.Expr, sympy.Expr] = {}
        for layer in range(1, net.L + 1):
            units = range(1, net.sizes[layer] + 1)
            self.defs.append({fwd.z[(layer, j)]: fwd.z_def[(layer, j)] for j in units})
            act, zs = net.activation(layer), [fwd.z[(layer, j)] for j in units]
            if isinstance(act, Elementwise):
                values = [_opaque(act)(z) for z in zs]
                self.unfold[_opaque(act)] = act.f
                if _output_identity_holds(act):  # f'(z) = g(f(z)), proved: f'(z) as g(a)
                    for z in zs:
                        self.output_form[act.fprime(z)] = act.fprime_in_output(_opaque(act)(z))
            else:
                family = _opaque_vector(act, len(zs))
                values = [g(*zs) for g in family]
                for i, g in enumerate(family):
                    self.unfold[g] = lambda *args, i=i, act=act: act(args)[i]
            self.defs.append(dict(zip([fwd.a[(layer, j)] for j in units], values, strict=True)))
            for j in units:
                self.level[fwd.z[(layer, j)]] = 2 * layer - 1
                self.level[fwd.a[(layer, j)]] = 2 * layer
        self.top = 2 * net.L
        self._memo: dict[tuple[sympy.Expr, sympy.Expr], sympy.Expr] = {}
        self.composed = [
            {self.compose(z, 0): z for z in self.defs[2 * layer - 1]}
            for layer in range(1, net.L + 1)
        ]
        self.delta = {v: k for k, v in fwd.delta.items()}

    def compose(self, expr: sympy.Expr, down_to: int = 0) -> sympy.Expr:
        """``expr`` with every z and a above level ``down_to`` replaced by its definition."""
        for lev in range(self.top, down_to, -1):
            expr = expr.xreplace(self.defs[lev])
        return expr

    def derivative(self, num: sympy.Expr, var: sympy.Symbol) -> sympy.Expr:
        if (num, var) not in self._memo:
            self._memo[(num, var)] = self._derivative(num, var)
        return self._memo[(num, var)]

    def _derivative(self, num: sympy.Expr, var: sympy.Symbol) -> sympy.Expr:
        if num in self.extra:
            return sympy.diff(self.extra[num], var)
        if num.is_number:  # Ng's bias unit a_0 = 1
            return sympy.Integer(0)
        cut = self.level.get(var, 0)
        if var in self.delta or (num != C and self.level.get(num, cut + 1) <= cut):
            raise StepNotVerified(f"d{num}/d{var} is not a derivative of the forward pass")
        if num != C and num not in self.level:
            raise StepNotVerified(f"d{num}/d{var} is not a derivative of the forward pass")
        top = self.fwd.loss if num == C else num
        return self.compose(sympy.diff(self.compose(top, cut), var))

    def meaning(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` in x, y and the parameters: derivatives taken, deltas as dC/dz."""
        expr = self._named(as_d(expr))
        derivs = {e: self.derivative(*e.args) for e in expr.atoms(sympy.Function) if e.func == D}
        expr = expr.xreplace(derivs)
        used = [s for s in expr.free_symbols if s in self.delta]
        deltas = {s: self.derivative(C, self.fwd.z[self.delta[s]]) for s in used}
        return self.compose(expr.xreplace(deltas))

    def local(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` as a function of independent pre-activations z (and x, y, parameters):
        derivatives taken through the composed forward pass, then each composed z^l_j written
        as the symbol again; an a is f(z)."""
        expr = self._named(as_d(expr))
        derivs = {e: self._decomposed(*e.args) for e in expr.atoms(sympy.Function) if e.func == D}
        expr = expr.xreplace(derivs)
        used = [s for s in expr.free_symbols if s in self.delta]
        expr = expr.xreplace({s: self._decomposed(C, self.fwd.z[self.delta[s]]) for s in used})
        for lev in range(self.top, 0, -2):
            expr = expr.xreplace(self.defs[lev])
        return expr.xreplace(self.output_form)

    def between(self, before: sympy.Expr, after: sympy.Expr) -> str | None:
        """``before = after`` with every dC/d(anything) (and every delta) taken as an independent
        symbol and only the local derivatives evaluated: 0 there is 0 for every value of those
        symbols, so a line follows from the line before it. None where this does not show it."""
        names: dict[sympy.Expr, sympy.Symbol] = {}

        def generalise(expr: sympy.Expr) -> sympy.Expr:
            expr = self._named(as_d(expr))
            for s in sorted(expr.free_symbols & set(self.delta), key=str):
                expr = expr.xreplace({s: D(C, self.fwd.z[self.delta[s]])})
            local = {}
            for e in expr.atoms(D):
                if e.args[0] == C:
                    local[e] = names.setdefault(e.args[1], sympy.Dummy(f"dC_{e.args[1]}"))
                else:
                    local[e] = self._decomposed(*e.args)
            expr = expr.xreplace(local)
            for lev in range(self.top, 0, -2):
                expr = expr.xreplace(self.defs[lev])
            return expr.xreplace(self.output_form)

        gap = _kink_convention(generalise(before) - generalise(after))
        if sympy.expand(gap) == 0:
            return "expand"
        if sympy.cancel(self._unfold(gap)) == 0:
            return "cancel"
        return None

    def _decomposed(self, num: sympy.Expr, var: sympy.Symbol) -> sympy.Expr:
        key = ("local", num, var)
        if key not in self._memo:
            value = self.derivative(num, var)
            for composed in reversed(self.composed):
                value = value.xreplace(composed)
            self._memo[key] = value
        return self._memo[key]

    def method(self, lhs: sympy.Expr, rhs: sympy.Expr, assumptions: tuple[str, ...] = ()) -> str:
        """How ``lhs = rhs`` was proved (``expand``, ``cancel``, ``simplify``); raises if false.

        First as a function of independent pre-activations (0 there is 0 everywhere), then,
        failing that, fully composed with every activation's definition put in.
        """
        fixes: dict = {}
        for name in assumptions:
            fixes.update(self.fixes.get(name, {}))
        local = _kink_convention((self.local(lhs) - self.local(rhs)).xreplace(fixes))
        if sympy.expand(local) == 0:
            return "expand"
        if sympy.cancel(self._unfold(local)) == 0:
            return "cancel"
        gap = _kink_convention((self.meaning(lhs) - self.meaning(rhs)).xreplace(fixes))
        plain = self._unfold(gap)
        if _refuted(plain):  # a counterexample before the slow simplification
            raise StepNotVerified(f"{_show(lhs)} = {_show(rhs)} is false: the gap {plain} is not 0")
        if _is_zero(plain):
            return "simplify"
        raise StepNotVerified(f"{_show(lhs)} = {_show(rhs)} is false: the gap {plain} is not 0")

    def _named(self, expr: sympy.Expr) -> sympy.Expr:
        """A symbol named like one of the network's is that symbol (a custom activation's
        derivative may build its own ``z1_1`` without the assumption real=True)."""
        if not hasattr(self, "_by_name"):
            self._by_name = {s.name: s for s in self.level}
        odd = {
            s: self._by_name[s.name]
            for s in expr.free_symbols
            if s.name in self._by_name and s != self._by_name[s.name]
        }
        return expr.xreplace(odd) if odd else expr

    def _unfold(self, expr: sympy.Expr) -> sympy.Expr:
        """Every opaque activation replaced by its definition."""
        return expr.replace(
            lambda e: type(e) in self.unfold, lambda e: self.unfold[type(e)](*e.args)
        )


def _show(expr: sympy.Expr) -> str:
    derivs = {e: sympy.Symbol(f"d{e.expr}/d{e.variables[0]}") for e in expr.atoms(sympy.Derivative)}
    return str(expr.xreplace(derivs))


def _refuted(gap: sympy.Expr) -> bool:
    """A seeded point where the gap is plainly not 0 (a counterexample, found before the slow
    simplification is tried)."""
    rng = random.Random(0)
    point = {s: sympy.Rational(rng.randint(-90, 90), 97) for s in sorted(gap.free_symbols, key=str)}
    value = gap.xreplace(point).evalf(30)
    return value.is_number and abs(value) > 1e-12


def _kink_convention(expr: sympy.Expr) -> sympy.Expr:
    # NOTE: SymPy's diff(Max(z, 0)) is Heaviside(z) (1/2 at 0); the stated convention is 0
    return expr.replace(
        lambda e: isinstance(e, sympy.Heaviside) and e.args[1:] in ((), (sympy.S.Half,)),
        lambda e: sympy.Heaviside(e.args[0], 0),
    )


def _is_zero(gap: sympy.Expr) -> bool:
    if sympy.cancel(gap) == 0:
        return True
    if gap.has(sympy.Piecewise):
        folded = sympy.piecewise_fold(gap)
        if isinstance(folded, sympy.Piecewise):
            return all(sympy.simplify(branch) == 0 for branch, _ in folded.args)
    return sympy.simplify(gap) == 0


def assumption_fixes(fwd: Forward) -> dict[str, dict]:
    """Each loss assumption sum_j y_j = total as a substitution for the last target."""
    out = {}
    for assumption in fwd.network.loss.assumptions:
        total_lhs, total_rhs = assumption.relation(fwd.y)
        out[assumption.name] = {fwd.y[-1]: total_rhs - (total_lhs - fwd.y[-1])}
    return out


def verify_steps(fwd: Forward, steps: list) -> list:
    """The steps with ``verified_by`` set, each proved in the concrete network ``fwd``.

    A mean over m examples (``dJ/dp``) is linear in the examples' derivatives; its L2 part is
    checked against SymPy's derivative of lambda/(2m) sum w^2.
    """
    from dataclasses import replace

    from symbp.derive.steps import Rule

    # NOTE: one verifier per forward pass, so its derivatives are taken once per writeup
    verifier = fwd.__dict__.get("_verifier")
    if verifier is None:
        verifier = fwd.__dict__["_verifier"] = Verifier(fwd, assumption_fixes(fwd))
    out: list = []
    for step in steps:
        if step.rule == Rule.MEAN:
            out.append(replace(step, verified_by=_mean_method(fwd, step)))
            continue
        previous = out[-1] if out else None
        if previous is not None and previous.lhs == step.lhs and not step.assumptions:
            how = verifier.between(previous.rhs, step.rhs)
            if how is not None:
                out.append(replace(step, verified_by=f"the line above, rewritten ({how})"))
                continue
        how = verifier.method(step.lhs, step.rhs, step.assumptions)
        out.append(replace(step, verified_by=f"concrete network ({how})"))
    return out


def _mean_method(fwd: Forward, step) -> str:
    net = fwd.network
    p = step.lhs.variables[0]
    m = sympy.Symbol("m", positive=True)
    regularised = [w for w in fwd.parameters if fwd.regularised(w)]
    reg = sympy.diff(net.l2 / (2 * m) * sympy.Add(*[w**2 for w in regularised]), p)
    stated = step.rhs.xreplace({s: 0 for s in step.rhs.atoms(sympy.Sum)})
    if sympy.simplify(stated - reg) != 0:
        raise StepNotVerified(f"the L2 part of {step} is not d/d{p} of the L2 term")
    return "linearity of the derivative over the m examples; the L2 part by sympy.diff"
