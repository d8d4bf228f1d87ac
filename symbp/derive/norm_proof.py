"""Proofs of the norm layers' index-form steps (:mod:`symbp.derive.norm_steps`) on concrete
sizes: what makes every printed step of their writeups a proved one.

For m = 2, 3 and 4 (examples of a batch, or features of layer norm) the layer's *own* forward
equations (:meth:`symbp.layers.norm.BatchNorm.equations`, ``LayerNorm.equations``, or those of
a layer around a layer norm, ``Residual(LayerNorm()).equations``) are written
on one feature of m examples (or one example of m features): symbols x, mu, var, sigma, x_hat
and y, each defined by the layer. Their gradients are the chain rule over those concrete
definitions, dC/du = sum over the quantities c that read u of dC/dc dc/du, each dc/du by
``sympy.diff``, with dC/dy given as symbols. A step ``lhs = rhs`` at index value i is then
instantiated (m and i substituted, sums written out, every Grad(u) the concrete gradient of u,
every Partial(c, u) ``sympy.diff`` of c's concrete definition) and proved two ways:

- exactly, modulo the layer's definitions (:class:`symbp.derive.algebraic.DefinitionsProver`:
  mu, var and x_hat substituted, sigma an algebraic atom with sigma^2 = var + eps);
- numerically, at random values of x, gamma, beta and dC/dy (every definition substituted).

>>> from symbp.derive.norm_steps import Grad, SIZES, derive_norm, x_hat, i
>>> form = derive_norm("batchnorm")
>>> prove_step(form, form.steps_for("x_hat")[-1]).split(" (")[0]
'exactly modulo the definitions of the mean, the variance, sigma and the normalised input'
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import sympy

from symbp.derive.algebraic import DefinitionsProver
from symbp.derive.norm_steps import (
    LAYERS,
    Grad,
    NormForm,
    NormStep,
    Partial,
    eps,
    i,
    mu,
    sigma,
    var,
)
from symbp.derive.norm_steps import x as X
from symbp.derive.norm_steps import x_hat as XHAT
from symbp.derive.norm_steps import y as Y
from symbp.layers.base import Equations, LayerData, LayerKind
from symbp.layers.norm import EPS
from symbp.layers.residual import NORM_SUM

SIZES_PROVED = (2, 3, 4)
POINTS = 3
TOLERANCE = 1e-10


class Instance:
    """One norm layer's own forward equations on m values, and its chain-rule gradients.

    ``layer``: ``batchnorm`` (m examples of one feature), ``layernorm`` (one example's m
    features) or a layer built around a layer norm (``residual(layernorm)``: the norm's output
    y is its inner output f, and its own output a = x + y). ``output``: the array whose
    gradient dC/d(output) is given as symbols (``dy``), where :meth:`chain_rule` starts: the
    layer's output (y, or the residual's a). ``point_cache``: the points :meth:`point`
    computed, by seed."""

    def __init__(self, layer: LayerKind, m: int) -> None:
        eq = Equations()
        x = eq.inputs("x", (m, 1) if layer.batch else (m,))
        data = LayerData(position=1, layer=layer, input_shape=x.shape)
        layer.equations(eq, data, x)
        flat = {r: list(np.asarray(v).reshape(-1)) for r, v in data.arrays.items()}
        self.m, self.definitions = m, eq.definitions
        self.defined = dict(eq.definitions)
        self.gammas = list(np.asarray(data.parameters["gamma1"]).reshape(-1))
        self.betas = list(np.asarray(data.parameters["beta1"]).reshape(-1))
        self.arrays = {X: flat["x"], XHAT: flat["xhat"]}
        if "f" in flat:  # the norm is the inner layer: its output is f, the layer's a = x + f
            self.arrays.update({Y: flat["f"], NORM_SUM: flat["a"]})
        else:
            self.arrays[Y] = flat["a"]
        self.output = NORM_SUM if "f" in flat else Y
        self.scalars = {mu: flat["mu"][0], var: flat["var"][0], sigma: flat["sigma"][0]}
        self.dy = [sympy.Symbol(f"d{self.output}[{n}]", real=True) for n in range(m)]
        self.grads = self.chain_rule()
        self.point_cache: dict[int, dict[sympy.Symbol, sympy.Expr]] = {}
        internal = {s for s, _ in self.definitions}
        self.prover = DefinitionsProver(self.definitions, internal)

    def chain_rule(self) -> dict[sympy.Symbol, sympy.Expr]:
        """dC/du for every quantity, from dC/d(OUTPUT) down, sympy.diff for each local."""
        output = self.arrays[self.output]
        grads: dict[sympy.Symbol, sympy.Expr] = dict(zip(output, self.dy, strict=True))
        readers: dict[sympy.Symbol, list] = {}
        for c, value in self.definitions:
            for u in value.free_symbols:
                readers.setdefault(u, []).append((c, value))
        order = [*self.arrays[X], *self.gammas, *self.betas, *(c for c, _ in self.definitions)]
        for u in reversed(order):
            if u not in grads:
                terms = [grads[c] * sympy.diff(v, u) for c, v in readers.get(u, [])]
                grads[u] = sympy.Add(*terms)
        return grads

    def atom(self, u: sympy.Expr) -> sympy.Expr:
        """The concrete symbol of an index-form quantity (an entry at an integer index)."""
        if isinstance(u, sympy.Indexed):
            n = int(u.indices[0])
            if u.base in self.arrays:
                return self.arrays[u.base][n]
            return (self.gammas if str(u.base) == "gamma" else self.betas)[n]
        if u in self.scalars:
            return self.scalars[u]
        if str(u) in ("gamma", "beta"):
            return (self.gammas if str(u) == "gamma" else self.betas)[0]
        if u == eps:
            return EPS
        raise KeyError(u)

    def concrete(self, expr: sympy.Expr, size: sympy.Symbol, at: int) -> sympy.Expr:
        """``expr`` at m values and i = at: sums written out, Grad and Partial evaluated."""
        expr = expr.subs({size: self.m, i: at}).doit()
        expr = expr.replace(
            lambda e: isinstance(e, Partial),
            lambda e: sympy.diff(self.defined[self.atom(e.args[0])], self.atom(e.args[1])),
        )
        expr = expr.replace(
            lambda e: isinstance(e, Grad), lambda e: self.grads[self.atom(e.args[0])]
        )
        atoms = expr.atoms(sympy.Indexed) | {
            s for s in expr.free_symbols if s in self.scalars or str(s) in ("gamma", "beta")
        }
        return expr.xreplace({u: self.atom(u) for u in atoms} | {eps: EPS})

    def point(self, seed: int) -> dict[sympy.Symbol, float]:
        """Random normal values of x, gamma, beta and dC/dy, and every defined quantity's value
        computed from them by its definition (so the point satisfies the forward equations)."""
        if seed in self.point_cache:
            return self.point_cache[seed]
        rng = random.Random(seed)
        inputs = [*self.arrays[X], *self.gammas, *self.betas, *self.dy]
        values = {s: sympy.Float(rng.gauss(0.0, 1.0), 30) for s in inputs}
        for s, value in self.definitions:
            values[s] = value.xreplace(values).evalf(30)
        self.point_cache[seed] = values
        return values

    def exact(self, left: sympy.Expr, right: sympy.Expr) -> bool:
        prover = self.prover
        return bool(prover.equal(np.array([left]), prover.expanded(np.array([right]))))

    def numeric(self, left: sympy.Expr, right: sympy.Expr, seeds: range) -> bool:
        """Both sides at random points (30 digits) that satisfy the layer's definitions."""
        for seed in seeds:
            point = self.point(seed)
            a, b = (complex(e.xreplace(point).evalf(30)) for e in (left, right))
            if abs(a - b) > TOLERANCE * max(1.0, abs(a)):
                return False
        return True


def _instances(kind: str) -> list[Instance]:
    if kind not in _CACHE:
        _CACHE[kind] = [Instance(LAYERS[kind], m) for m in SIZES_PROVED]
    return _CACHE[kind]


_CACHE: dict[str, list[Instance]] = {}


def fails_at(form: NormForm, inst: Instance, lhs: sympy.Expr, rhs: sympy.Expr) -> int | None:
    """The first index value at which ``lhs = rhs`` fails on the instance, exactly or
    numerically, or None."""
    free = i in (lhs.free_symbols | rhs.free_symbols)
    for at in range(inst.m) if free else [0]:
        left = inst.concrete(lhs, form.size, at)
        right = inst.concrete(rhs, form.size, at)
        if not inst.numeric(left, right, range(POINTS)) or not inst.exact(left, right):
            return at
    return None


def check_step(form: NormForm, step: NormStep, instances: Sequence[Instance]) -> None:
    """The step and the identity it used hold on every instance, or a ValueError naming where
    one fails."""
    claims = [(step.lhs, step.rhs, "step")]
    if step.uses is not None:
        claims.append((*step.uses, "identity"))
    for inst in instances:
        for lhs, rhs, what in claims:
            at = fails_at(form, inst, lhs, rhs)
            if at is not None:
                raise ValueError(
                    f"{form.kind}: the {what} '{step.rule}' of d/d{step.quantity} fails at "
                    f"{form.size} = {inst.m}, i = {at}"
                )


def check_forward(form: NormForm, instances: Sequence[Instance]) -> None:
    """Each index-form definition equals the layer's own equation at every entry of every
    instance, exactly, or a ValueError naming the first that does not."""
    for inst in instances:
        for lhs, rhs in form.definitions:
            for at in range(inst.m) if i in lhs.free_symbols else [0]:
                mine = inst.concrete(lhs, form.size, at)
                theirs = inst.defined[mine]
                if sympy.expand(inst.concrete(rhs, form.size, at) - theirs) != 0:
                    raise ValueError(f"{form.kind}: the index form of {lhs} is not the layer's")


def prove_step(form: NormForm, step: NormStep) -> str:
    """The proof of one step and of the identity it used (see the module docstring), or a
    ValueError naming where it fails."""
    check_step(form, step, _instances(form.kind))
    sizes = ", ".join(map(str, SIZES_PROVED))
    return (
        "exactly modulo the definitions of the mean, the variance, sigma and the normalised "
        f"input (every i, {form.size} = {sizes}) and at {POINTS} random points of each "
        f"(to {TOLERANCE:.0e})"
    )


def prove_forward(form: NormForm) -> str:
    """Each index-form definition equals the layer's own equation, entry by entry."""
    check_forward(form, _instances(form.kind))
    sizes = ", ".join(map(str, SIZES_PROVED))
    return f"every entry at {form.size} = {sizes}, exactly"


def prove_form(form: NormForm) -> NormForm:
    """The form with its forward equations and every step proved (a failure raises)."""
    form.forward_verified_by = prove_forward(form)
    form.steps = [replace(s, verified_by=prove_step(form, s)) for s in form.steps]
    return form


__all__ = ["Instance", "check_forward", "check_step", "fails_at", "prove_form", "prove_forward",
           "prove_step"]  # fmt: skip
