"""``rnn(n, act=tanh)``: Elman, h_t = act(Wx x_t + Wh h_{t-1} + b), h_{-1} = 0, t = 0..T-1,
over an input sequence (T, d); the output is the whole sequence h (T, n) (``last`` takes h_T).
Shapes as PyTorch's nn.RNN: Wx (n, d), Wh (n, n), one bias b (n,).

>>> from symbp.activations import get_activation
>>> Rnn(5, get_activation("tanh")).output_shape((4, 3))
(4, 5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from symbp.activations import Activation
from symbp.layers import index as ix
from symbp.layers.base import Equations, LayerData, LayerKind, Shape, activate
from symbp.layers.dense import unit_sum


@dataclass(frozen=True)
class Rnn(LayerKind):
    units: int
    act: Activation
    kind = "rnn"
    signature = "rnn(n, act=tanh) on a T x d sequence"

    def spec(self) -> str:
        return f"rnn({self.units},{self.act.name})"

    def output_shape(self, shape: Shape) -> Shape:
        self.need(shape, 2, "a T x d sequence")
        return (shape[0], self.units)

    def parameter_shapes(self, shape: Shape, position: int) -> dict[str, Shape]:
        n, p = self.units, position
        return {f"Wx{p}": (n, shape[1]), f"Wh{p}": (n, n), f"b{p}": (n,)}

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        self.output_shape(x.shape)
        p, n, steps = data.position, self.units, x.shape[0]
        wx = eq.parameter(p, "Wx", (n, x.shape[1]))
        wh = eq.parameter(p, "Wh", (n, n))
        b = eq.parameter(p, "b", (n,))
        data.parameters.update({f"Wx{p}": wx, f"Wh{p}": wh, f"b{p}": b})
        data.arrays["x"] = x
        z = np.empty((steps, n), dtype=object)
        h = np.empty((steps, n), dtype=object)
        for t in range(steps):
            for j in range(n):
                total = unit_sum(list(wx[j]), list(x[t]), b[j])
                if t > 0:
                    total = sympy.Add(total, unit_sum(list(wh[j]), list(h[t - 1]), None))
                z[t, j] = total
            z[t] = eq.define(p, "z", z[t], at=(t,))
            h[t] = eq.define(p, "h", activate(self.act, z[t], axis_units=False), at=(t,))
        data.arrays["z"] = z
        data.arrays["a"] = h

    def activation(self) -> Activation:
        return self.act

    def index_forward(self) -> ix.IndexForward:
        """z_{t,o} = sum_e Wx_{o,e} x_{t,e} + sum_g Wh_{o,g} h_{t-1,g} + b_o, and h = act(z);
        h_{-1,g} lies outside h's range, so it is 0 as every such entry."""
        t, u = ix.TIME, ix.SPATIAL[3][0]
        o, e, g, c, c2, g2 = ix.o, ix.e, ix.g, ix.c, ix.c2, ix.g2
        rhs = (
            sympy.Sum(ix.Wx[o, e] * ix.x[t, e], (e, 0, ix.C_IN - 1))
            + sympy.Sum(ix.Wh[o, g] * ix.h[t - 1, g], (g, 0, ix.C_OUT - 1))
            + ix.b[o]
        )
        units, inputs, steps = (0, ix.C_OUT - 1), (0, ix.C_IN - 1), (0, ix.T - 1)
        ranges = {o: units, c: units, g: units, g2: units, e: inputs, c2: inputs,
                  t: steps, u: steps}  # fmt: skip
        sequence = (steps, units)
        axes = {ix.x: (steps, inputs), ix.Wx: (units, inputs), ix.Wh: (units, units),
                ix.b: (units,)}  # fmt: skip
        axes.update({base: sequence for base in (ix.z, ix.delta, ix.h, ix.dA, ix.dH)})
        targets = (("hidden", ix.h[u, g2]), ("Wx", ix.Wx[c, c2]), ("Wh", ix.Wh[c, g2]),
                   ("b", ix.b[c]), ("input", ix.x[u, c2]))  # fmt: skip
        sizes = {ix.T: ("x", 0), ix.C_IN: ("x", 1), ix.C_OUT: ("out", 1)}
        return ix.IndexForward(ix.z[t, o], rhs, ranges, axes, targets, sizes, output=ix.h,
                               total=ix.dH, delta_target=ix.z[u, c])  # fmt: skip

    def skeleton(self) -> Rnn:
        return Rnn(min(self.units, 2), self.act)

    def small_input(self, shape: Shape) -> Shape:
        """3 time steps (a first step with h_{-1} = 0, a middle one, a last one), 2 features."""
        return (min(shape[0], 3), min(shape[1], 2))
