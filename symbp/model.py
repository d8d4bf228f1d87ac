"""A feed-forward network: its specification (:class:`Network`) and, for concrete sizes, its
symbols and forward equations (:class:`Forward`).

Forward equations, layer l = 1..L (input ``a^0 = x``):

- explicit biases: ``z^l_j = sum_k w^l_{jk} a^{l-1}_k + b^l_j``
- Ng's bias unit:  ``z^l_j = w^l_{j0} * 1 + sum_k w^l_{jk} a^{l-1}_k`` (``a_0 = 1``)
- ``a^l = f^l(z^l)`` (elementwise, or vector-valued for softmax), ``C = loss(a^L, y)``.

>>> net = network([2, 2, 1], hidden="sigmoid", output="sigmoid", loss="bce")
>>> net.parameter_count
9
>>> fwd = forward(net)
>>> fwd.z_def[(2, 1)]
a1_1*w2_1_1 + a1_2*w2_1_2 + b2_1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy
import sympy

from symbp import limits, notation, values
from symbp.activations import Activation, get_activation
from symbp.errors import SpecError
from symbp.layers import Equations, LayerData, LayerKind, parse_net, parse_shape, shape_text
from symbp.layers.dense import Dense, unit_sum
from symbp.losses import Loss, get_loss

BIAS_STYLES = ("explicit", "unit")
Key = tuple[int, ...]


@dataclass(frozen=True)
class Network:
    """Layer sizes n0..nL, an activation for each layer 1..L, a loss, and the options.

    ``examples`` is m (the cost is the mean over m examples), ``l2`` is lambda in
    ``lambda/(2m) sum w^2`` (biases are never regularised).
    """

    sizes: tuple[int, ...]
    activations: tuple[Activation, ...]
    loss: Loss
    bias: str = "explicit"
    examples: int = 1
    l2: sympy.Rational = sympy.Integer(0)

    @property
    def L(self) -> int:
        return len(self.sizes) - 1

    def activation(self, layer: int) -> Activation:
        return self.activations[layer - 1]

    @property
    def parameter_count(self) -> int:
        return sum(n * (m + 1) for m, n in zip(self.sizes[:-1], self.sizes[1:], strict=True))

    def describe(self) -> str:
        acts = ", ".join(a.name for a in self.activations)
        extra = f", m={self.examples}" if self.examples != 1 else ""
        extra += f", l2={self.l2}" if self.l2 else ""
        sizes = "-".join(map(str, self.sizes))
        return f"{sizes} ({acts}; {self.loss.name}; bias {self.bias}{extra})"


def parse_sizes(text: str) -> list[int]:
    """``"2,3,2"`` -> [2, 3, 2], with one clear error for anything else (see symbp.values)."""
    return values.parse_sizes(text)


def _rational(value: object, what: str) -> sympy.Rational:
    return values.parse_rational(value, what, limits.MAX_L2)


def network(
    sizes: Sequence[int] | str,
    hidden: str | Activation = "sigmoid",
    output: str | Activation = "sigmoid",
    loss: str | Loss = "mse",
    *,
    activations: Sequence[str | Activation] | None = None,
    bias: str = "explicit",
    examples: int = 1,
    l2: object = 0,
) -> Network:
    """Build and validate a network specification (``activations`` overrides hidden/output)."""
    sizes = parse_sizes(sizes) if isinstance(sizes, str) else values.check_sizes(list(sizes))
    L = len(sizes) - 1
    if activations is None:
        activations = [hidden] * (L - 1) + [output]
    if len(activations) != L:
        raise SpecError(f"{L} weight layers need {L} activations, got {len(activations)}")
    acts = tuple(get_activation(a) for a in activations)
    for layer, act in enumerate(acts, start=1):
        if not act.elementwise and sizes[layer] < 2:
            raise SpecError(f"{act.name} on a layer of 1 unit is the constant 1; use sigmoid")
    the_loss = get_loss(loss)
    the_loss.check_fits(acts[-1])
    if bias not in BIAS_STYLES:
        raise SpecError(f"unknown bias style {bias!r}; known: {', '.join(BIAS_STYLES)}")
    if isinstance(examples, bool) or not isinstance(examples, int):
        raise SpecError(f"the number of examples m must be an integer >= 1, got {examples!r}")
    if not 1 <= examples <= limits.MAX_EXAMPLES:
        raise SpecError(
            f"the number of examples m must be an integer >= 1 and at most "
            f"{limits.MAX_EXAMPLES} (symbp.limits.MAX_EXAMPLES), got {examples}"
        )
    return Network(tuple(sizes), acts, the_loss, bias, examples, _rational(l2, "l2 lambda"))


@dataclass
class Forward:
    """Symbols and forward equations of a concrete network, for one example."""

    network: Network
    x: list[sympy.Symbol]
    y: list[sympy.Symbol]
    weights: dict[Key, sympy.Symbol]
    biases: dict[Key, sympy.Symbol]
    z: dict[Key, sympy.Symbol]
    a: dict[Key, sympy.Symbol]
    z_def: dict[Key, sympy.Expr]
    a_def: dict[Key, sympy.Expr]
    loss: sympy.Expr
    delta: dict[Key, sympy.Symbol] = field(default_factory=dict)

    @cached_property
    def parameters(self) -> list[sympy.Symbol]:
        """Every weight and bias, layer by layer, weights of a layer before its biases."""
        out: list[sympy.Symbol] = []
        for layer in range(1, self.network.L + 1):
            out += [s for key, s in self.weights.items() if key[0] == layer]
            out += [s for key, s in self.biases.items() if key[0] == layer]
        return out

    def previous(self, layer: int) -> list[sympy.Symbol]:
        """a^{layer} as symbols (layer 0 is the input x)."""
        if layer == 0:
            return self.x
        return [self.a[(layer, j)] for j in range(1, self.network.sizes[layer] + 1)]

    def regularised(self, parameter: sympy.Symbol) -> bool:
        """L2 applies to weights, never to biases (nor to Ng's bias column 0)."""
        kind, idx = notation.parse_name(parameter.name)
        return kind == "weight" and idx[2] != 0

    def composed_loss(self) -> sympy.Expr:
        """C as one expression of x, y and the parameters (for the direct-derivative oracle)."""
        full: dict[sympy.Symbol, sympy.Expr] = {}
        for layer in range(1, self.network.L + 1):
            n = self.network.sizes[layer]
            zs = [self.z_def[(layer, j)].xreplace(full) for j in range(1, n + 1)]
            for j, value in enumerate(self.network.activation(layer)(zs), start=1):
                full[self.a[(layer, j)]] = value
        return self.loss.xreplace(full)


def forward(net: Network) -> Forward:
    """Symbols and forward equations for every unit of ``net``."""
    sym = notation.symbol
    x = [sym("input", (k,)) for k in range(1, net.sizes[0] + 1)]
    y = [sym("target", (j,)) for j in range(1, net.sizes[-1] + 1)]
    fwd = Forward(net, x, y, {}, {}, {}, {}, {}, {}, sympy.Integer(0))
    first = 0 if net.bias == "unit" else 1
    for layer in range(1, net.L + 1):
        n_in, n_out = net.sizes[layer - 1], net.sizes[layer]
        prev = fwd.previous(layer - 1)
        inputs = ([sympy.Integer(1)] if first == 0 else []) + list(prev)  # Ng's a_0 = 1
        for j in range(1, n_out + 1):
            weights = []
            for k in range(first, n_in + 1):
                weights.append(fwd.weights.setdefault((layer, j, k), sym("weight", (layer, j, k))))
            bias = None
            if net.bias == "explicit":
                bias = fwd.biases.setdefault((layer, j), sym("bias", (layer, j)))
            fwd.z[(layer, j)] = sym("pre", (layer, j))
            fwd.a[(layer, j)] = sym("act", (layer, j))
            fwd.delta[(layer, j)] = sym("delta", (layer, j))
            fwd.z_def[(layer, j)] = unit_sum(weights, inputs, bias)  # the dense layer's unit
        zs = [fwd.z[(layer, j)] for j in range(1, n_out + 1)]
        for j, value in enumerate(net.activation(layer)(zs), start=1):
            fwd.a_def[(layer, j)] = value
    fwd.loss = net.loss(fwd.previous(net.L), y)
    return fwd


@dataclass(frozen=True)
class LayeredNetwork:
    """An input shape, a list of layer kinds (:mod:`symbp.layers`) and a loss.

    Parameters are keyed by the 1-based position of their layer: ``W{i}``, ``b{i}`` (dense,
    conv, residual), ``Wx{i}``, ``Wh{i}``, ``b{i}`` (rnn), with PyTorch's shapes.

    >>> net = layered_network("1x4x4", "conv2d(2,3,relu) flatten dense(3,softmax)", "cce")
    >>> net.shapes
    ((1, 4, 4), (2, 2, 2), (8,), (3,))
    >>> net.parameter_shapes
    {'W1': (2, 1, 3, 3), 'b1': (2,), 'W3': (3, 8), 'b3': (3,)}
    """

    input_shape: tuple[int, ...]
    layers: tuple[LayerKind, ...]
    loss: Loss
    examples: int = 1
    pieces: tuple[tuple[int, ...], ...] = ()
    """Empty for a network; for a *separated instance* (:meth:`skeleton`) the input shape of
    each layer, every layer then reading fresh symbols ``x{i}`` of its own small input."""

    @cached_property
    def shapes(self) -> tuple[tuple[int, ...], ...]:
        """The input shape, then every layer's output shape (of a separated instance: every
        layer's own input shape, then the last layer's output shape)."""
        if self.pieces:
            return (*self.pieces, self.layers[-1].output_shape(self.pieces[-1]))
        out = [self.input_shape]
        for layer in self.layers:
            out.append(layer.output_shape(out[-1]))
        return tuple(out)

    @cached_property
    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        out: dict[str, tuple[int, ...]] = {}
        for position, layer in enumerate(self.layers, start=1):
            out.update(layer.parameter_shapes(self.shapes[position - 1], position))
        return out

    @property
    def sizes(self) -> tuple[int, int]:
        """(input features, output units): the widths data and targets must have; a data row
        of that many features is reshaped to ``input_shape``."""
        return (int(numpy.prod(self.input_shape)), self.shapes[-1][0])

    @property
    def parameter_count(self) -> int:
        return sum(int(numpy.prod(shape)) for shape in self.parameter_shapes.values())

    @property
    def output_activation(self) -> Activation:
        return self.layers[-1].activation()

    def spec(self) -> str:
        return " ".join(layer.spec() for layer in self.layers)

    def describe(self) -> str:
        return f"{shape_text(self.input_shape)} -> {self.spec()} ({self.loss.name})"

    def skeleton(self) -> LayeredNetwork:
        """The separated instance compile derives and proves: every layer on its own smallest
        input that has every case of the real one (``LayerKind.small_input``: at most 2
        channels, 3 dense units, 2 rnn units over 3 steps, each length cut to what the kernel,
        stride and padding need), so its size does not grow with the input's.

        >>> net = layered_network("1x28x28", "conv2d(16,5,relu) maxpool2d(2) flatten "
        ...                       "dense(10,softmax)", "cce")
        >>> net.skeleton().pieces
        ((1, 9, 9), (2, 4, 4), (2, 2, 2), (3,))
        """
        inputs = self.shapes[:-1]
        pieces = tuple(layer.small_input(s) for layer, s in zip(self.layers, inputs, strict=True))
        layers = tuple(layer.skeleton() for layer in self.layers)
        instance = LayeredNetwork(pieces[0], layers, self.loss, 1, pieces)
        for layer, shape in zip(layers, pieces, strict=True):
            layer.output_shape(shape)  # raises SpecError if a cut went wrong
        _checked(pieces[0], layers[-1:], self.loss, 1, pieces[-1:])
        return instance


def _checked(
    shape: tuple[int, ...],
    layers: tuple[LayerKind, ...],
    loss: Loss,
    examples: int,
    pieces: tuple[tuple[int, ...], ...] = (),
) -> LayeredNetwork:
    net = LayeredNetwork(shape, layers, loss, examples, pieces)
    shapes = net.shapes  # raises SpecError where a layer does not fit
    if len(shapes[-1]) != 1 or not isinstance(layers[-1], Dense):
        raise SpecError(
            f"the last layer must be dense(n, act) on a vector (its activation meets the loss), "
            f"got {layers[-1].spec()} with output {shape_text(shapes[-1])}"
        )
    for position, layer in enumerate(layers, start=1):
        if layer.activation() is not None and not layer.activation().elementwise:
            if position != len(layers) or shapes[-1][0] < 2:
                raise SpecError("softmax is allowed on the last dense layer of 2 or more units")
    loss.check_fits(layers[-1].activation())
    return net


def layered_network(
    input_shape: str | Sequence[int],
    net: str | Sequence[LayerKind],
    loss: str | Loss = "mse",
    *,
    examples: int = 1,
) -> LayeredNetwork:
    """Build and validate a network from ``--input`` and ``--net`` (one SpecError otherwise)."""
    shape = parse_shape(input_shape) if isinstance(input_shape, str) else tuple(input_shape)
    layers = tuple(parse_net(net) if isinstance(net, str) else net)
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise SpecError(f"the number of examples m must be an integer >= 1, got {examples!r}")
    return _checked(shape, layers, get_loss(loss), examples)


@dataclass
class LayeredForward:
    """Symbols and forward definitions of a layered network for one example."""

    network: LayeredNetwork
    x: numpy.ndarray
    y: numpy.ndarray
    layers: list[LayerData]
    equations: Equations
    loss: sympy.Expr
    batched: bool = False
    """True when the arrays carry a batch axis 0 (a network with a batch layer)."""

    @property
    def definitions(self) -> list[tuple[sympy.Symbol, sympy.Expr]]:
        return self.equations.definitions

    @property
    def parameters(self) -> dict[str, numpy.ndarray]:
        return self.equations.parameters

    def composed_loss(self) -> sympy.Expr:
        """C as one expression of x, y and the parameters (the direct-derivative oracle)."""
        if self.network.pieces:
            raise ValueError("a separated instance has no composed loss (its layers are apart)")
        full: dict[sympy.Symbol, sympy.Expr] = {}
        for s, value in self.definitions:
            full[s] = value.xreplace(full)
        return self.loss.xreplace(full)


def layered_forward(net: LayeredNetwork) -> LayeredForward:
    """Every layer writes its forward equations; the loss meets the last layer's output.

    >>> fwd = layered_forward(layered_network("3", "dense(2,tanh) dense(1,identity)"))
    >>> fwd.definitions[0]
    (z1[0], W1[0,0]*x[0] + W1[0,1]*x[1] + W1[0,2]*x[2] + b1[0])
    """
    if any(layer.batch for layer in net.layers):
        return _batched_forward(net)
    eq = Equations()
    x = eq.inputs("x", net.input_shape)
    y = eq.inputs("y", net.shapes[-1])
    current, layers = x, []
    for position, layer in enumerate(net.layers, start=1):
        if net.pieces and position > 1:  # a separated instance: the layer's own input
            current = eq.inputs(f"x{position}", net.pieces[position - 1])
        data = LayerData(position, layer, current.shape)
        layer.equations(eq, data, current)
        layers.append(data)
        current = data.output
    return LayeredForward(net, x, y, layers, eq, net.loss(list(current), list(y)))


BATCH_INSTANCE = 3
"""Examples of a batched instance: a layer that couples the examples (batch norm) is derived and
proved over a batch of this many. The compact form's coefficient 1/m makes the proof exact for
this m; the trainers at other m are compared with torch.autograd."""


def _batched_forward(net: LayeredNetwork) -> LayeredForward:
    """The forward equations of a batch of m examples: every layer that acts on one example
    writes its equations once per example (names prefixed by the example, parameters shared);
    a batch layer writes its own over the whole batch. Arrays carry the batch as axis 0."""
    m = max(net.examples, BATCH_INSTANCE)
    eq = Equations()
    x = eq.inputs("x", (m, *net.input_shape))
    y = eq.inputs("y", (m, *net.shapes[-1]))
    current, layers = x, []
    for position, layer in enumerate(net.layers, start=1):
        if net.pieces and position > 1:
            current = eq.inputs(f"x{position}", (m, *net.pieces[position - 1]))
        data = LayerData(position, layer, current.shape[1:])
        if layer.batch:
            layer.equations(eq, data, current)
        else:
            parts = []
            for e in range(m):
                eq.prefix = (e,)
                part = LayerData(position, layer, current.shape[1:])
                layer.equations(eq, part, current[e])
                parts.append(part)
            eq.prefix = ()
            data.parameters = parts[0].parameters
            data.arrays = {r: numpy.stack([p.arrays[r] for p in parts]) for r in parts[0].arrays}
        layers.append(data)
        current = data.output
    loss = sympy.Add(*[net.loss(list(current[e]), list(y[e])) for e in range(m)])
    return LayeredForward(net, x, y, layers, eq, loss, batched=True)
