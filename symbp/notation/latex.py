"""LaTeX names in a notation: one scalar of a concrete network, one vector, matrix or entry of a
network of any depth, and an activation; every choice read from the :class:`Notation` object.

>>> latex_name("weight", (2, 1, 3), "ng"), latex_name("bias", (2, 1), "ng")
('\\\\Theta^{(2)}_{13}', '\\\\Theta^{(2)}_{10}')
>>> latex_name("delta", (1, 2), "wikipedia"), latex_name("delta", (1, 2), "nielsen")
('\\\\delta_{2}^{1}', '\\\\delta^{2}_{2}')
"""

from __future__ import annotations

import sympy

from symbp.notation.names import parse_name
from symbp.notation.sources import Notation, get_notation

_UNIT_BASE = {"pre": "z", "act": "a", "delta": "\\delta", "bias": "b"}
_GENERIC_BASE = {"delta": "\\delta", "Delta": "\\Delta"}


def _sup(notation: Notation, label: object) -> str:
    return f"^{{({label})}}" if notation.parens else f"^{{{label}}}"


def layer_label(layer: int, notation: str | Notation) -> int:
    """The number a notation gives to a unit of layer ``layer`` (input = 0 here)."""
    return get_notation(notation).label(layer)


def latex_name(kind: str, indices: tuple, notation: str | Notation) -> str:
    """LaTeX of one scalar quantity in a notation (TeX order as each source writes it)."""
    source = get_notation(notation)
    if kind == "input":
        return f"x_{{{indices[0]}}}"
    if kind == "target":
        return f"y_{{{indices[0]}}}"
    layer, *units = indices
    # w_{113} would be ambiguous (unit 11, 3 or unit 1, 13): commas once a unit reaches 10
    wide = any(isinstance(u, int) and u >= 10 for u in units)
    sub = ("," if wide else "").join(str(u) for u in units)
    if kind == "weight" or kind == "bias" and source.bias_column:
        base = source.weight
        if kind == "bias":  # column 0 of the weight matrix
            sub += f"{',' if wide else ''}0"
    else:
        base = _UNIT_BASE[kind]
    shift = source.shift(kind)
    sup = _sup(source, layer + shift if shift else layer)
    return f"{base}{sup}_{{{sub}}}" if source.entry_sup_first else f"{base}_{{{sub}}}{sup}"


def latex_names(symbols: list[sympy.Symbol], notation: str | Notation) -> dict[sympy.Symbol, str]:
    """``symbol_names`` for :func:`sympy.latex`: every symbp symbol in ``symbols`` by notation."""
    return {s: latex_name(*parse_name(s.name), notation) for s in symbols}


def generic_layer(kind: str, layer: sympy.Expr, notation: str | Notation) -> sympy.Expr:
    """The label a notation writes for a generic layer expression (Wikipedia's numbering in).

    Ng, Nielsen and UFLDL number the input layer 1, so z, a, delta of layer l are layer l+1
    there and ``L`` (the output) keeps its name; Ng's Theta^{(l)} and UFLDL's W^{(l)}, b^{(l)}
    map layer l to l+1, so their label is Wikipedia's.

    >>> l, L = sympy.symbols("l L", integer=True)
    >>> generic_layer("delta", l - 1, "nielsen"), generic_layer("W", l, "ng")
    (l, l)
    >>> generic_layer("a", L, "ng"), generic_layer("W", L, "ng")
    (L, L - 1)
    """
    source = get_notation(notation)
    if not source.input_layer:
        return layer
    first = source.input_layer
    depth = sympy.Symbol("L", integer=True, positive=True)
    renamed = layer.subs({depth: depth - first, sympy.Symbol("L", integer=True): depth - first})
    shift = source.shift(kind)
    return renamed + shift if shift else renamed


def generic_name(kind: str, label: str, notation: str | Notation, indices: str = "") -> str:
    """LaTeX of a layer's vector/matrix (``indices`` empty) or of one entry, label in TeX.

    >>> generic_name("W", "l+1", "wikipedia"), generic_name("W", "l", "ng", "ij")
    ('W^{l+1}', '\\\\Theta_{ij}^{(l)}')
    >>> generic_name("delta", "l", "nielsen", "j")
    '\\\\delta^{l}_{j}'
    """
    source = get_notation(notation)
    base = source.matrix.get(kind) or _GENERIC_BASE.get(kind, kind)
    sup = _sup(source, label) if label else ""
    if not indices:
        return base + sup
    if source.generic_sup_first:
        return f"{base}{sup}_{{{indices}}}"
    return f"{base}_{{{indices}}}{sup}"


def activation_tex(notation: str | Notation, label: str, derivative: bool) -> str:
    """f^{l} / (f^{l})' (Wikipedia), g / g' (Ng), sigma / sigma' (Nielsen), f / f' (UFLDL)."""
    plain, prime = get_notation(notation).activation
    return (prime if derivative else plain).format(l=label)
