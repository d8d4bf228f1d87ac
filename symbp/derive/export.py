"""Plain-text and JSON views of a concrete :class:`~symbp.derive.concrete.Derivation`.

The JSON is for other programs: every expression is ``str(expr)`` using only SymPy's built-in
functions, so ``sympy.parse_expr`` reads it without symbp installed.

>>> from symbp.model import network
>>> from symbp.derive.concrete import derive
>>> data = to_json(derive(network([1, 1], "identity", "identity", "mse")))
>>> data["definitions"]
[['z1_1', 'b1_1 + w1_1_1*x1'], ['a1_1', 'z1_1'], ['delta1_1', 'a1_1 - y1']]
>>> data["gradients"]
{'w1_1_1': 'delta1_1*x1', 'b1_1': 'delta1_1'}
"""

from __future__ import annotations

from typing import Any

import sympy

from symbp.derive.concrete import Derivation


def _s(expr: sympy.Expr) -> str:
    return sympy.sstr(expr, order="none")


def to_json(der: Derivation) -> dict[str, Any]:
    """The derivation as plain data: network, definitions, loss, gradients, assumptions."""
    net = der.network
    fwd = der.forward
    return {
        "network": {
            "sizes": list(net.sizes),
            "activations": [a.name for a in net.activations],
            "loss": net.loss.name,
            "bias": net.bias,
            "examples": net.examples,
            "l2": _s(net.l2),
        },
        "definitions": [[s.name, _s(v)] for s, v in der.definitions()],
        "loss": _s(fwd.loss),
        "gradients": {p.name: _s(g) for p, g in der.gradients.items()},
        "input_gradients": {x.name: _s(der.grad_x[k]) for k, x in enumerate(fwd.x, start=1)},
        "objective": (
            "J = (1/m) * sum over the m examples of loss + l2/(2*m) * sum of squared weights; "
            "dJ/dp = (1/m) * sum over examples of gradients[p] + regularisation[p]"
        ),
        "regularisation": {p.name: _s(der.regularisation(p)) for p in fwd.parameters},
        "assumptions": [a.name for a in der.assumptions],
    }


def to_text(der: Derivation) -> str:
    """Forward equations, loss, delta recursion and gradients as readable plain text."""
    net, fwd = der.network, der.forward
    out = [f"network: {net.describe()}", "", "forward (one example):"]
    defs = der.definitions()
    deltas = set(fwd.delta.values())
    out += [f"  {s} = {_s(v)}" for s, v in defs if s not in deltas]
    out += [f"  C = {_s(fwd.loss)}", "", "backward (delta = dC/dz, by the chain rule):"]
    out += [f"  {s} = {_s(v)}" for s, v in defs if s in deltas]
    if der.assumptions:
        out += ["", "assumptions used:"] + [f"  {a.name}" for a in der.assumptions]
    out += ["", "gradients (one example):"]
    out += [f"  dC/d{p} = {_s(g)}" for p, g in der.gradients.items()]
    out += [f"  dC/d{x} = {_s(der.grad_x[k])}" for k, x in enumerate(fwd.x, start=1)]
    if net.examples > 1 or net.l2:
        out += ["", f"over m = {net.examples} examples with lambda = {net.l2}:"]
        out += ["  dJ/dp = (1/m) sum_t dC^(t)/dp + lambda/m * p   (p a weight; biases: no L2 term)"]
    return "\n".join(out)
