"""Matrix- and index-level expressions of the generic derivation: small, printable data.

SymPy's ``MatrixSymbol`` calculus is not used (its ``diff`` crashes on a two-layer sigmoid
network and gives a wrong bias gradient on a one-layer one); the generic derivation works in
index form with SymPy and *recognises* the results as these nodes, which every printer reads.

Layers are SymPy expressions in Wikipedia's numbering (input = layer 0, ``W^l`` maps l-1 -> l,
output = layer ``L``), so an equation stated for layer ``l`` can be shifted (``l -> l + 1``) and
instantiated (``l -> 2``, ``L -> 3``) with :func:`substitute`.

>>> eq = Equation(Vec("delta", LAYER - 1),
...               Hadamard(FPrime(LAYER - 1), MatMul(T(Mat("W", LAYER)), Vec("delta", LAYER))))
>>> str(substitute(eq, {LAYER: 3}))
"delta^2 = (f^2)' o (W^3)^T delta^3"
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import sympy

LAYER = sympy.Symbol("l", integer=True)
DEPTH = sympy.Symbol("L", integer=True, positive=True)
ROW, COL, SUM = sympy.symbols("j k i", integer=True)

Layer = sympy.Expr | None


class Node:
    """Base of every expression node; ``str`` gives a plain-text form for reports."""

    def __str__(self) -> str:
        from symbp.derive.matrix_text import text

        return text(self)


@dataclass(frozen=True)
class Vec(Node):
    """A column vector of a layer: ``a``, ``z``, ``delta``, ``b``, ``x``, ``y``, ``one``."""

    kind: str
    layer: Layer = None


@dataclass(frozen=True)
class Mat(Node):
    """A matrix of a layer: ``W`` (weights, Ng's Theta), ``Delta`` (Ng's accumulator), ``D``."""

    kind: str
    layer: Layer = None


@dataclass(frozen=True)
class Elem(Node):
    """One entry: ``Elem("W", l, (j, k))`` is w^l_{jk}, ``Elem("delta", l, (j,))`` is delta^l_j."""

    kind: str
    layer: Layer
    indices: tuple[sympy.Expr, ...]


@dataclass(frozen=True)
class Cost(Node):
    """The loss of one example (C; Ng's J), or the mean ``J`` over m examples when ``mean``."""

    mean: bool = False


@dataclass(frozen=True)
class Scalar(Node):
    """A named scalar: ``lambda``, ``m``, ``eta`` or a number."""

    name: str


@dataclass(frozen=True)
class FPrime(Node):
    """(f^l)' evaluated at z^l, a vector; ``index`` makes it the entry f'(z^l_index)."""

    layer: Layer
    index: sympy.Expr | None = None


@dataclass(frozen=True)
class Jacobian(Node):
    """The Jacobian da^l/dz^l of a vector-valued activation (softmax), not diagonal."""

    layer: Layer


@dataclass(frozen=True)
class Diag(Node):
    """The diagonal matrix with the vector ``of`` on its diagonal (Nielsen's Sigma'(z))."""

    of: Node


@dataclass(frozen=True)
class Grad(Node):
    """The gradient of the cost with respect to ``wrt`` (nabla_{a^L} C, nabla_{W^l} C)."""

    wrt: Node
    cost: Cost = Cost()


@dataclass(frozen=True)
class Partial(Node):
    """d num / d den; ``total`` prints d instead of partial (Wikipedia's Jacobian chain)."""

    num: Node
    den: Node
    total: bool = False


@dataclass(frozen=True)
class T(Node):
    """Transpose."""

    arg: Node


@dataclass(frozen=True)
class _Variadic(Node):
    """A node of any number of operands, built as ``Kind(a, b, c)``."""

    args: tuple[Node, ...]

    def __init__(self, *args: Node) -> None:
        object.__setattr__(self, "args", tuple(args))


class MatMul(_Variadic):
    """Matrix product, left to right."""


class Hadamard(_Variadic):
    """Elementwise product, in the order the chain rule produced it."""


@dataclass(frozen=True)
class Outer(Node):
    """``u v^T``: the outer product, written by juxtaposition in every source."""

    left: Node
    right: Node


class Product(_Variadic):
    """A product of scalars (entries), in the order given."""


class Add(_Variadic):
    """A sum, in the order given."""


@dataclass(frozen=True)
class Neg(Node):
    arg: Node


@dataclass(frozen=True)
class Scaled(Node):
    """``coefficient * arg`` with a SymPy coefficient such as 1/m or lambda/m."""

    coefficient: sympy.Expr
    arg: Node


@dataclass(frozen=True)
class Power(Node):
    """``arg`` to an integer power (entries: (a_j - y_j)^2)."""

    arg: Node
    exponent: int


@dataclass(frozen=True)
class Norm(Node):
    """The Euclidean norm ||arg||."""

    arg: Node


@dataclass(frozen=True)
class Output(Node):
    """The network as a function of its input, a^L(x) (Ng's h_Theta(x), UFLDL's h_{W,b}(x))."""


@dataclass(frozen=True)
class Equalities(Node):
    """``lhs = rhs[0] = rhs[1] = ...``: one quantity through the steps of its derivation;
    ``aligned`` lists the steps that start a new aligned line."""

    lhs: Node
    rhs: tuple[Node, ...]
    aligned: tuple[int, ...] = ()


@dataclass(frozen=True)
class Stacked(Node):
    """A column made by stacking: (1; g(z)) puts Ng's bias unit on top of a layer's values."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Entries(Node):
    """A matrix written by its entries: ``entry`` in the row index ``row`` (over the units of
    layer ``rows_of``) and the column index ``col`` (over the units of layer ``cols_of``)."""

    entry: Node
    row: sympy.Symbol
    rows_of: Layer
    col: sympy.Symbol
    cols_of: Layer


@dataclass(frozen=True)
class Ratio(Node):
    """``num / den`` of entries (1/a_j)."""

    num: Node
    den: Node


@dataclass(frozen=True)
class IndexSum(Node):
    """sum over ``index`` from 1 to the width of layer ``width_of`` of ``body``."""

    body: Node
    index: sympy.Expr
    width_of: Layer = None


@dataclass(frozen=True)
class Apply(Node):
    """A named function applied to arguments: f^l(...), C(y, ...), g(x)."""

    function: Node
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Fn(Node):
    """A function symbol: the activation ``f`` of a layer, or ``C``."""

    kind: str
    layer: Layer = None


@dataclass(frozen=True)
class Elided(Node):
    """``... inner ...``: the middle of a nested composition left out (Wikipedia's C(y, ...))."""

    inner: Node


@dataclass(frozen=True)
class Column(Node):
    """A layer's vector written out as a column of its entries 1 .. width (Ng's CSDN post)."""

    kind: str
    layer: Layer


ELLIPSIS = Scalar("...")


@dataclass(frozen=True)
class Chain(Node):
    """A long product ``items[0] ops[0] items[1] ...``, one item possibly :data:`ELLIPSIS`.

    ``ops[i]`` joins items i and i+1 and is ``"matmul"`` or ``"hadamard"``; a chain is read
    right-nested (``A . (B o (C . v))``) when it ends with a column vector, left-nested when it
    starts with a row (Wikipedia's Jacobian product), so it needs no parentheses.
    """

    items: tuple[Node, ...]
    ops: tuple[str, ...]


@dataclass(frozen=True)
class Equation(Node):
    """``lhs relation rhs``; relation ``"="``, ``"def"`` (:=, \\equiv), ``"assign"`` (:=) or
    ``"update"`` (``w' = w - eta dC/dw``)."""

    lhs: Node
    rhs: Node
    relation: str = "="


def substitute(node: Node, mapping: dict[sympy.Expr, sympy.Expr]) -> Node:
    """Replace layer and index symbols everywhere in a node tree (shift or instantiate)."""
    if isinstance(node, (tuple, list)):
        return type(node)(substitute(n, mapping) for n in node)
    if isinstance(node, sympy.Basic):
        return node.subs(mapping)
    if not isinstance(node, Node):
        return node
    changes = {f.name: substitute(getattr(node, f.name), mapping) for f in fields(node)}
    if isinstance(node, _Variadic):
        return type(node)(*changes["args"])
    return replace(node, **changes)


def replace_nodes(node: Node, mapping: dict[Node, Node]) -> Node:
    """Replace whole sub-expressions (``a^L_j`` by ``f^L(z^L_j)``) everywhere in a tree."""
    if isinstance(node, (tuple, list)):
        return type(node)(replace_nodes(n, mapping) for n in node)
    if not isinstance(node, Node):
        return node
    if node in mapping:
        return mapping[node]
    changes = {f.name: replace_nodes(getattr(node, f.name), mapping) for f in fields(node)}
    if isinstance(node, _Variadic):
        return type(node)(*changes["args"])
    return replace(node, **changes)


def layers_in(node: Node) -> list[sympy.Expr]:
    """Every layer expression used in a node tree, in order of first appearance."""
    found: list[sympy.Expr] = []

    def walk(n: object) -> None:
        if isinstance(n, (tuple, list)):
            for m in n:
                walk(m)
        elif isinstance(n, Node):
            for f in fields(n):
                value = getattr(n, f.name)
                if f.name in ("layer", "width_of") and value is not None and value not in found:
                    found.append(value)
                else:
                    walk(value)

    walk(node)
    return found
