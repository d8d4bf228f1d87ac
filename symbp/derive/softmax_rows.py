"""The chain rule through a softmax computed *inside* a layer (attention's weights over the
keys): each weight's local derivatives written in the weights themselves,

    dp_i / ds_j = p_i (delta_ij - p_j),

the softmax Jacobian the output layer uses (``Softmax.jacobian_in_outputs``), proved here
against ``sympy.diff`` of the softmax's own definition for every row length it is used at
(once per length: the identity is the same for every row of that length, up to renaming).

>>> s = sympy.symbols("s0 s1", real=True)
>>> p = sympy.symbols("p0 p1", real=True)
>>> row_uses(list(p), list(s), 0)
[(s0, p0*(1 - p0)), (s1, -p0*p1)]
"""

from __future__ import annotations

from functools import cache

import sympy

from symbp.activations import get_activation
from symbp.errors import SymbpError

SOFTMAX = get_activation("softmax")


@cache
def proved_jacobian(n: int) -> int:
    """Prove p_i (delta_ij - p_j) = d softmax(s)_i / ds_j for a row of n scores (every i, j)
    by ``sympy.diff`` of the definition; the number of entries proved, or an error."""
    s = sympy.symbols(f"s0:{n}", real=True)
    p = SOFTMAX(list(s))
    for i in range(n):
        for j in range(n):
            stated = SOFTMAX.jacobian_in_outputs(p, i, j)
            if sympy.cancel(sympy.diff(p[i], s[j]) - stated) != 0:
                raise SymbpError(f"the softmax Jacobian entry ({i}, {j}) is not its derivative")
    return n * n


def row_uses(outputs: list, inputs: list, i: int) -> list[tuple[sympy.Symbol, sympy.Expr]]:
    """(s_j, dp_i/ds_j) for every score s_j of the row that weight p_i = outputs[i] reads."""
    proved_jacobian(len(outputs))
    return [(s, SOFTMAX.jacobian_in_outputs(outputs, i, j)) for j, s in enumerate(inputs)]


def softmax_rows_of(layers: list) -> dict[sympy.Symbol, tuple[list, list, int]]:
    """Every weight defined as a softmax inside a layer: (its row's weights, scores, index)."""
    out = {}
    for data in layers:
        for outputs, inputs in data.layer.softmax_rows(data):
            for i, u in enumerate(outputs):
                out[u] = (outputs, inputs, i)
    return out
