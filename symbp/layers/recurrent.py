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

    def skeleton(self) -> Rnn:
        return Rnn(min(self.units, 2), self.act)

    def small_input(self, shape: Shape) -> Shape:
        """3 time steps (a first step with h_{-1} = 0, a middle one, a last one), 2 features."""
        return (min(shape[0], 3), min(shape[1], 2))
