"""``residual(dense(n, act))``: a = x + act(W x + b), so the sizes of x and a must agree.

>>> from symbp.activations import get_activation
>>> from symbp.layers.dense import Dense
>>> Residual(Dense(4, get_activation("tanh"))).output_shape((4,))
(4,)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbp.activations import Activation
from symbp.errors import SpecError
from symbp.layers.base import Equations, LayerData, LayerKind, Shape, activate, shape_text
from symbp.layers.dense import Dense, linear


@dataclass(frozen=True)
class Residual(LayerKind):
    inner: Dense
    kind = "residual"
    signature = "residual(dense(n, act)) with n equal to its input's size"

    def spec(self) -> str:
        return f"residual({self.inner.spec()})"

    def output_shape(self, shape: Shape) -> Shape:
        self.need(shape, 1, "a vector")
        if self.inner.output_shape(shape) != shape:
            raise SpecError(
                f"{self.spec()}: a residual adds its input of size {shape_text(shape)} to "
                f"{self.inner.units} outputs; the sizes must agree (use dense({shape[0]}, ...))"
            )
        return shape

    def parameter_shapes(self, shape: Shape, position: int) -> dict[str, Shape]:
        return self.inner.parameter_shapes(shape, position)

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        self.output_shape(x.shape)
        p = data.position
        w = eq.parameter(p, "W", (self.inner.units, x.shape[0]))
        b = eq.parameter(p, "b", (self.inner.units,))
        data.parameters.update({f"W{p}": w, f"b{p}": b})
        data.arrays["x"] = x
        z = data.arrays["z"] = eq.define(p, "z", linear(w, x, b))
        data.arrays["a"] = eq.define(p, "a", x + activate(self.inner.act, z, axis_units=False))

    def activation(self) -> Activation:
        return self.inner.act

    def skeleton(self) -> Residual:
        return Residual(self.inner.skeleton())

    def small_input(self, shape: Shape) -> Shape:
        return (min(shape[0], 3),)
