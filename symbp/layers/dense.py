"""``dense(n, act)``: z_j = sum_k W_{jk} x_k + b_j, a = act(z); W is (n, n_in) as in PyTorch.
On a sequence (T, n_in) it acts on each position (the last axis), as torch.nn.Linear does:
z_{t,j} = sum_k W_{jk} x_{t,k} + b_j, the same W and b at every t.

In index form the layer states the one equation of a vector's unit (:meth:`Dense.index_forward`)
and, for a sequence (or a residual's sum), its equations z and a together
(:meth:`Dense.index_equations`, positions t, units o of n, inputs e of d).

The unit equation :func:`unit_sum` is the one :func:`symbp.model.forward` writes for today's
MLPs too, so both paths share one definition of a dense unit.

>>> import sympy
>>> w1, w2, x1, x2, b = sympy.symbols("w1 w2 x1 x2 b", real=True)
>>> unit_sum([w1, w2], [x1, x2], b)
b + w1*x1 + w2*x2
>>> layer = Dense(3, get_activation("tanh"))
>>> layer.output_shape((5,)), layer.output_shape((4, 5))
((3,), (4, 3))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from symbp.activations import Activation, get_activation
from symbp.algebra import product
from symbp.layers import index as ix
from symbp.layers.base import Equations, LayerData, LayerKind, Shape, activate

__all__ = ["Dense", "get_activation", "unit_sum"]


def unit_sum(
    weights: Sequence[sympy.Expr], inputs: Sequence[sympy.Expr], bias: sympy.Expr | None
) -> sympy.Expr:
    """One dense unit's pre-activation: sum_k w_k x_k (+ b); an input of 1 is Ng's bias unit."""
    terms = [product(w, x) for w, x in zip(weights, inputs, strict=True)]
    if bias is not None:
        terms.append(bias)
    return sympy.Add(*terms)


def linear(w: np.ndarray, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """z = W x + b over object arrays, one :func:`unit_sum` per row of W (per position of a
    sequence x)."""
    if x.ndim == 2:
        return np.array([linear(w, row, b) for row in x], dtype=object)
    return np.array([unit_sum(w[j], list(x), b[j]) for j in range(w.shape[0])], dtype=object)


@dataclass(frozen=True)
class Dense(LayerKind):
    units: int
    act: Activation
    kind = "dense"
    signature = "dense(n, act): a vector input or a T x d sequence (put flatten before an image)"

    def spec(self) -> str:
        return f"dense({self.units},{self.act.name})"

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) == 2:  # a sequence: each position
            return (shape[0], self.units)
        self.need(shape, 1, "a vector or a T x d sequence")
        return (self.units,)

    def parameter_shapes(self, shape: Shape, position: int) -> dict[str, Shape]:
        return {f"W{position}": (self.units, shape[-1]), f"b{position}": (self.units,)}

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        p = data.position
        self.output_shape(x.shape)
        w = eq.parameter(p, "W", (self.units, x.shape[-1]))
        b = eq.parameter(p, "b", (self.units,))
        data.parameters.update({f"W{p}": w, f"b{p}": b})
        data.arrays["x"] = x
        z = data.arrays["z"] = eq.define(p, "z", linear(w, x, b))
        data.arrays["a"] = eq.define(p, "a", activate(self.act, z, axis_units=True))

    def activation(self) -> Activation:
        return self.act

    def index_forward(self) -> ix.IndexForward:
        """z_o = sum_e W_{o,e} x_e + b_o (printed as z_j = sum_k W_{jk} x_k + b_j)."""
        total = sympy.Sum(ix.W[ix.o, ix.e] * ix.x[ix.e], (ix.e, 0, ix.C_IN - 1))
        return ix.window_form(ix.z[ix.o], total + ix.b[ix.o], 0, pooled=False)

    def index_equations(self, shape: Shape) -> ix.IndexEquations | None:
        """z_{t,o} = b_o + sum_e W_{o,e} x_{t,e} and a_{t,o} = act(z_{t,o}) on a T x d
        sequence (on a vector, the same without t); None for a softmax over the units.

        >>> Dense(3, get_activation("tanh")).index_equations((4, 2)).equations[1]
        (a[t, o], tanh(z[t, o]))
        """
        if not self.act.elementwise:
            return None
        at = (ix.TIME,) if len(shape) == 2 else ()
        z, a, x, W, b, o, e = ix.z, ix.a, ix.x, ix.W, ix.b, ix.o, ix.e
        seq, inp, out = ((0, ix.T - 1),) if at else (), (0, ix.D - 1), (0, ix.N - 1)
        equations = (
            (z[(*at, o)], b[o] + sympy.Sum(W[o, e] * x[(*at, e)], (e, *inp))),
            (a[(*at, o)], self.act.f(z[(*at, o)])),
        )
        axes = {x: (*seq, inp), W: (out, inp), b: (out,), z: (*seq, out), a: (*seq, out)}
        roles = {x: "x", z: "z", a: "a", W: "W", b: "b"}
        sizes = {ix.T: ("x", 0)} if at else {}
        sizes.update({ix.D: ("x", len(at)), ix.N: ("z", len(at))})
        return ix.IndexEquations(equations, axes, roles, sizes, self.act)

    def skeleton(self) -> Dense:
        return Dense(min(self.units, 3), self.act)

    def small_input(self, shape: Shape) -> Shape:
        """At most 3 inputs (and 2 positions of a sequence: every position is alike)."""
        return (*(min(n, 2) for n in shape[:-1]), min(shape[-1], 3))
