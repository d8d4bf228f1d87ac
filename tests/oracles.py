"""Test oracles for concrete derivations: float64 evaluation of the backprop form, of SymPy's
direct derivative of the composed loss, and central finite differences of the composed loss."""

from __future__ import annotations

import math
import random

import sympy

from symbp.derive.concrete import Derivation


def random_point(der: Derivation, seed: int) -> dict[sympy.Symbol, float]:
    """Inputs and parameters in (-1, 1); targets valid for the loss (sum to 1 when assumed)."""
    rng = random.Random(seed)
    fwd = der.forward
    point = {s: rng.uniform(-1, 1) for s in (*fwd.x, *fwd.parameters)}
    ys = [rng.uniform(0.05, 1.0) for _ in fwd.y]
    if der.network.loss.assumptions:
        ys = [y / sum(ys) for y in ys]
    elif der.network.loss.needs_range is None:
        ys = [2 * y - 1 for y in ys]
    point.update(zip(fwd.y, ys, strict=True))
    return point


def backprop_values(der: Derivation, point: dict) -> dict[sympy.Symbol, float]:
    """Every gradient and input gradient, evaluating the named definitions in order."""
    env = {s: sympy.Float(v, 30) for s, v in point.items()}
    for symbol, value in der.definitions():
        env[symbol] = sympy.sympify(value.xreplace(env)).evalf(30)
    out = {p: float(g.xreplace(env).evalf()) for p, g in der.gradients.items()}
    for k, x in enumerate(der.forward.x, start=1):
        out[x] = float(der.grad_x[k].xreplace(env).evalf())
    return out


def composed_function(der: Derivation):
    fwd = der.forward
    leaves = [*fwd.x, *fwd.y, *fwd.parameters]
    return leaves, fwd.composed_loss()


def sympy_diff_values(der: Derivation, point: dict) -> dict[sympy.Symbol, float]:
    """Oracle 1: sympy.diff of the fully composed loss (its true definitions), evaluated."""
    _, loss = composed_function(der)
    variables = [*der.forward.parameters, *der.forward.x]
    env = {s: sympy.Float(v, 30) for s, v in point.items()}
    return {v: float(sympy.diff(loss, v).xreplace(env).evalf(30)) for v in variables}


def finite_difference_values(der: Derivation, point: dict, h: float = 1e-6) -> dict:
    """Oracle 2: central finite differences of the composed loss in float64."""
    leaves, loss = composed_function(der)
    f = sympy.lambdify(leaves, loss, modules="math")
    out = {}
    for v in [*der.forward.parameters, *der.forward.x]:
        up, down = dict(point), dict(point)
        up[v] += h
        down[v] -= h
        out[v] = (f(*[up[s] for s in leaves]) - f(*[down[s] for s in leaves])) / (2 * h)
    return out


def close(a: float, b: float, rel: float, abs_: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)
