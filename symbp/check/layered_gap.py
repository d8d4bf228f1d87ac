"""Deciding a layer step on one instance: both sides written out through the layer's forward
equations, their gap expanded (and simplified only after a numeric probe fails to refute it),
index values where a derivative's variable does not exist skipped, and the counterexample
shown when the gap is not 0."""

from __future__ import annotations

import random

import sympy


def written_out(inst, expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with the layer's outputs (z, or a pool's a) written out as their forward
    equations (so a forward equation can be checked) and its activations as a = f(z), to a
    fixed point: a recurrent z reads the previous step's a, whose z is written out in turn."""
    outputs = {s: inst.defs[s] for s in inst.out.flat}
    if "z" in inst.arrays:
        outputs.update({s: inst.defs[s] for s in inst.arrays["a"].flat})
    for _ in range(inst.out.size + 1):
        if not expr.free_symbols & outputs.keys():
            break
        expr = expr.xreplace(outputs)
    return expr


def exists_at(expr: sympy.Expr, inst, at: dict) -> bool:
    """False when a derivative in ``expr`` is taken with respect to an entry that does not
    exist at these index values (dh_t/dh_{t-1} at t = 0): the step says nothing there."""
    for d in expr.atoms(sympy.Derivative):
        for v in d.variables:
            if not isinstance(v, sympy.Indexed) or str(v.base) not in inst.arrays:
                continue
            shape = inst.arrays[str(v.base)].shape
            idx = [i.xreplace(at).xreplace(inst.sizes) for i in v.indices]
            if (
                len(idx) == len(shape)
                and all(i.is_Integer for i in idx)
                and not all(0 <= int(i) < n for i, n in zip(idx, shape, strict=True))
            ):
                return False
    return True


def gap_of(inst, gap: sympy.Expr) -> sympy.Expr:
    """0 when the step holds here. The written-out gap is expanded; if that leaves a rest, it
    is evaluated at three random points first (a value off 0 refutes the step at once, where
    simplify on a wrong step with tanh or exp can run for minutes), and only a rest that
    vanishes at all three is handed to simplify, so nothing is called 0 without a proof."""
    gap = sympy.expand(written_out(inst, gap))
    if gap == 0:
        return gap
    rng = random.Random(1)
    symbols = sorted(gap.free_symbols, key=str)
    for _ in range(3):
        point = {s: sympy.Rational(rng.randint(-19, 19), 10) for s in symbols}
        try:
            value = complex(gap.xreplace(point).evalf(30))
        except (TypeError, ValueError):  # not a number there: leave it to simplify
            continue
        if abs(value) > 1e-12:
            return gap
    return sympy.simplify(gap)


def counterexample(inst, left, right, at: dict, shape) -> dict:
    rng = random.Random(0)
    left, right = (written_out(inst, s) for s in (left, right))
    symbols = sorted((left.free_symbols | right.free_symbols), key=str)
    values = {s: sympy.Rational(rng.randint(-9, 9), 10) for s in symbols}
    number = [float(sympy.N(e.xreplace(values))) for e in (left, right)]
    return {
        "indices": {str(k): int(v) for k, v in at.items()},
        "left": f"{number[0]:.6g}",
        "right": f"{number[1]:.6g}",
        "values": {str(k): str(v) for k, v in list(values.items())[:6]},
        "instance": "x".join(map(str, shape)),
    }
