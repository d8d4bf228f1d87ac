"""``flatten`` (C x H x W -> C*H*W, row-major as torch.flatten) and ``last`` (T x n -> h_T).

Neither defines a new quantity: the output *is* (a view of) the input's symbols, so the chain
rule passes the gradient through unchanged. ``last`` states its output in index form too
(:meth:`Last.index_equations`: a_c = x_{T-1,c}).

>>> Flatten().output_shape((2, 3, 3)), Last().output_shape((4, 5))
((18,), (5,))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbp.layers import index as ix
from symbp.layers.base import Equations, LayerData, LayerKind, Shape


@dataclass(frozen=True)
class Flatten(LayerKind):
    kind = "flatten"
    signature = "flatten (no arguments)"

    def spec(self) -> str:
        return "flatten"

    def output_shape(self, shape: Shape) -> Shape:
        size = 1
        for n in shape:
            size *= n
        return (size,)

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        data.arrays["x"] = x
        data.arrays["a"] = x.reshape(-1)


@dataclass(frozen=True)
class Last(LayerKind):
    kind = "last"
    signature = "last (no arguments) after rnn: a T x n sequence"

    def spec(self) -> str:
        return "last"

    def output_shape(self, shape: Shape) -> Shape:
        self.need(shape, 2, "a T x n sequence")
        return (shape[1],)

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        data.arrays["x"] = x
        data.arrays["a"] = x[-1]

    def index_equations(self, shape: Shape) -> ix.IndexEquations:
        """a_c = x_{T-1,c}: the last step's features.

        >>> Last().index_equations((3, 2)).equations
        ((a[c], x[T - 1, c]),)
        """
        return ix.sequence_reduction(ix.x[ix.T - 1, ix.c])

    def small_input(self, shape: Shape) -> Shape:
        return (min(shape[0], 3), min(shape[1], 2))
