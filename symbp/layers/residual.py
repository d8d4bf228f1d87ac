"""``residual(layer)``: a = x + f(x), f one layer whose output shape equals its input shape:
``dense(n, act)`` (f = act(W x + b), on a vector or on each position of a sequence),
``layernorm`` or ``attention(d)`` (d_k equal to the sequence's d).

A residual dense layer writes a = x + act(z) directly, as it always has. Any other inner layer
writes its own equations (its output f is then an intermediate quantity of the residual layer)
and the residual adds ``r{i} = x + f``. In index form (:meth:`Residual.index_equations`, and
:meth:`Residual.index_stages` for a layer norm) the residual states its inner layer's equations,
the inner output renamed f (a dense one's a = x + act(z) directly, its units those of x), and
the sum a = x + f.

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
import sympy

from symbp.activations import Activation
from symbp.errors import SpecError
from symbp.layers import index as ix
from symbp.layers import norm
from symbp.layers.base import Equations, LayerData, LayerKind, Shape, activate, shape_text
from symbp.layers.dense import Dense, linear

F = sympy.IndexedBase("f")
"""The inner layer's output in index form (the residual's own output a = x + f)."""
NORM_SUM = sympy.IndexedBase("a", real=True)
"""The output a_i = x_i + y_i of a residual layer norm in its staged definitions."""


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

    def index_equations(self, shape: Shape) -> ix.IndexEquations | None:
        """The inner layer's equations and the sum: for dense, a = x + act(z) with its units d
        (those of x); for another inner layer, its output renamed f and a = x + f.

        >>> from symbp.activations import get_activation
        >>> Residual(Dense(3, get_activation("tanh"))).index_equations((3,)).equations[1]
        (a[o], tanh(z[o]) + x[o])
        """
        inner = self.inner.index_equations(shape)
        if inner is None:
            return None
        *before, (out, value) = inner.equations
        if isinstance(self.inner, Dense):  # the units are x's features: n is d
            units = {ix.N: ix.D}
            equations = (*before, (out, ix.x[out.indices] + value))
            axes = {base: tuple((lo, hi.xreplace(units)) for lo, hi in spans)
                    for base, spans in inner.axes.items()}  # fmt: skip
            sizes = {s: where for s, where in inner.sizes.items() if s != ix.N}
            return ix.IndexEquations(equations, axes, inner.roles, sizes, inner.activation)
        f = F[out.indices]
        equations = (*before, (f, value), (out, ix.x[out.indices] + f))
        axes = {**inner.axes, F: inner.axes[out.base]}
        roles = {**inner.roles, F: "f"}
        return ix.IndexEquations(equations, axes, roles, inner.sizes, inner.activation)

    def index_stages(self) -> ix.IndexStages | None:
        """A layer norm's staged definitions, its output y, and the sum a_i = x_i + y_i."""
        inner = self.inner.index_stages()
        if inner is None:
            return None
        total = (NORM_SUM[norm.i], norm.x[norm.i] + norm.y[norm.i])
        return ix.IndexStages(inner.size, inner.parameters, (*inner.definitions, total))

    def softmax_rows(self, data: LayerData) -> list[tuple[list, list]]:
        return self.inner.softmax_rows(data)

    def skeleton(self) -> Residual:
        return Residual(self.inner.skeleton())

    def small_input(self, shape: Shape) -> Shape:
        return self.inner.small_input(shape)
