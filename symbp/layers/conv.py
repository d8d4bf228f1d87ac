"""``conv1d(c_out, k, act, stride=1, padding=0)`` and ``conv2d(...)``: PyTorch's Conv1d/Conv2d.

A cross-correlation (the kernel is *not* flipped in the forward pass), zero padding, one bias
per output channel; W is (c_out, c_in, k) or (c_out, c_in, k, k)::

    z_{o,i,j} = sum_{c,p,q} W_{o,c,p,q} x_{c, i*s+p-pad, j*s+q-pad} + b_o,   a = act(z)

>>> Conv(2, 8, 3, get_activation("relu"), padding=1).output_shape((1, 8, 8))
(8, 8, 8)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import sympy

from symbp.activations import Activation, get_activation
from symbp.algebra import product
from symbp.errors import SpecError
from symbp.layers import index as ix
from symbp.layers.base import Equations, LayerData, LayerKind, Shape, activate, shape_text

__all__ = ["Conv", "get_activation"]


@dataclass(frozen=True)
class Conv(LayerKind):
    dims: int
    channels: int
    k: int
    act: Activation
    stride: int = 1
    padding: int = 0

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"conv{self.dims}d"

    @property
    def signature(self) -> str:  # type: ignore[override]
        what = "C x L" if self.dims == 1 else "C x H x W"
        return f"{self.kind}(c_out, k, act, stride=1, padding=0) on a {what} input"

    def spec(self) -> str:
        extra = f",stride={self.stride}" if self.stride != 1 else ""
        extra += f",padding={self.padding}" if self.padding else ""
        return f"{self.kind}({self.channels},{self.k},{self.act.name}{extra})"

    def output_shape(self, shape: Shape) -> Shape:
        self.need(shape, self.dims + 1, "C x L" if self.dims == 1 else "C x H x W")
        out = []
        for n in shape[1:]:
            room = n + 2 * self.padding - self.k
            if room < 0:
                raise SpecError(
                    f"{self.spec()}: kernel {self.k} is larger than its padded input "
                    f"{shape_text(shape)} (padding {self.padding}); use a smaller k or padding"
                )
            out.append(room // self.stride + 1)
        return (self.channels, *out)

    def parameter_shapes(self, shape: Shape, position: int) -> dict[str, Shape]:
        kernel = (self.channels, shape[0]) + (self.k,) * self.dims
        return {f"W{position}": kernel, f"b{position}": (self.channels,)}

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        p = data.position
        out_shape = self.output_shape(x.shape)
        w = eq.parameter(p, "W", (self.channels, x.shape[0]) + (self.k,) * self.dims)
        b = eq.parameter(p, "b", (self.channels,))
        data.parameters.update({f"W{p}": w, f"b{p}": b})
        data.arrays["x"] = x
        z = np.empty(out_shape, dtype=object)
        taps = list(itertools.product(range(x.shape[0]), *[range(self.k)] * self.dims))
        for o, *pos in itertools.product(*(range(n) for n in out_shape)):
            terms = []
            for c, *offset in taps:
                src = [i * self.stride + q - self.padding for i, q in zip(pos, offset, strict=True)]
                if all(0 <= s < n for s, n in zip(src, x.shape[1:], strict=True)):
                    terms.append(product(w[(o, c, *offset)], x[(c, *src)]))
            z[(o, *pos)] = sympy.Add(*terms, b[o])
        z = data.arrays["z"] = eq.define(p, "z", z)
        data.arrays["a"] = eq.define(p, "a", activate(self.act, z, axis_units=False))

    def activation(self) -> Activation:
        return self.act

    def window_geometry(self) -> tuple[int, int, int]:
        return self.k, self.stride, self.padding

    def index_forward(self) -> ix.IndexForward:
        """z_{o,i,j} = sum_{e,r,t} W_{o,e,r,t} x_{e, s i + r - P, s j + t - P} + b_o (s and P
        written only where the stride is not 1 and the padding not 0)."""
        pos, off = ix.positions(self.dims), ix.offsets(self.dims)
        stride = 1 if self.stride == 1 else ix.STRIDE
        src = ix.source(pos, off, stride, ix.PAD if self.padding else 0)
        taps = ix.W[(ix.o, ix.e, *off)] * ix.x[(ix.e, *src)]
        total = sympy.Sum(taps, (ix.e, 0, ix.C_IN - 1), *ix.window(self.dims))
        return ix.window_form(ix.z[(ix.o, *pos)], total + ix.b[ix.o], self.dims, pooled=False)

    def skeleton(self) -> Conv:
        return Conv(self.dims, min(self.channels, 2), self.k, self.act, self.stride, self.padding)

    def small_input(self, shape: Shape) -> Shape:
        """At most 2 input channels; along each axis the shortest length with the same
        :func:`axis_cases` as the real one (every clipping of a window by the padding or the
        edge, every stride phase, every tap's range of positions).

        >>> Conv(2, 16, 5, get_activation("relu")).small_input((1, 28, 28))
        (1, 9, 9)
        >>> Conv(2, 4, 3, get_activation("relu"), stride=2, padding=1).small_input((3, 32, 31))
        (2, 4, 5)
        """
        lengths = []
        for n in shape[1:]:
            real = axis_cases(n, self.k, self.stride, self.padding)
            lengths.append(
                next(m for m in range(1, n + 1)
                     if axis_cases(m, self.k, self.stride, self.padding) == real)
            )  # fmt: skip
        return (min(shape[0], 2), *lengths)


def axis_cases(n: int, k: int, stride: int, padding: int) -> tuple | None:
    """The kinds of entries a correlation along one axis of length n has, up to translation:
    the taps each output reads (clipped by padding and edges), the taps that reach each input
    (the input gradient), each tap's distance from the ends of its range of outputs (the kernel
    gradient), and whether there are 1 or more outputs. ``None`` if the kernel does not fit.

    >>> reads, reached, ranges, many = axis_cases(5, 3, 1, 0)
    >>> sorted(reached)
    [(0,), (0, 1), (0, 1, 2), (1, 2), (2,)]
    """
    if n + 2 * padding < k:
        return None
    out = (n + 2 * padding - k) // stride + 1
    reads = frozenset(
        tuple(q for q in range(k) if 0 <= i * stride + q - padding < n) for i in range(out)
    )
    reached = frozenset(
        tuple(
            q for q in range(k)
            if (j + padding - q) % stride == 0 and 0 <= (j + padding - q) // stride < out
        )
        for j in range(n)
    )  # fmt: skip
    ranges = []
    for q in range(k):
        valid = [i for i in range(out) if 0 <= i * stride + q - padding < n]
        ranges.append((valid[0], out - 1 - valid[-1]) if valid else None)
    return reads, reached, tuple(ranges), min(out, 2)
