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

import sympy

from symbp import limits, notation, values
from symbp.activations import Activation, get_activation
from symbp.algebra import product
from symbp.errors import SpecError
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
        for j in range(1, n_out + 1):
            terms = []
            for k in range(first, n_in + 1):
                w = fwd.weights[(layer, j, k)] = sym("weight", (layer, j, k))
                terms.append(w if k == 0 else product(w, prev[k - 1]))
            if net.bias == "explicit":
                terms.append(fwd.biases.setdefault((layer, j), sym("bias", (layer, j))))
            fwd.z[(layer, j)] = sym("pre", (layer, j))
            fwd.a[(layer, j)] = sym("act", (layer, j))
            fwd.delta[(layer, j)] = sym("delta", (layer, j))
            fwd.z_def[(layer, j)] = sympy.Add(*terms)
        zs = [fwd.z[(layer, j)] for j in range(1, n_out + 1)]
        for j, value in enumerate(net.activation(layer)(zs), start=1):
            fwd.a_def[(layer, j)] = value
    fwd.loss = net.loss(fwd.previous(net.L), y)
    return fwd
