"""Per-parameter gradients lambdified one by one (``cse=True``): the cross-check of the compiler.

Each gradient of the derivation is written out in x, y and the parameters by substituting the
forward and delta definitions, then SymPy's ``lambdify`` turns the list into one NumPy function
with common subexpressions shared. The function is evaluated on every row at once (the columns
of X and Y broadcast) and averaged. Meant for small networks: the expressions grow with depth.

>>> from symbp.model import network
>>> from symbp.derive.concrete import derive
>>> der = derive(network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
>>> params = {"W1": np.ones((2, 2)), "b1": np.zeros(2), "W2": np.ones((1, 2)), "b2": np.zeros(1)}
>>> grads = scalar_gradients(der, params, np.zeros((3, 2)), np.ones((3, 1)))
>>> sorted(grads), grads["b2"].round(4)
(['W1', 'W2', 'b1', 'b2'], array([-0.2689]))
"""

from __future__ import annotations

import numpy as np
import sympy

from symbp import notation
from symbp.derive.concrete import Derivation


def parameter_entry(parameter: sympy.Symbol) -> tuple[str, tuple[int, ...]]:
    """Where a parameter symbol lives in the params dict (Ng's column 0 is the bias b).

    >>> parameter_entry(sympy.Symbol("w2_1_3")), parameter_entry(sympy.Symbol("w2_1_0"))
    (('W2', (0, 2)), ('b2', (0,)))
    """
    kind, idx = notation.parse_name(parameter.name)
    if kind == "weight" and idx[2] != 0:
        return f"W{idx[0]}", (idx[1] - 1, idx[2] - 1)
    return f"b{idx[0]}", (idx[1] - 1,)


def _select(conditions: list, choices: list, default: float = np.nan) -> np.ndarray:
    # NOTE: lambdify prints Piecewise's last branch as the condition ``True``, which NumPy 2's
    # select rejects; broadcast every condition and choice to one boolean/float array first.
    shaped = np.broadcast_arrays(*conditions, *choices)
    n = len(conditions)
    masks = [c.astype(bool) for c in shaped[:n]]
    return np.select(masks, shaped[n:], default)


def composed_gradients(der: Derivation) -> dict[sympy.Symbol, sympy.Expr]:
    """Every parameter's gradient as an expression of x, y and the parameters alone."""
    full: dict[sympy.Symbol, sympy.Expr] = {}
    for symbol, definition in der.definitions():
        full[symbol] = definition.xreplace(full)
    return {p: g.xreplace(full) for p, g in der.gradients.items()}


def scalar_gradients(
    der: Derivation, params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray
) -> dict[str, np.ndarray]:
    """Mean gradient over the rows of X, Y from the lambdified per-parameter expressions."""
    fwd = der.forward
    grads = composed_gradients(der)
    order = list(grads)
    modules = [{"select": _select}, "numpy"]
    function = sympy.lambdify([fwd.x, fwd.y, order], [grads[p] for p in order], modules, cse=True)
    values = [params[key][index] for key, index in map(parameter_entry, order)]
    rows = function(list(np.asarray(X, float).T), list(np.asarray(Y, float).T), values)
    m = len(X)
    out = {key: np.zeros_like(value, dtype=float) for key, value in params.items()}
    for p, row in zip(order, rows, strict=True):
        key, index = parameter_entry(p)
        mean = float(np.sum(np.broadcast_to(row, (m,)))) / m
        if fwd.regularised(p):
            mean += float(der.network.l2) / m * values[order.index(p)]
        out[key][index] = mean
    return out
