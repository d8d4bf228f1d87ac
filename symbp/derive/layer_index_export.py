"""JSON view of a ``--net`` network's index-form derivation (``symbp derive --net ... --format
json``): every layer's forward equation and derived backward steps, as SymPy prints them, each
with its rule and how it was proved (:mod:`symbp.derive.layer_index`).

>>> from symbp.model import layered_network
>>> data = to_json(layered_network("4", "dense(3,tanh) dense(2,softmax)", "cce"))
>>> [layer["spec"] for layer in data["layers"]]
['dense(3,tanh)', 'dense(2,softmax)']
>>> data["layers"][0]["steps"][-1]["rhs"]
"Sum(W[o, c']*delta[o], (o, 0, C - 1))"
"""

from __future__ import annotations

from typing import Any

import sympy

from symbp.derive import layer_index as li
from symbp.layers.base import shape_text
from symbp.model import LayeredNetwork


def _s(expr: sympy.Expr) -> str:
    return sympy.sstr(expr)


def _layer(net: LayeredNetwork, position: int) -> dict[str, Any]:
    layer = net.layers[position - 1]
    shape = net.shapes[position - 1]
    out: dict[str, Any] = {
        "position": position,
        "spec": layer.spec(),
        "input_shape": shape_text(shape),
        "output_shape": shape_text(net.shapes[position]),
        "parameters": {k: list(v) for k, v in layer.parameter_shapes(shape, position).items()},
    }
    if not li.has_index_form(layer):
        out["index_form"] = None
        out["note"] = "no index-form derivation for this layer kind yet; see --format text"
        return out
    form = li.layer_form(layer, shape, position)
    out["forward"] = [_s(form.forward[0]), _s(form.forward[1])]
    out["steps"] = [
        {"quantity": s.quantity, "lhs": _s(s.lhs), "rhs": _s(s.rhs), "rule": s.rule,
         "free_indices": [str(i) for i in s.free], "verified_by": s.verified_by}
        for s in form.steps
    ]  # fmt: skip
    return out


def to_json(net: LayeredNetwork) -> dict[str, Any]:
    """Every layer's index-form derivation; indices 0-based, entries out of range are 0."""
    return {
        "network": net.describe(),
        "loss": net.loss.name,
        "conventions": (
            "indices start at 0; a sum runs over every value of its index; an array entry whose "
            "index is out of range is 0 (zero padding); delta = dC/dz, dA = dC/da, x the layer's "
            "input; M is max-pooling's first-maximum indicator"
        ),
        "layers": [_layer(net, p) for p in range(1, len(net.layers) + 1)],
    }
