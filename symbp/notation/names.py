"""The ASCII names of computation: ``w2_1_3`` is the weight from unit 3 of layer 1 to unit 1 of
layer 2, in symbp's numbering (the input is layer 0, ``W^l`` maps layer l-1 to layer l).

>>> weight_name(2, 1, 3)
'w2_1_3'
>>> parse_name("delta2_1")
('delta', (2, 1))
"""

from __future__ import annotations

import re

import sympy

from symbp.errors import SpecError

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
