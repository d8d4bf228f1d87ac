"""The proof report: every backprop gradient equals the direct derivative of the composed loss.

For each parameter (and each input x_k) one of two methods, named in the report:

- ``symbolic``: ``sympy.diff`` of the fully composed loss minus the backprop form, with every
  named intermediate substituted back, simplifies to 0 (a proof; the assumptions the derivation
  used, such as sum_j y_j = 1, are substituted first and listed). Activations whose derivative
  has an output form (sigmoid' = a(1 - a), tanh' = 1 - a^2) enter the composed loss as SymPy
  functions carrying that identity, which is itself proved against SymPy's derivative of the
  definition; this keeps the expressions small. Softmax enters the same way, as functions whose
  partial derivatives are its Jacobian a_i (delta_ij - a_j), proved at the layer's width. The
  mean over m examples and the L2 term follow by linearity of the derivative; the L2 term's
  derivative is checked separately.
- ``numeric``: at several random points, in 60-digit arithmetic, the backprop form agrees with a
  central difference of the composed objective (step 1e-25, truncation error ~1e-50). This is
  evidence, not a proof, and the report says so.

``method="auto"`` proves symbolically while the network is small and the per-parameter time limit
allows, and falls back to the numeric comparison otherwise.

>>> from symbp.model import network
>>> from symbp.derive.concrete import derive
>>> report = prove(derive(network([1, 1], "sigmoid", "sigmoid", "bce")))
>>> print(report.summary())
3 of 3 quantities proved symbolically, 0 agreed numerically, 0 failed
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache

import mpmath
import sympy

from symbp import limits
from symbp.activations import Activation, Elementwise
from symbp.derive.concrete import Derivation, _output_identity_holds
from symbp.derive.proof_numeric import Backprop, Composed
from symbp.errors import SymbpError

SYMBOLIC_PARAMETER_LIMIT = 100
"""``auto`` tries the symbolic method on networks with at most this many parameters."""
AUTO_SAMPLE_ABOVE = 1000
AUTO_SAMPLE = 300
"""Past AUTO_SAMPLE_ABOVE quantities, ``auto`` checks a seeded sample of AUTO_SAMPLE of them, so
that a large network's report takes seconds, not hours."""

_DIGITS = 60
_STEP = mpmath.mpf("1e-25")
_TOLERANCE = mpmath.mpf("1e-30")


@dataclass(frozen=True)
class ProofLine:
    quantity: str
    method: str
    holds: bool
    detail: str
    max_relative_error: float | None = None


@dataclass
class ProofReport:
    network_description: str
    lines: list[ProofLine] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    total: int = 0
    """How many quantities the network has; more than ``len(lines)`` when only a sample ran."""

    def count(self, method: str, holds: bool = True) -> int:
        return sum(1 for line in self.lines if line.method == method and line.holds == holds)

    @property
    def ok(self) -> bool:
        return all(line.holds for line in self.lines)

    def summary(self) -> str:
        failed = sum(1 for line in self.lines if not line.holds)
        text = (
            f"{self.count('symbolic')} of {len(self.lines)} quantities proved symbolically, "
            f"{self.count('numeric')} agreed numerically, {failed} failed"
        )
        if self.total > len(self.lines):
            text += (
                f" (a seeded random sample of {len(self.lines)} of the network's {self.total:,} "
                "quantities; --proof numeric checks them all)"
            )
        return text

    def __str__(self) -> str:
        out = [f"proof report for {self.network_description}", self.summary()]
        out += [f"assuming {a}" for a in self.assumptions]
        for line in self.lines:
            verdict = "ok  " if line.holds else "FAIL"
            out.append(f"  {verdict} {line.quantity:>12}  {line.method:8}  {line.detail}")
        return "\n".join(out)


class _Objective:
    """The L2 part of the batch objective J = (1/m) sum_t C^(t) + lambda/(2m) sum w^2."""

    def __init__(self, der: Derivation) -> None:
        fwd, net = der.forward, der.network
        self.m = net.examples
        regularised = [p for p in fwd.parameters if fwd.regularised(p)]
        self.l2_term = net.l2 / (2 * self.m) * sympy.Add(*[p**2 for p in regularised])


@cache
def _opaque(act: Elementwise) -> type[sympy.Function]:
    """f as an unevaluated SymPy function whose derivative is the activation's output identity
    (f' = a(1 - a) for sigmoid), so composed expressions stay small. Only used for activations
    whose identity is verified against SymPy's derivative of the definition."""

    def fdiff(self, argindex=1):
        return act.fprime_in_output(self)

    return type(act.name, (sympy.Function,), {"fdiff": fdiff, "is_real": True})


@cache
def _vector_identity_holds(act: Activation, width: int) -> bool:
    """Is the activation's stated Jacobian da_i/dz_j (in its outputs) SymPy's, at this width?"""
    zs = sympy.symbols(f"t1:{width + 1}", real=True)
    outs = act(zs)
    pairs = [(i, j) for i in range(width) for j in range(width)]
    for i, j in pairs:
        stated = act.jacobian_in_outputs(outs, i, j)
        if stated is None or sympy.cancel(sympy.diff(outs[i], zs[j]) - stated) != 0:
            return False
    return True


@cache
def _opaque_vector(act: Activation, width: int) -> list[type[sympy.Function]]:
    """a_1..a_n of a vector activation (softmax) as unevaluated SymPy functions of z_1..z_n whose
    partial derivatives are the activation's Jacobian written with its outputs."""
    family: list[type[sympy.Function]] = []

    def fdiff(self, argindex=1):
        outputs = [member(*self.args) for member in family]
        return act.jacobian_in_outputs(outputs, family.index(type(self)), argindex - 1)

    for i in range(1, width + 1):
        attributes = {"fdiff": fdiff, "is_real": True, "nargs": width}
        family.append(type(f"{act.name}_{i}", (sympy.Function,), attributes))
    return family


def _composed(der: Derivation) -> tuple[sympy.Expr, dict[sympy.Symbol, sympy.Expr]]:
    """The composed loss of one example, and every named intermediate as a composed expression."""
    fwd, net = der.forward, der.network
    full: dict[sympy.Symbol, sympy.Expr] = {}
    for layer in range(1, net.L + 1):
        act = net.activation(layer)
        for j in range(1, net.sizes[layer] + 1):
            full[fwd.z[(layer, j)]] = fwd.z_def[(layer, j)].xreplace(full)
        width = net.sizes[layer]
        zs = [full[fwd.z[(layer, j)]] for j in range(1, width + 1)]
        for j in range(1, width + 1):
            if isinstance(act, Elementwise) and _output_identity_holds(act):
                full[fwd.a[(layer, j)]] = _opaque(act)(zs[j - 1])
            elif not act.elementwise and _vector_identity_holds(act, width):
                full[fwd.a[(layer, j)]] = _opaque_vector(act, width)[j - 1](*zs)
            else:
                full[fwd.a[(layer, j)]] = fwd.a_def[(layer, j)].xreplace(full)
    for layer in range(net.L, 0, -1):
        for j in range(1, net.sizes[layer] + 1):
            full[fwd.delta[(layer, j)]] = der.deltas[(layer, j)].xreplace(full)
    return fwd.loss.xreplace(full), full


def _assumption_substitution(der: Derivation) -> dict[sympy.Symbol, sympy.Expr]:
    """Solve each used assumption sum_j y_j = total for the last target."""
    ys = der.forward.y
    out: dict[sympy.Symbol, sympy.Expr] = {}
    for assumption in der.assumptions:
        total_lhs, total_rhs = assumption.relation(ys)
        out[ys[-1]] = total_rhs - (total_lhs - ys[-1])
    return out


def _kink_convention(expr: sympy.Expr) -> sympy.Expr:
    """Give SymPy's diff(Max(z, 0)) = Heaviside(z) the registry's convention Heaviside(z, 0).

    NOTE: the two differ only at z = 0, where ReLU has no derivative and a convention is chosen.
    """
    return expr.replace(
        lambda e: isinstance(e, sympy.Heaviside) and e.args[1:] in ((), (sympy.S.Half,)),
        lambda e: sympy.Heaviside(e.args[0], 0),
    )


def _is_zero(gap: sympy.Expr) -> bool:
    """Cheap canonical forms first; branches of a piecewise gap are cancelled one by one."""
    if sympy.expand(gap) == 0 or sympy.cancel(gap) == 0:
        return True
    if gap.has(sympy.Piecewise):
        folded = sympy.piecewise_fold(gap)
        if isinstance(folded, sympy.Piecewise):
            return all(sympy.cancel(branch) == 0 for branch, _ in folded.args)
    return sympy.simplify(gap) == 0


def _prove_symbolic(der: Derivation, quantities, time_limit: float) -> dict[str, ProofLine]:
    """Per example (the m copies of a mean follow by linearity), then the L2 term separately."""
    objective = _Objective(der)
    loss, full = _composed(der)
    fix = _assumption_substitution(der)
    lines = {}
    for name, symbol, backprop in quantities:
        try:
            with limits.time_limit(time_limit):
                direct = sympy.diff(loss, symbol)
                at_kinks = _kink_convention(direct)
                gap = (at_kinks - backprop.xreplace(full)).xreplace(fix)
                if not _is_zero(gap):
                    continue
                l2_gap = sympy.diff(objective.l2_term, symbol) - (
                    der.regularisation(symbol) if symbol in der.gradients else 0
                )
                if sympy.simplify(l2_gap) != 0:
                    continue
        except limits.TimeUp:
            continue
        how = "sympy.diff of the composed loss minus the backprop form simplifies to 0"
        if at_kinks != direct:
            how += " (SymPy's Heaviside(0) = 1/2 replaced by the stated kink convention)"
        if objective.m > 1 or der.network.l2:
            how += "; the mean over m examples and the L2 term follow by linearity"
        lines[name] = ProofLine(name, "symbolic", True, how)
    return lines


def _random_targets(der: Derivation, rng: random.Random) -> list[mpmath.mpf]:
    ys = [mpmath.mpf(rng.uniform(0.05, 1.0)) for _ in der.forward.y]
    if der.assumptions:
        total = sum(ys)
        ys = [y / total for y in ys]
    elif der.network.loss.needs_range is None:
        ys = [2 * y - 1 for y in ys]
    return ys


def _prove_numeric(der: Derivation, quantities, points: int, seed: int) -> dict[str, ProofLine]:
    fwd, net = der.forward, der.network
    m = net.examples
    backprop = Backprop(der, [q[2] for q in quantities])
    composed = Composed(der)
    params = list(fwd.parameters)
    worst = {q[0]: mpmath.mpf(0) for q in quantities}
    ok = {q[0]: True for q in quantities}
    rng = random.Random(seed)
    with mpmath.workdps(_DIGITS):
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
                direct = (shifted(symbol, _STEP) - shifted(symbol, -_STEP)) / (2 * _STEP)
                error = abs(direct - form) / max(abs(direct), abs(form), mpmath.mpf(1))
                worst[name] = max(worst[name], error)
                ok[name] = ok[name] and error < _TOLERANCE
    lines = {}
    for name, _, _ in quantities:
        detail = (
            f"agreed at {points} random points with a 60-digit central difference of the "
            f"composed objective (worst relative gap {mpmath.nstr(worst[name], 3)}); not a proof"
        )
        lines[name] = ProofLine(name, "numeric", ok[name], detail, float(worst[name]))
    return lines


def prove(
    der: Derivation,
    method: str = "auto",
    points: int = 3,
    seed: int = 0,
    time_limit: float = 5.0,
    sample: int | None = None,
) -> ProofReport:
    """Compare every parameter's (and input's) backprop gradient with direct differentiation.

    ``sample`` checks a seeded random subset of that many quantities; ``method="auto"`` does so
    by itself (:data:`AUTO_SAMPLE`) past :data:`AUTO_SAMPLE_ABOVE` quantities, and says so.
    """
    if method not in ("auto", "symbolic", "numeric"):
        raise SymbpError(f"unknown proof method {method!r}; known: auto, numeric, symbolic")
    fwd = der.forward
    quantities = [(p.name, p, der.gradients[p]) for p in fwd.parameters]
    quantities += [(x.name, x, der.grad_x[k]) for k, x in enumerate(fwd.x, start=1)]
    total = len(quantities)
    if sample is None and method == "auto" and total > AUTO_SAMPLE_ABOVE:
        sample = AUTO_SAMPLE
    if sample is not None and sample < total:
        chosen = set(random.Random(seed).sample(range(total), sample))
        quantities = [q for i, q in enumerate(quantities) if i in chosen]
    symbolic: dict[str, ProofLine] = {}
    small = der.network.parameter_count <= SYMBOLIC_PARAMETER_LIMIT
    if method == "symbolic" or (method == "auto" and small):
        symbolic = _prove_symbolic(der, quantities, time_limit)
    rest = [q for q in quantities if q[0] not in symbolic]
    numeric = _prove_numeric(der, rest, points, seed) if rest else {}
    report = ProofReport(der.network.describe(), assumptions=[a.name for a in der.assumptions])
    report.total = total
    report.lines = [symbolic.get(name) or numeric[name] for name, _, _ in quantities]
    return report
