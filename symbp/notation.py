"""Every symbol name symbp uses, in one place: ASCII names for computation, LaTeX per notation.

Layers are numbered as in Wikipedia's matrix section: the input is layer 0, ``W^l`` maps layer
l-1 to layer l, the output is layer L. Units are numbered from 1 as in the documents; with Ng's
bias unit, column 0 of a weight matrix holds the bias (``a_0 = 1``).

The three source notations number layers differently: Nielsen calls the input layer 1 and Ng
does too (his ``\\Theta^{(l)}`` maps layer l to l+1), so a concrete layer l here is layer l+1
there. :func:`layer_label` does that shift and nothing else does.

>>> weight_name(2, 1, 3)
'w2_1_3'
>>> parse_name("delta2_1")
('delta', (2, 1))
>>> latex_name("weight", (2, 1, 3), "ng")
'\\\\Theta^{(2)}_{13}'
"""

from __future__ import annotations

import re

import sympy

from symbp.errors import SpecError

NOTATIONS = ("wikipedia", "ng", "nielsen")

_PREFIX = {
    "input": "x",
    "target": "y",
    "weight": "w",
    "bias": "b",
    "pre": "z",
    "act": "a",
    "delta": "delta",
}
_KIND_OF_PREFIX = {v: k for k, v in _PREFIX.items()}
_NAME = re.compile(r"^(delta|[xywbza])(\d+(?:_\d+)*)$")


def _name(kind: str, indices: tuple[int, ...]) -> str:
    return _PREFIX[kind] + "_".join(str(i) for i in indices)


def input_name(k: int) -> str:
    return _name("input", (k,))


def target_name(j: int) -> str:
    return _name("target", (j,))


def weight_name(layer: int, j: int, k: int) -> str:
    """``w{l}_{j}_{k}``: the weight from unit k of layer l-1 to unit j of layer l."""
    return _name("weight", (layer, j, k))


def bias_name(layer: int, j: int) -> str:
    return _name("bias", (layer, j))


def pre_name(layer: int, j: int) -> str:
    return _name("pre", (layer, j))


def act_name(layer: int, j: int) -> str:
    return _name("act", (layer, j))


def delta_name(layer: int, j: int) -> str:
    return _name("delta", (layer, j))


def symbol(kind: str, indices: tuple[int, ...]) -> sympy.Symbol:
    """The computation symbol of a quantity: a real SymPy Symbol with an identifier-safe name."""
    return sympy.Symbol(_name(kind, indices), real=True)


def parse_name(name: str) -> tuple[str, tuple[int, ...]]:
    """Inverse of the ``*_name`` functions: the kind and indices of an ASCII name."""
    match = _NAME.match(name)
    if match is None:
        raise SpecError(
            f"{name!r} is not a symbp name (x1, y1, w2_1_3, b2_1, z1_2, a1_2, delta1_2)"
        )
    prefix, digits = match.groups()
    return _KIND_OF_PREFIX[prefix], tuple(int(d) for d in digits.split("_"))


def check_notation(notation: str) -> str:
    if notation not in NOTATIONS:
        raise SpecError(f"unknown notation {notation!r}; known: {', '.join(NOTATIONS)}")
    return notation


def layer_label(layer: int, notation: str) -> int:
    """The number a notation gives to layer ``layer`` (input = 0 here)."""
    return layer if check_notation(notation) == "wikipedia" else layer + 1


def latex_name(kind: str, indices: tuple[int, ...], notation: str) -> str:
    """LaTeX of one scalar quantity in a notation (TeX order as each source writes it)."""
    check_notation(notation)
    if kind == "input":
        return f"x_{{{indices[0]}}}"
    if kind == "target":
        return f"y_{{{indices[0]}}}"
    layer, *units = indices
    # w_{113} would be ambiguous (unit 11, 3 or unit 1, 13): commas once a unit reaches 10
    wide = any(isinstance(u, int) and u >= 10 for u in units)
    sub = ("," if wide else "").join(str(u) for u in units)
    if notation == "ng":
        if kind == "weight":
            return f"\\Theta^{{({layer})}}_{{{sub}}}"
        if kind == "bias":
            return f"\\Theta^{{({layer})}}_{{{sub}{',' if wide else ''}0}}"
        base = {"pre": "z", "act": "a", "delta": "\\delta"}[kind]
        return f"{base}^{{({layer + 1})}}_{{{sub}}}"
    base = {"weight": "w", "bias": "b", "pre": "z", "act": "a", "delta": "\\delta"}[kind]
    shown = layer_label(layer, notation)
    if notation == "wikipedia":
        return f"{base}_{{{sub}}}^{{{shown}}}"
    return f"{base}^{{{shown}}}_{{{sub}}}"


def latex_names(symbols: list[sympy.Symbol], notation: str) -> dict[sympy.Symbol, str]:
    """``symbol_names`` for :func:`sympy.latex`: every symbp symbol in ``symbols`` by notation."""
    return {s: latex_name(*parse_name(s.name), notation) for s in symbols}


# Matrix-level names, for the generic derivation (any depth L) -------------------------------
GENERIC_NOTATIONS = NOTATIONS + ("ufldl",)
"""The three notations, plus UFLDL's (Ng's W^{(l)}, b^{(l)}, f), used by the source note's
appendix; only the generic printer knows it."""

_GENERIC_BASE = {
    "wikipedia": {"W": "W", "b": "b", "delta": "\\delta", "Delta": "\\Delta"},
    "ng": {"W": "\\Theta", "b": "b", "delta": "\\delta", "Delta": "\\Delta"},
    "nielsen": {"W": "w", "b": "b", "delta": "\\delta", "Delta": "\\Delta"},
    "ufldl": {"W": "W", "b": "b", "delta": "\\delta", "Delta": "\\Delta"},
}
_ACTIVATION_TEX = {
    "wikipedia": ("f^{{{l}}}", "(f^{{{l}}})'"),
    "ng": ("g", "g'"),
    "nielsen": ("\\sigma", "\\sigma'"),
    "ufldl": ("f", "f'"),
}
HADAMARD_TEX = {
    "circ": "\\circ",
    "cdot": "\\cdot",
    "ng": "\\ .*\\ ",
    "nielsen": "\\odot",
    "ufldl": "\\circ",
}
"""The elementwise product: Wikipedia today (circ) and in the source's images (cdot), Ng's
Octave ``.*``, Nielsen's odot."""
_SHIFTED_LIKE_THETA = {"W", "b", "Delta", "D"}


def check_generic_notation(name: str) -> str:
    if name not in GENERIC_NOTATIONS:
        raise SpecError(f"unknown notation {name!r}; known: {', '.join(GENERIC_NOTATIONS)}")
    return name


def generic_layer(kind: str, layer: sympy.Expr, notation: str) -> sympy.Expr:
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
    check_generic_notation(notation)
    if notation == "wikipedia":
        return layer
    depth = sympy.Symbol("L", integer=True, positive=True)
    renamed = layer.subs({depth: depth - 1, sympy.Symbol("L", integer=True): depth - 1})
    if notation in ("ng", "ufldl") and kind in _SHIFTED_LIKE_THETA:
        return renamed
    return renamed + 1


def generic_name(kind: str, label: str, notation: str, indices: str = "") -> str:
    """LaTeX of a layer's vector/matrix (``indices`` empty) or of one entry, label in TeX.

    >>> generic_name("W", "l+1", "wikipedia"), generic_name("W", "l", "ng", "ij")
    ('W^{l+1}', '\\\\Theta_{ij}^{(l)}')
    >>> generic_name("delta", "l", "nielsen", "j")
    '\\\\delta^{l}_{j}'
    """
    base = _GENERIC_BASE[check_generic_notation(notation)].get(kind, kind)
    sup = f"^{{({label})}}" if notation in ("ng", "ufldl") else f"^{{{label}}}"
    if not label:
        sup = ""
    if not indices:
        return base + sup
    if notation == "nielsen":
        return f"{base}{sup}_{{{indices}}}"
    return f"{base}_{{{indices}}}{sup}"


def activation_tex(notation: str, label: str, derivative: bool) -> str:
    """f^{l} / (f^{l})' (Wikipedia), g / g' (Ng), sigma / sigma' (Nielsen), f / f' (UFLDL)."""
    plain, prime = _ACTIVATION_TEX[check_generic_notation(notation)]
    return (prime if derivative else plain).format(l=label)
