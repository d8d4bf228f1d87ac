"""JSON view of a ``--net`` network's index-form derivation (``symbp derive --net ... --format
json``): every layer's forward equations and derived backward steps, as SymPy prints them, each
with its rule and how it was proved: conv, dense and pool (:mod:`symbp.derive.layer_index`),
attention, meanpool, last, residual and dense on a sequence (:mod:`symbp.derive.layer_index_multi`
and its users), batchnorm, layernorm and residual(layernorm) (:mod:`symbp.derive.norm_steps`,
:mod:`symbp.derive.layer_index_residual_norm`).

>>> from symbp.model import layered_network
>>> data = to_json(layered_network("4", "dense(3,tanh) dense(2,softmax)", "cce"))
>>> [layer["spec"] for layer in data["layers"]]
['dense(3,tanh)', 'dense(2,softmax)']
>>> data["layers"][0]["steps"][-1]["rhs"]
"Sum(W[o, c']*delta[o], (o, 0, C - 1))"
>>> data = to_json(layered_network("3x2", "attention(2) meanpool dense(2,softmax)", "cce"))
>>> data["layers"][1]["equations"]
[['a[c]', 'Sum(x[t, c], (t, 0, T - 1))/T']]
"""

from __future__ import annotations

from typing import Any

import sympy

from symbp.derive import layer_index as li
from symbp.derive import layer_index_attention as la
from symbp.derive import layer_index_dense as ld
from symbp.derive import layer_index_residual as lr
from symbp.derive import layer_index_residual_norm as rn
from symbp.derive import norm_steps as ns
from symbp.layers.base import shape_text
from symbp.model import LayeredNetwork


def _s(expr: sympy.Expr) -> str:
    return sympy.sstr(expr)


def _step(s, free) -> dict[str, Any]:
    return {"quantity": s.quantity, "lhs": _s(s.lhs), "rhs": _s(s.rhs), "rule": s.rule,
            "free_indices": [str(i) for i in free], "verified_by": s.verified_by}  # fmt: skip


def _entry_indices(expr: sympy.Expr) -> list[sympy.Symbol]:
    """A norm step's free index: the index of the entry its left side differentiates by."""
    found = [i for e in expr.atoms(sympy.Indexed) for i in e.indices if isinstance(i, sympy.Symbol)]
    return sorted(set(found), key=str)


def multi_form_of(layer, shape: tuple[int, ...]):
    """The multi-equation index form of the layer on input ``shape``, or None."""
    if la.has_multi_form(layer):
        return la.multi_form(layer)
    if lr.has_residual_form(layer, shape):
        return lr.residual_form(layer, shape)
    if ld.has_sequence_form(layer, shape):
        return ld.sequence_dense_form(layer)
    return None


def _derivation(layer, shape: tuple[int, ...], position: int) -> dict[str, Any] | None:
    """equations (forward order), forward (the output's), steps and the forward's proof."""
    if layer.kind in ns.SIZES or rn.is_residual_norm(layer):
        norm = rn.residual_norm_form() if layer.kind == "residual" else ns.norm_form(layer.kind)
        equations, proved = norm.definitions, norm.forward_verified_by
        steps = [_step(s, _entry_indices(s.lhs)) for s in norm.steps]
    elif (multi := multi_form_of(layer, shape)) is not None:
        equations, proved = multi.stated.equations, multi.forward_verified_by
        steps = [_step(s, s.free) for s in multi.steps]
    elif li.has_index_form(layer):
        form = li.layer_form(layer, shape, position)
        equations, proved = [form.forward], form.forward_verified_by
        steps = [_step(s, s.free) for s in form.steps]
    else:
        return None
    pairs = [[_s(lhs), _s(rhs)] for lhs, rhs in equations]
    return {"equations": pairs, "forward": pairs[-1], "forward_verified_by": proved,
            "steps": steps}  # fmt: skip


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
    derivation = _derivation(layer, shape, position)
    if derivation is None:
        out["index_form"] = None
        out["note"] = "no index-form derivation for this layer kind yet; see --format text"
        return out
    return {**out, **derivation}


def to_json(net: LayeredNetwork) -> dict[str, Any]:
    """Every layer's index-form derivation; indices 0-based, entries out of range are 0."""
    return {
        "network": net.describe(),
        "loss": net.loss.name,
        "conventions": (
            "indices start at 0; a sum runs over every value of its index; an array entry whose "
            "index is out of range is 0 (zero padding); delta = dC/dz, dA = dC/da, x the layer's "
            "input; M is max-pooling's first-maximum indicator; equations are a layer's forward "
            "equations in forward order, forward the last (the layer's output); Grad(u) is "
            "dC/du and Partial(c, u) dc/du in a norm layer's steps"
        ),
        "layers": [_layer(net, p) for p in range(1, len(net.layers) + 1)],
    }
