"""What every layer kind states, in one place: its arguments, its parameters and their shapes,
and its forward equations over arrays of SymPy symbols. Nothing about a backward pass is here:
:mod:`symbp.derive.layered` derives it by the chain rule from these equations.

A layer writes its forward equations through an :class:`Equations` builder, which names every
symbol (``W1[0,0,1,2]``, ``z1[0,3,4]``; indices 0-based as in PyTorch) and records each
definition in forward order.

>>> eq = Equations()
>>> x = eq.inputs("x", (2,))
>>> w = eq.parameter(1, "W", (1, 2))
>>> z = eq.define(1, "z", np.array([w[0, 0] * x[0] + w[0, 1] * x[1]]))
>>> eq.definitions[0]
(z1[0], W1[0,0]*x[0] + W1[0,1]*x[1])
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import sympy

from symbp.activations import Activation
from symbp.errors import SpecError
from symbp.layers.index import IndexEquations, IndexForward, IndexStages

Shape = tuple[int, ...]


def shape_text(shape: Shape) -> str:
    """``(1, 8, 8)`` -> ``1x8x8``, as ``--input`` writes it.

    >>> shape_text((1, 8, 8))
    '1x8x8'
    """
    return "x".join(map(str, shape))


def symbol_array(name: str, shape: Shape) -> np.ndarray:
    """An object array of real symbols ``name[i,j,...]`` (0-based indices).

    >>> symbol_array("b2", (2,))
    array([b2[0], b2[1]], dtype=object)
    """
    out = np.empty(shape, dtype=object)
    for idx in itertools.product(*(range(n) for n in shape)):
        out[idx] = sympy.Symbol(f"{name}[{','.join(map(str, idx))}]", real=True)
    return out


@dataclass
class LayerData:
    """One layer's arrays in a concrete forward pass: what it reads, defines and owns.

    ``arrays`` maps a role (``"x"`` the layer's input, ``"z"``, ``"a"`` the output, ...) to an
    object array of symbols; ``parameters`` maps a parameter key (``"W1"``) to its array.
    """

    position: int
    layer: LayerKind
    input_shape: Shape
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    parameters: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def output(self) -> np.ndarray:
        return self.arrays["a"]


class Equations:
    """The symbols and forward definitions of a concrete network, built layer by layer."""

    def __init__(self) -> None:
        self.definitions: list[tuple[sympy.Symbol, sympy.Expr]] = []
        self.defined_by: dict[sympy.Symbol, int] = {}
        self.parameters: dict[str, np.ndarray] = {}
        self.prefix: tuple[int, ...] = ()
        """Indices put before every defined name (the example e of a batched instance)."""

    def inputs(self, name: str, shape: Shape) -> np.ndarray:
        """Symbols without a definition (the input x, the targets y)."""
        return symbol_array(name, shape)

    def parameter(self, position: int, role: str, shape: Shape) -> np.ndarray:
        """The parameter array ``{role}{position}`` (``W1``, ``Wh2``, ``b3``)."""
        key = f"{role}{position}"
        if key in self.parameters:  # shared by every example of a batched instance
            return self.parameters[key]
        self.parameters[key] = symbol_array(key, shape)
        return self.parameters[key]

    def define(
        self, position: int, role: str, values: np.ndarray, at: tuple[int, ...] = ()
    ) -> np.ndarray:
        """New symbols ``{role}{position}[at..., i...]``, each defined as the entry of values."""
        values = np.asarray(values, dtype=object)
        at = self.prefix + at
        out = np.empty(values.shape, dtype=object)
        for idx in itertools.product(*(range(n) for n in values.shape)):
            name = f"{role}{position}[{','.join(map(str, at + idx))}]"
            out[idx] = sympy.Symbol(name, real=True)
        for s, value in zip(out.flat, values.flat, strict=True):
            self.definitions.append((s, sympy.sympify(value)))
            self.defined_by[s] = position
        return out


def activate(activation: Activation, z: np.ndarray, axis_units: bool) -> np.ndarray:
    """a = f(z): elementwise, or (softmax) over the whole array when ``axis_units``."""
    if activation.elementwise:
        return np.vectorize(lambda v: activation([v])[0], otypes=[object])(z)
    if not axis_units or z.ndim != 1:
        raise SpecError(f"{activation.name} is allowed only on a dense layer's vector of units")
    return np.array(activation(list(z)), dtype=object)


class LayerKind:
    """Base of every layer kind. Subclasses are frozen dataclasses of their spec arguments."""

    kind = ""
    signature = ""
    batch = False
    """True for a layer whose equations couple the examples of a batch (batch norm): the
    network is then derived over m >= 2 examples (:func:`symbp.model.layered_forward`)."""

    def output_shape(self, shape: Shape) -> Shape:
        raise NotImplementedError

    def parameter_shapes(self, shape: Shape, position: int) -> dict[str, Shape]:
        """Parameter key -> shape (PyTorch's), for this layer at ``position`` on ``shape``."""
        return {}

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        """Fill ``data.arrays`` (at least ``"a"``) through ``eq`` from the input array x."""
        raise NotImplementedError

    def activation(self) -> Activation | None:
        return None

    def softmax_rows(self, data: LayerData) -> list[tuple[list, list]]:
        """(outputs, inputs) of every softmax the layer computes inside itself (attention's
        weights over the keys): the chain rule takes its Jacobian in the outputs, as for a
        softmax output layer (:mod:`symbp.derive.layered`). None for most kinds."""
        return []

    def window_geometry(self) -> tuple[int, int, int]:
        """(k, stride, padding) of the window this layer's entries read (1, 1, 0: none)."""
        return 1, 1, 0

    def index_forward(self) -> IndexForward | None:
        """The forward equation of one output entry in index form with symbolic sizes (in the
        vocabulary of :mod:`symbp.layers.index`), or None where the kind has none yet. It
        states the same layer as :meth:`equations`; the derivation proves the two equal."""
        return None

    def index_equations(self, shape: Shape) -> IndexEquations | None:
        """The layer's forward equations in index form with symbolic sizes, several in forward
        order (attention's q, k, v, scores, weights and output; an LSTM's gates, cell and
        state; a residual's inner layer and its sum), for an input of ``shape``'s rank; None
        where the kind states one equation (:meth:`index_forward`) or none. Like that one, it
        states the same layer as :meth:`equations`, and the derivation proves the two equal."""
        return None

    def index_stages(self) -> IndexStages | None:
        """The layer's forward equations as staged definitions along the axis it normalises
        (a norm's mean, variance, sigma, x_hat and output; a residual layer norm's sum), or
        None. Proved equal to :meth:`equations` on small sizes before anything is derived."""
        return None

    def skeleton(self) -> LayerKind:
        """The same kind with at most 2 channels / 3 units: what compile derives and proves."""
        return self

    def small_input(self, shape: Shape) -> Shape:
        """The smallest input on which this layer's derived backward pass has every case it has
        on ``shape`` (see :mod:`symbp.model`, ``LayeredNetwork.instance``): at most 2 channels
        or features, each length cut to what the kernel, stride and padding need."""
        return tuple(min(n, 2) for n in shape)

    def spec(self) -> str:
        raise NotImplementedError

    def need(self, shape: Shape, dims: int, what: str) -> None:
        """Raise the one-line error for an input of the wrong rank."""
        if len(shape) != dims:
            raise SpecError(
                f"{self.spec()} needs an input of {what}, got {shape_text(shape)}; "
                f"{self.kind} is {self.signature}"
            )
