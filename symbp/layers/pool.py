"""``maxpool1d(k)``, ``maxpool2d(k)``, ``avgpool1d(k)``, ``avgpool2d(k)``: window and stride k,
trailing rows that do not fill a window dropped (PyTorch's floor mode).

Max-pooling is written as a selection, ``a = sum_i [x_i is the first maximum] x_i``, with
:class:`FirstMax` the indicator of the first maximum of the window in row-major order. Its
derivative is 0 wherever it is defined, so the chain rule routes the whole gradient to that one
input. **Ties**: when several inputs share the maximum, the gradient goes to the first of them
in row-major window order (PyTorch's CPU convention), never split.

>>> import sympy
>>> u, v = sympy.symbols("u v", real=True)
>>> FirstMax(0, u, v).subs({u: 2, v: 2}), FirstMax(1, u, v).subs({u: 2, v: 2})
(1, 0)
>>> Pool(2, "max", 2).output_shape((3, 5, 4))
(3, 2, 2)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import sympy

from symbp.errors import SpecError
from symbp.layers import index as ix
from symbp.layers.base import Equations, LayerData, LayerKind, Shape, shape_text


class FirstMax(sympy.Function):
    """FirstMax(i, x_0, ..., x_{n-1}) = 1 if x_i is the first maximum of the x, else 0."""

    @classmethod
    def eval(cls, i, *xs):  # noqa: ANN001, ANN206 (SymPy's protocol)
        if not xs or not all(x.is_number for x in xs):
            return None
        values = [float(x) for x in xs]
        return sympy.Integer(1 if values.index(max(values)) == int(i) else 0)

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sympy.Integer(0)  # piecewise constant: 0 wherever the maximum is unique

    def _eval_is_real(self) -> bool:
        return True


@dataclass(frozen=True)
class Pool(LayerKind):
    dims: int
    mode: str
    k: int

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"{self.mode}pool{self.dims}d"

    @property
    def signature(self) -> str:  # type: ignore[override]
        what = "C x L" if self.dims == 1 else "C x H x W"
        return f"{self.kind}(k) on a {what} input"

    def spec(self) -> str:
        return f"{self.kind}({self.k})"

    def output_shape(self, shape: Shape) -> Shape:
        self.need(shape, self.dims + 1, "C x L" if self.dims == 1 else "C x H x W")
        if any(n < self.k for n in shape[1:]):
            raise SpecError(
                f"{self.spec()}: window {self.k} is larger than its input {shape_text(shape)}"
            )
        return (shape[0], *(n // self.k for n in shape[1:]))

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        out_shape = self.output_shape(x.shape)
        data.arrays["x"] = x
        a = np.empty(out_shape, dtype=object)
        offsets = list(itertools.product(*[range(self.k)] * self.dims))
        for c, *pos in itertools.product(*(range(n) for n in out_shape)):
            window = [
                x[(c, *(i * self.k + q for i, q in zip(pos, o, strict=True)))] for o in offsets
            ]
            if self.mode == "max":
                a[(c, *pos)] = sympy.Add(*[FirstMax(i, *window) * v for i, v in enumerate(window)])
            else:
                a[(c, *pos)] = sympy.Add(*window) / len(window)
        data.arrays["a"] = eq.define(data.position, "a", a)

    def window_geometry(self) -> tuple[int, int, int]:
        return self.k, self.k, 0

    def index_forward(self) -> ix.IndexForward:
        """a_{o,i,j} = sum_{r,t} M_{o,i,j,r,t} x_{o, k i + r, k j + t} (max: M the first-maximum
        indicator of the window) or the same sum times 1/k^2 (average); channel o of the output
        reads channel o of the input."""
        pos, off = ix.positions(self.dims), ix.offsets(self.dims)
        src = ix.source(pos, off, 1 if self.k == 1 else ix.K, 0)
        weight = ix.M[(ix.o, *pos, *off)] if self.mode == "max" else 1 / ix.K**self.dims
        total = sympy.Sum(weight * ix.x[(ix.o, *src)], *ix.window(self.dims))
        return ix.window_form(ix.a[(ix.o, *pos)], total, self.dims, pooled=True)

    def small_input(self, shape: Shape) -> Shape:
        """At most 2 channels; each length 2k plus the real remainder (two windows side by side
        and the trailing inputs no window reaches), or the real length if it is shorter.

        >>> Pool(2, "max", 2).small_input((16, 24, 25))
        (2, 4, 5)
        """
        return (min(shape[0], 2), *(min(n, 2 * self.k + n % self.k) for n in shape[1:]))


@dataclass(frozen=True)
class MeanPool(LayerKind):
    """``meanpool``: the mean over the time (sequence) axis, (T, n) -> (n), as ``x.mean(dim=1)``
    on a batch in PyTorch: a_j = (1/T) sum_t x_{t,j} (in index form, :meth:`index_equations`).

    >>> MeanPool().output_shape((5, 4))
    (4,)
    """

    kind = "meanpool"
    signature = "meanpool (no arguments) on a T x n sequence"

    def spec(self) -> str:
        return "meanpool"

    def output_shape(self, shape: Shape) -> Shape:
        self.need(shape, 2, "a T x n sequence")
        return (shape[1],)

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        self.output_shape(x.shape)
        data.arrays["x"] = x
        means = [sympy.Add(*x[:, j]) / x.shape[0] for j in range(x.shape[1])]
        data.arrays["a"] = eq.define(data.position, "a", np.array(means, dtype=object))

    def index_equations(self, shape: Shape) -> ix.IndexEquations:
        """a_c = (1/T) sum_t x_{t,c}, c a feature of d.

        >>> MeanPool().index_equations((3, 2)).equations
        ((a[c], Sum(x[t, c], (t, 0, T - 1))/T),)
        """
        mean = sympy.Sum(ix.x[ix.TIME, ix.c], (ix.TIME, 0, ix.T - 1)) / ix.T
        return ix.sequence_reduction(mean)
