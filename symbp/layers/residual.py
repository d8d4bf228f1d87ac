"""``residual(layer)``: a = x + f(x), f one layer whose output shape equals its input shape:
``dense(n, act)`` (f = act(W x + b), on a vector or on each position of a sequence),
``layernorm`` or ``attention(d)`` (d_k equal to the sequence's d).

A residual dense layer writes a = x + act(z) directly, as it always has. Any other inner layer
writes its own equations (its output f is then an intermediate quantity of the residual layer)
and the residual adds ``r{i} = x + f``.

>>> from symbp.activations import get_activation
>>> from symbp.layers.dense import Dense
>>> Residual(Dense(4, get_activation("tanh"))).output_shape((4,))
(4,)
>>> Residual(Dense(4, get_activation("tanh"))).output_shape((3, 4))
(3, 4)
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
    inner: LayerKind
    kind = "residual"
    signature = (
        "residual(dense(n, act)) with n equal to its input's size, residual(layernorm), "
        "or residual(attention(d)) on a T x d sequence"
    )

    def spec(self) -> str:
        return f"residual({self.inner.spec()})"

    def output_shape(self, shape: Shape) -> Shape:
        if isinstance(self.inner, Dense) and len(shape) not in (1, 2):
            self.need(shape, 1, "a vector or a T x n sequence")
        if self.inner.output_shape(shape) != shape:
            raise SpecError(
                f"{self.spec()}: a residual adds its input of shape {shape_text(shape)} to "
                f"{shape_text(self.inner.output_shape(shape))} outputs; the sizes must agree "
                f"(use dense({shape[-1]}, ...))"
            )
        return shape

    def parameter_shapes(self, shape: Shape, position: int) -> dict[str, Shape]:
        return self.inner.parameter_shapes(shape, position)

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        self.output_shape(x.shape)
        p = data.position
        if not isinstance(self.inner, Dense):
            inner = LayerData(p, self.inner, x.shape)
            self.inner.equations(eq, inner, x)
            data.parameters.update(inner.parameters)
            data.arrays.update(inner.arrays)
            data.arrays["f"] = data.arrays.pop("a")
            data.arrays["a"] = eq.define(p, "r", x + data.arrays["f"])
            return
        w = eq.parameter(p, "W", (self.inner.units, x.shape[-1]))
        b = eq.parameter(p, "b", (self.inner.units,))
        data.parameters.update({f"W{p}": w, f"b{p}": b})
        data.arrays["x"] = x
        z = data.arrays["z"] = eq.define(p, "z", linear(w, x, b))
        data.arrays["a"] = eq.define(p, "a", x + activate(self.inner.act, z, axis_units=False))

    def activation(self) -> Activation | None:
        return self.inner.activation()

    def softmax_rows(self, data: LayerData) -> list[tuple[list, list]]:
        return self.inner.softmax_rows(data)

    def skeleton(self) -> Residual:
        return Residual(self.inner.skeleton())

    def small_input(self, shape: Shape) -> Shape:
        return self.inner.small_input(shape)
