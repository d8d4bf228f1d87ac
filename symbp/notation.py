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
        raise SpecError(f"{name!r} is not a symbp name (x1, y1, w2_1_3, b2_1, z1_2, a1_2, delta1_2)")
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
    sub = "".join(str(u) for u in units)
    if notation == "ng":
        if kind == "weight":
            return f"\\Theta^{{({layer})}}_{{{sub}}}"
        if kind == "bias":
            return f"\\Theta^{{({layer})}}_{{{sub}0}}"
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
