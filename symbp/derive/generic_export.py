"""JSON view of a :class:`~symbp.derive.generic_data.GenericDerivation` (``symbp derive
--generic --format json``), for other programs.

Every step is in index form as SymPy prints it (``Indexed``, ``Sum``, ``KroneckerDelta``,
``Derivative``; ``fprime(l, z)`` is the layer's activation derivative and ``dC[L, j]`` the loss
derivative dC/da^L_j, both undefined functions to ``sympy.parse_expr``), with the rule, the
forward equation it came from, the assumptions it used and how it was proved when it was made
(``verified_by``). Matrix-level results are plain text in the house notation
(:mod:`symbp.derive.matrix_text`).

>>> from symbp.model import network
>>> from symbp.derive.generic import derive_generic_for
>>> data = to_json(derive_generic_for(network([2, 3, 2], "sigmoid", "softmax", "cce")))
>>> data["equations"]["delta_L_simplified"]
'delta^L = a^L - y'
>>> step = data["steps"][0]
>>> step["rule"], step["verified_by"].startswith("every instantiation")
('chain rule', True)
"""

from __future__ import annotations

from typing import Any

import sympy

from symbp.derive.cost import cost_comparison
from symbp.derive.generic_data import GenericDerivation
from symbp.derive.matrix_text import text
from symbp.model import Network


def _s(expr: sympy.Expr) -> str:
    return sympy.sstr(expr, order="none")


def to_json(der: GenericDerivation, net: Network | None = None) -> dict[str, Any]:
    """The generic derivation as plain data; with ``net``, the cost comparison for its sizes."""
    data: dict[str, Any] = {
        "network": {
            "depth": "L (any)",
            "widths": "n_0, ..., n_L (symbolic)",
            "hidden": der.hidden,
            "output": der.output,
            "loss": der.loss,
            "bias": der.bias,
            "examples": der.examples,
            "l2": der.l2,
        },
        "steps": [
            {
                "quantity": step.quantity,
                "lhs": _s(step.lhs),
                "rhs": _s(step.rhs),
                "rule": step.rule.value,
                "source": step.source,
                "assumptions": [str(a) for a in step.assumptions],
                "where": [f"{index} >= {lowest}" for index, lowest in step.where],
                "matrix_form": None if step.matrix is None else text(step.matrix),
                "verified_by": step.verified_by,
            }
            for step in der.steps
        ],
        "equations": {name: text(eq) for name, eq in der.equations.items()},
        "entries": {name: text(eq) for name, eq in der.entries.items()},
        "naive_deltas": [
            text(head) + ("" if chain is None else f" = {text(chain)}")
            for head, chain in der.naive_deltas()
        ],
        "assumptions": [str(a) for a in der.assumptions],
    }
    if net is not None:
        cost = cost_comparison(net)
        data["cost"] = {
            "sizes": list(cost.sizes),
            "backprop_multiplications": cost.backprop,
            "naive_multiplications": cost.naive,
            "forward_accumulation_multiplications": cost.forward,
            "forward_accumulation_passes": cost.passes,
            "explanation": cost.explanation,
        }
    return data
